"""LSTM and GRU over whole sequences (ops/layer_ops/rnn.py, layers/rnn/whole_sequence.py):
float64 gradients against central differences, and the layers' values and gradients against
the same layers stepping through time one cell call at a time."""

import numpy as np
import pytest

import numkeras
from numkeras import layers, ops
from numkeras.layers.rnn import whole_sequence
from numkeras.ops.layer_ops.rnn import gru_sequence, lstm_sequence
from tests.engine.gradcheck import check_grad, rand


def test_lstm_sequence_gradients_match_central_differences():
    B, T, u = 2, 4, 3
    check_grad(
        lstm_sequence,
        rand(B, T, 4 * u, low=-1, high=1),
        rand(B, u, seed=1),
        rand(B, u, seed=2),
        rand(u, 4 * u, seed=3, low=-1, high=1),
    )


@pytest.mark.parametrize("with_bias", [True, False])
def test_gru_sequence_gradients_match_central_differences(with_bias):
    B, T, u = 2, 4, 3
    arrays = [
        rand(B, T, 3 * u, low=-1, high=1),
        rand(B, u, seed=1),
        rand(u, 3 * u, seed=3, low=-1, high=1),
    ]
    if with_bias:
        check_grad(gru_sequence, *arrays, rand(3 * u, seed=4))
    else:
        check_grad(lambda x, h, k: gru_sequence(x, h, k), *arrays)


def stepwise(monkeypatch):
    monkeypatch.setattr(whole_sequence, "run", lambda *args: None)


def outputs_and_grads(model, x):
    with numkeras.GradientTape() as tape:
        outputs = model(x, training=True)
        loss = sum(
            ops.sum(o * np.linspace(-1, 1, o.size).reshape(o.shape).astype("float32"))
            for o in (outputs if isinstance(outputs, list) else [outputs])
        )
    grads = tape.gradient(loss, model.trainable_weights)
    return [np.asarray(o) for o in (outputs if isinstance(outputs, list) else [outputs])], grads


@pytest.mark.parametrize(
    "layer_cls, kwargs",
    [
        (layers.LSTM, {}),
        (layers.LSTM, {"return_sequences": True, "return_state": True}),
        (layers.LSTM, {"use_bias": False, "return_sequences": True}),
        (layers.GRU, {}),
        (layers.GRU, {"return_sequences": True, "return_state": True}),
        (layers.GRU, {"use_bias": False}),
    ],
)
def test_layers_equal_stepping_through_time(monkeypatch, layer_cls, kwargs):
    inputs = numkeras.Input((7, 5))
    numkeras.utils.set_random_seed(0)
    out = layer_cls(4, **kwargs)(inputs)
    model = numkeras.Model(inputs, out)
    x = rand(3, 7, 5, dtype="float32", low=-1, high=1)
    calls = []
    lstm, gru = whole_sequence.lstm_sequence, whole_sequence.gru_sequence
    monkeypatch.setattr(whole_sequence, "lstm_sequence", lambda *a: calls.append(1) or lstm(*a))
    monkeypatch.setattr(whole_sequence, "gru_sequence", lambda *a: calls.append(1) or gru(*a))
    numkeras.utils.set_random_seed(1)
    fast = outputs_and_grads(model, x)
    assert calls == [1]
    stepwise(monkeypatch)
    numkeras.utils.set_random_seed(1)
    slow = outputs_and_grads(model, x)
    for got, want in zip(fast[0] + fast[1], slow[0] + slow[1]):
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"go_backwards": True},
        {"activation": "relu"},
        {"recurrent_dropout": 0.2},
    ],
)
def test_other_settings_step_through_time(monkeypatch, kwargs):
    called = []
    monkeypatch.setattr(whole_sequence, "lstm_sequence", lambda *a: called.append(1))
    layer = layers.LSTM(3, **kwargs)
    y = layer(rand(2, 4, 2, dtype="float32"), training=True)
    assert y.shape == (2, 3) and not called


def test_masked_sequences_step_through_time(monkeypatch):
    called = []
    monkeypatch.setattr(whole_sequence, "gru_sequence", lambda *a: called.append(1))
    model = numkeras.Sequential(
        [layers.Input((4,)), layers.Embedding(10, 3, mask_zero=True), layers.GRU(2)]
    )
    assert model(np.array([[1, 2, 0, 0]])).shape == (1, 2) and not called


def test_outputs_do_not_change_when_the_input_buffer_does():
    layer = layers.GRU(3, return_sequences=True)
    buf = rand(2, 5, 4, dtype="float32")
    y = layer(buf)
    want = np.asarray(y).copy()
    buf[:] = 0
    np.testing.assert_array_equal(np.asarray(y), want)
