"""The tutorial's layers through the declarative harness."""

import pytest

from numkeras import layers
from tests.layers.harness import run_layer_test

CASES = [
    (layers.Dense, {"units": 3}, (2, 4), (2, 3), 2),
    (layers.Dense, {"units": 3, "activation": "relu", "use_bias": False}, (2, 5, 4), (2, 5, 3), 1),
    (layers.Conv2D, {"filters": 4, "kernel_size": 3}, (2, 7, 7, 3), (2, 5, 5, 4), 2),
    (
        layers.Conv2D,
        {"filters": 4, "kernel_size": 3, "padding": "same", "strides": 2},
        (2, 7, 7, 3),
        (2, 4, 4, 4),
        2,
    ),
    (
        layers.Conv2D,
        {"filters": 4, "kernel_size": 3, "data_format": "channels_first"},
        (2, 3, 7, 7),
        (2, 4, 5, 5),
        2,
    ),
    (
        layers.Conv2D,
        {"filters": 4, "kernel_size": 2, "dilation_rate": 2, "groups": 2},
        (2, 7, 7, 2),
        (2, 5, 5, 4),
        2,
    ),
    (layers.Conv1D, {"filters": 4, "kernel_size": 3}, (2, 9, 3), (2, 7, 4), 2),
    (layers.MaxPooling2D, {"pool_size": 2}, (2, 7, 7, 3), (2, 3, 3, 3), 0),
    (
        layers.MaxPooling2D,
        {"pool_size": 3, "strides": 1, "padding": "same"},
        (2, 5, 5, 3),
        (2, 5, 5, 3),
        0,
    ),
    (layers.AveragePooling2D, {"pool_size": 2}, (2, 6, 6, 3), (2, 3, 3, 3), 0),
    (layers.MaxPooling1D, {"pool_size": 2}, (2, 9, 3), (2, 4, 3), 0),
    (layers.AveragePooling1D, {"pool_size": 3, "padding": "same"}, (2, 7, 3), (2, 3, 3), 0),
    (layers.Flatten, {}, (2, 3, 4, 5), (2, 60), 0),
    (layers.Reshape, {"target_shape": (4, -1)}, (2, 3, 4), (2, 4, 3), 0),
    (layers.Activation, {"activation": "tanh"}, (2, 5), (2, 5), 0),
]


@pytest.mark.parametrize("cls, kwargs, shape, out_shape, n_weights", CASES)
def test_layer(cls, kwargs, shape, out_shape, n_weights):
    run_layer_test(
        cls,
        kwargs,
        input_shape=shape,
        expected_output_shape=out_shape,
        expected_num_weights=n_weights,
    )


def test_dropout_is_identity_at_inference_and_scales_in_training():
    import numpy as np

    layer = layers.Dropout(0.5, seed=1)
    x = np.ones((1000, 10), "float32")
    np.testing.assert_array_equal(layer(x).numpy(), x)
    y = layer(x, training=True).numpy()
    assert set(np.unique(y)) == {0.0, 2.0}
    assert 0.45 < (y == 0).mean() < 0.55
