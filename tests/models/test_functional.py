"""Functional models: several inputs and outputs, shared layers, summaries as Keras prints them."""

import numpy as np
import pytest

import numkeras
from numkeras import layers
from numkeras.backend import clear_session

BRANCHED = """\
Model: "functional"
┏━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┓
┃ Layer (type)        ┃ Output Shape      ┃    Param # ┃ Connected to      ┃
┡━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━┩
│ a (InputLayer)      │ (None, 4)         │          0 │ -                 │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ b (InputLayer)      │ (None, 4)         │          0 │ -                 │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ concatenate         │ (None, 8)         │          0 │ a[0][0], b[0][0]  │
│ (Concatenate)       │                   │            │                   │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ dense (Dense)       │ (None, 2)         │         18 │ concatenate[0][0] │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ a_very_long_layer_… │ (None, 3)         │         27 │ concatenate[0][0] │
│ (Dense)             │                   │            │                   │
└─────────────────────┴───────────────────┴────────────┴───────────────────┘
 Total params: 45 (180.00 B)
 Trainable params: 45 (180.00 B)
 Non-trainable params: 0 (0.00 B)"""


def branched():
    clear_session()
    a, b = numkeras.Input((4,), name="a"), numkeras.Input((4,), name="b")
    x = layers.Concatenate()([a, b])
    return numkeras.Model(
        [a, b], [layers.Dense(2)(x), layers.Dense(3, name="a_very_long_layer_name_for_testing")(x)]
    )


def test_branched_summary_matches_keras(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    branched().summary()
    assert capsys.readouterr().out.rstrip("\n") == BRANCHED


def test_names_follow_keras_counters():
    clear_session()
    i = numkeras.Input((3,))
    first = numkeras.Model(i, layers.Dense(1)(i))
    second = numkeras.Model(i, layers.Dense(1)(i))
    assert (first.name, second.name) == ("functional", "functional_1")


def test_two_inputs_two_outputs_train_with_per_output_losses_and_weights():
    model = branched()
    rng = np.random.default_rng(0)
    xa, xb = rng.random((64, 4), "float32"), rng.random((64, 4), "float32")
    y1 = (xa[:, :2] + xb[:, :2]).astype("float32")
    y2 = numkeras.utils.to_categorical((xa.sum(1) > 2).astype(int), 3)
    model.compile(
        "adam",
        loss=["mse", "categorical_crossentropy"],
        loss_weights=[1.0, 0.5],
        metrics=[[], ["accuracy"]],
    )
    history = model.fit([xa, xb], [y1, y2], epochs=20, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert "a_very_long_layer_name_for_testing_accuracy" in history.history
    out1, out2 = model.predict([xa, xb], verbose=0)
    assert out1.shape == (64, 2) and out2.shape == (64, 3)


def test_shared_layer_is_one_set_of_weights():
    clear_session()
    shared = layers.Dense(2)
    a, b = numkeras.Input((3,)), numkeras.Input((3,))
    model = numkeras.Model([a, b], layers.Add()([shared(a), shared(b)]))
    assert len(model.trainable_weights) == 2
    x = np.ones((1, 3), "float32")
    np.testing.assert_allclose(model.predict([x, x], verbose=0), 2 * shared(x).numpy(), rtol=1e-6)


def test_model_used_as_a_layer():
    clear_session()
    inner_in = numkeras.Input((3,))
    inner = numkeras.Model(inner_in, layers.Dense(2)(inner_in))
    outer_in = numkeras.Input((3,))
    outer = numkeras.Model(outer_in, layers.Dense(1)(inner(outer_in)))
    assert outer.count_params() == 8 + 3
    assert outer.predict(np.ones((5, 3), "float32"), verbose=0).shape == (5, 1)


def test_single_output_in_a_list_trains():
    i = numkeras.Input((3,))
    model = numkeras.Model(i, [layers.Dense(2)(i)])
    model.compile("adam", "mse")
    model.fit(np.ones((8, 3)), np.ones((8, 2)), verbose=0)
    assert model.predict(np.ones((2, 3)), verbose=0).shape == (2, 2)


def test_wrong_input_shape_is_named():
    i = numkeras.Input((3,))
    model = numkeras.Model(i, layers.Dense(2)(i))
    with pytest.raises(ValueError, match=r"expected shape \(None, 3\), got \(None, 4\)"):
        model.predict(np.ones((2, 4)), verbose=0)
