"""3-D conv, transposed conv, pooling, cropping, padding, upsampling and spatial dropout
against real Keras, plus the declarative harness and `.keras` files both ways."""

import numpy as np
import pytest

from numkeras import layers
from tests.engine.gradcheck import rand
from tests.layers.harness import run_layer_test
from tests.layers.keras_parity import assert_keras_files_both_ways, assert_matches_keras

CF = {"data_format": "channels_first"}
X = (2, 5, 6, 4, 3)

CASES = [  # (name, kwargs, input shape)
    ("Conv3D", {"filters": 4, "kernel_size": 3}, X),
    (
        "Conv3D",
        {
            "filters": 4,
            "kernel_size": (2, 3, 1),
            "strides": (2, 1, 1),
            "padding": "same",
            "activation": "relu",
        },
        X,
    ),
    ("Conv3D", {"filters": 6, "kernel_size": 2, "dilation_rate": 2, "groups": 3}, (2, 5, 6, 5, 3)),
    ("Conv3D", {"filters": 2, "kernel_size": 2, "use_bias": False, **CF}, (2, 3, 5, 4, 4)),
    ("Conv3DTranspose", {"filters": 2, "kernel_size": 3}, X),
    (
        "Conv3DTranspose",
        {"filters": 2, "kernel_size": (2, 3, 2), "strides": 2, "padding": "same"},
        X,
    ),
    (
        "Conv3DTranspose",
        {"filters": 3, "kernel_size": 3, "strides": (2, 1, 2), "output_padding": (1, 0, 0), **CF},
        (2, 3, 4, 3, 2),
    ),
    ("MaxPooling3D", {}, X),
    ("MaxPooling3D", {"pool_size": 3, "strides": (2, 1, 1), "padding": "same"}, X),
    ("AveragePooling3D", {"pool_size": (2, 3, 2), "strides": 1}, X),
    # Keras's torch backend pads asymmetric "same" pools by replicating edges (TensorFlow and
    # numkeras leave the padding out; tests/ops/layer_ops/test_conv3d.py checks against TensorFlow)
    ("AveragePooling3D", {"pool_size": 3, "strides": 1, "padding": "same", **CF}, X),
    ("GlobalMaxPooling3D", {}, X),
    ("GlobalAveragePooling3D", {"keepdims": True, **CF}, X),
    ("Cropping3D", {}, X),
    ("Cropping3D", {"cropping": ((1, 2), (0, 1), 1), **CF}, X),
    ("ZeroPadding3D", {"padding": (1, 2, 0)}, X),
    ("UpSampling3D", {"size": (1, 2, 3)}, X),
    ("UpSampling3D", {**CF}, X),
    ("SpatialDropout3D", {"rate": 0.5}, X),
]


def _id(case):
    return f"{case[0]}-{'-'.join(map(str, case[1].values()))}"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("name, kwargs, shape", CASES, ids=[_id(c) for c in CASES])
def test_matches_keras(name, kwargs, shape):
    assert_matches_keras(name, kwargs, rand(*shape, seed=2, dtype="float32"))


@pytest.mark.parametrize("name, kwargs, shape", CASES, ids=[_id(c) for c in CASES])
def test_harness(name, kwargs, shape):
    cls = getattr(layers, name)
    run_layer_test(
        cls,
        kwargs,
        input_shape=shape,
        deterministic="Dropout" not in name,
        expected_num_weights=1 + kwargs.get("use_bias", True) if "Conv" in name else 0,
    )


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("Conv3D", {"filters": 3, "kernel_size": 2, "padding": "same"}),
        ("Conv3DTranspose", {"filters": 2, "kernel_size": 2, "strides": 2}),
    ],
)
def test_keras_files_both_ways(name, kwargs, tmp_path):
    assert_keras_files_both_ways(name, kwargs, rand(*X, seed=4, dtype="float32"), tmp_path)


def test_spatial_dropout3d_drops_whole_channels():
    y = layers.SpatialDropout3D(0.5, seed=1)(np.ones(X, "float32"), training=True).numpy()
    assert (y == y[:, :1, :1, :1]).all() and 0 < (y == 0).mean() < 1


def test_bad_arguments():
    with pytest.raises(ValueError, match="kernel"):
        layers.Conv3D(2, 4)(np.zeros((1, 3, 5, 5, 1), "float32"))
    with pytest.raises(ValueError, match="cropping"):
        layers.Cropping3D((1, 1))
