"""LSTM and GRU over whole sequences (ops/layer_ops/rnn.py, layers/rnn/whole_sequence.py):
float64 gradients against central differences, and the layers' values and gradients against
the same layers stepping through time one cell call at a time."""

import warnings

import numpy as np
import pytest

import numkeras
from numkeras import layers, ops
from numkeras.layers.rnn import whole_sequence
from numkeras.ops.layer_ops.rnn import gru_sequence, lstm_sequence
from tests.engine.gradcheck import check_grad, rand


@pytest.mark.parametrize("last_only", [False, True])
def test_lstm_sequence_gradients_match_central_differences(last_only):
    B, T, F, u = 2, 4, 3, 3
    check_grad(
        lambda *a: lstm_sequence(*a, last_only=last_only),
        rand(B, T, F, low=-1, high=1),
        rand(F, 4 * u, seed=5, low=-1, high=1),
        rand(B, u, seed=1),
        rand(B, u, seed=2),
        rand(u, 4 * u, seed=3, low=-1, high=1),
        rand(4 * u, seed=4),
    )


@pytest.mark.parametrize("with_bias, last_only", [(True, False), (False, False), (True, True)])
def test_gru_sequence_gradients_match_central_differences(with_bias, last_only):
    B, T, F, u = 2, 4, 3, 3
    arrays = [
        rand(B, T, F, low=-1, high=1),
        rand(F, 3 * u, seed=5, low=-1, high=1),
        rand(B, u, seed=1),
        rand(u, 3 * u, seed=3, low=-1, high=1),
    ]
    if with_bias:
        check_grad(
            lambda x, k, h, rk, rb, b: gru_sequence(
                x, k, h, rk, rb, last_only=last_only, input_bias=b
            ),
            *arrays,
            rand(3 * u, seed=4),
            rand(3 * u, seed=6),
        )
    else:
        check_grad(lambda *a: gru_sequence(*a, last_only=last_only), *arrays)


def test_biases_are_optional_one_at_a_time():
    B, T, F, u = 2, 3, 2, 2
    x, k = rand(B, T, F, low=-1, high=1), rand(F, 4 * u, seed=5, low=-1, high=1)
    h, c = rand(B, u, seed=1), rand(B, u, seed=2)
    rk = rand(u, 4 * u, seed=3, low=-1, high=1)
    check_grad(lambda *a: lstm_sequence(*a, last_only=True), x, k, h, c, rk)
    check_grad(
        lambda x, k, h, rk, rb: gru_sequence(x, k, h, rk, rb),
        x,
        k[:, : 3 * u],
        h,
        rk[:, : 3 * u],
        rand(3 * u, seed=6),
    )
    check_grad(
        lambda x, k, h, rk, b: gru_sequence(x, k, h, rk, last_only=True, input_bias=b),
        x,
        k[:, : 3 * u],
        h,
        rk[:, : 3 * u],
        rand(3 * u, seed=6),
    )


