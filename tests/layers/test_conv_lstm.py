"""ConvLSTM1D/2D/3D against real Keras (outputs, states, gradients, configs), the harness and
`.keras` files both ways."""

import numpy as np
import pytest

from numkeras import layers
from tests.engine.gradcheck import rand
from tests.layers.harness import run_layer_test
from tests.layers.keras_parity import assert_keras_files_both_ways, assert_matches_keras

CF = {"data_format": "channels_first"}
CASES = [
    ("ConvLSTM2D", {"filters": 3, "kernel_size": 3}, (2, 3, 6, 5, 2)),
    (
        "ConvLSTM2D",
        {
            "filters": 2,
            "kernel_size": (2, 3),
            "padding": "same",
            "return_sequences": True,
            "go_backwards": True,
        },
        (2, 4, 5, 4, 3),
    ),
    ("ConvLSTM2D", {"filters": 2, "kernel_size": 2, "strides": 2, **CF}, (2, 3, 3, 6, 6)),
    (
        "ConvLSTM1D",
        {
            "filters": 4,
            "kernel_size": 3,
            "dilation_rate": 2,
            "unit_forget_bias": False,
            "bias_initializer": "random_normal",
        },
        (2, 3, 9, 2),
    ),
    (
        "ConvLSTM3D",
        {"filters": 2, "kernel_size": 2, "padding": "same", "return_sequences": True},
        (1, 2, 3, 4, 3, 2),
    ),
]


def _id(case):
    return f"{case[0]}-{'-'.join(map(str, case[1].values()))}"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("name, kwargs, shape", CASES, ids=[_id(c) for c in CASES])
def test_matches_keras(name, kwargs, shape):
    assert_matches_keras(name, kwargs, rand(*shape, seed=2, dtype="float32"), atol=2e-5)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_states_match_keras():
    from tests.layers.keras_parity import get_keras

    keras = get_keras()
    x = rand(2, 3, 5, 5, 2, dtype="float32")
    kwargs = {"filters": 3, "kernel_size": 3, "padding": "same", "return_state": True}
    theirs, ours = keras.layers.ConvLSTM2D(**kwargs), layers.ConvLSTM2D(**kwargs)
    expected = theirs(x)
    ours(x)
    ours.set_weights([keras.ops.convert_to_numpy(w) for w in theirs.weights])
    for a, b in zip(ours(x), expected):
        np.testing.assert_allclose(a.numpy(), keras.ops.convert_to_numpy(b), atol=2e-5)
    h0 = rand(2, 5, 5, 3, seed=5, dtype="float32")
    c0 = rand(2, 5, 5, 3, seed=6, dtype="float32")
    np.testing.assert_allclose(
        ours(x, initial_state=[h0, c0])[0].numpy(),
        keras.ops.convert_to_numpy(theirs(x, initial_state=[h0, c0])[0]),
        atol=2e-5,
    )


@pytest.mark.parametrize("name, kwargs, shape", CASES[:2], ids=[_id(c) for c in CASES[:2]])
def test_harness(name, kwargs, shape):
    run_layer_test(getattr(layers, name), kwargs, input_shape=shape, expected_num_weights=3)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_keras_files_both_ways(tmp_path):
    assert_keras_files_both_ways(
        "ConvLSTM2D",
        {"filters": 2, "kernel_size": 3},
        rand(2, 3, 5, 5, 2, dtype="float32"),
        tmp_path,
        atol=2e-5,
    )


def test_dropout_only_in_training_and_unsupported_options():
    x = np.ones((2, 3, 5, 5, 2), "float32")
    layer = layers.ConvLSTM2D(2, 3, dropout=0.5, recurrent_dropout=0.5, seed=1)
    a, b = layer(x).numpy(), layer(x).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(layer(x, training=True).numpy(), a)
    with pytest.raises(ValueError, match="stateful"):
        layers.ConvLSTM2D(2, 3, stateful=True)