def test_last_only_equals_the_final_step_of_the_whole_sequence():
    x, h0, c0 = rand(2, 5, 4, dtype="float32"), rand(2, 3, seed=1), rand(2, 3, seed=2)
    k = rand(4, 12, seed=4, dtype="float32", low=-1, high=1)
    rk = rand(3, 12, seed=3, dtype="float32", low=-1, high=1)
    every = np.asarray(lstm_sequence(x, k, h0, c0, rk))
    np.testing.assert_array_equal(
        np.asarray(lstm_sequence(x, k, h0, c0, rk, last_only=True)), every[:, -1]
    )
    every = np.asarray(gru_sequence(x, k[:, :9], h0, rk[:, :9]))
    last = np.asarray(gru_sequence(x, k[:, :9], h0, rk[:, :9], last_only=True))
    np.testing.assert_array_equal(last, every[:, -1])


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
        (layers.LSTM, {"dropout": 0.4}),
        (layers.GRU, {"dropout": 0.4, "return_sequences": True}),
    ],
)
def test_layers_equal_stepping_through_time(monkeypatch, layer_cls, kwargs):
    inputs = numkeras.Input((7, 5))
    numkeras.utils.set_random_seed(0)
    layer = layer_cls(4, **kwargs)
    model = numkeras.Model(inputs, layer(inputs))
    # one input dropout mask for both runs (each run would draw its own)
    mask = (np.arange(15).reshape(3, 5) % 3 != 0).astype("float32") / 0.6
    monkeypatch.setattr(layer.cell, "get_dropout_mask", lambda step_input: mask)
    x = rand(3, 7, 5, dtype="float32", low=-1, high=1)
    calls = []
    lstm, gru = whole_sequence.lstm_sequence, whole_sequence.gru_sequence
    monkeypatch.setattr(
        whole_sequence, "lstm_sequence", lambda *a, **k: calls.append(1) or lstm(*a, **k)
    )
    monkeypatch.setattr(
        whole_sequence, "gru_sequence", lambda *a, **k: calls.append(1) or gru(*a, **k)
    )
    numkeras.utils.set_random_seed(1)
    fast = outputs_and_grads(model, x)
    assert calls == [1]
    stepwise(monkeypatch)
    numkeras.utils.set_random_seed(1)
    slow = outputs_and_grads(model, x)
    for got, want in zip(fast[0] + fast[1], slow[0] + slow[1]):
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("layer_cls", [layers.LSTM, layers.GRU])
def test_saturated_gates_equal_stepping_through_time_without_warnings(monkeypatch, layer_cls):
    """Pre-activations of hundreds: exp(-z) overflows to inf and the sigmoid is exactly 0,
    with no overflow warning."""
    inputs = numkeras.Input((6, 3))
    numkeras.utils.set_random_seed(0)
    model = numkeras.Model(inputs, layer_cls(4, return_sequences=True)(inputs))
    x = rand(2, 6, 3, dtype="float32", low=-400, high=400)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fast = outputs_and_grads(model, x)
    stepwise(monkeypatch)
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


@pytest.mark.parametrize("op", ["lstm", "gru"])
def test_values_and_gradients_do_not_depend_on_the_thread_count(same_bits_on_thread_counts, op):
    """1 thread runs the projection and gradient pieces in the loop's thread, 2 and 3 beside
    it: the same bits either way (several pieces: 40 steps of batch 32)."""
    B, T, F, u = 32, 40, 5, 6
    gates = 4 if op == "lstm" else 3
    arrays = [
        rand(B, T, F, dtype="float32", low=-1, high=1),
        rand(F, gates * u, seed=1, dtype="float32", low=-1, high=1),
        rand(B, u, seed=2, dtype="float32"),
        rand(u, gates * u, seed=3, dtype="float32", low=-1, high=1),
        rand(gates * u, seed=4, dtype="float32"),
    ]

    def run():
        tensors = [numkeras.Variable(a) for a in arrays]
        with numkeras.GradientTape() as tape:
            if op == "lstm":
                x, k, h, rk, b = tensors
                y = lstm_sequence(x, k, h, h * 0.5, rk, b)
            else:
                y = gru_sequence(*tensors[:4], tensors[4], input_bias=tensors[4] * 2)
            loss = ops.sum(y * np.linspace(-1, 1, y.size).reshape(y.shape).astype("float32"))
        return [y, *tape.gradient(loss, tensors)]

    same_bits_on_thread_counts(run)


def test_tasks_beside_the_loop_run_in_the_caller_when_no_thread_takes_them(
    thread_counts, monkeypatch
):
    """A worker thread that never runs (as after a fork) leaves the tasks to `wait`."""
    from concurrent.futures import Future

    from numkeras.ops.layer_ops import rnn

    class Stalled:
        def submit(self, fn, *args):
            return Future()

    thread_counts(2)
    monkeypatch.setattr(rnn._Beside, "_executor", Stalled())
    beside = rnn._Beside()
    assert not beside.inline
    done = []
    for k in range(3):
        beside.submit(lambda k=k: done.append(k))
    beside.wait()
    assert done == [0, 1, 2]


@pytest.mark.parametrize("n", [1, 2])
def test_an_error_in_a_task_beside_the_loop_reaches_the_caller(thread_counts, n):
    from numkeras.ops.layer_ops import rnn

    thread_counts(n)
    beside = rnn._Beside()
    beside.submit(lambda: None)
    with pytest.raises(ZeroDivisionError):
        beside.submit(lambda: 1 / 0)
        beside.wait()
