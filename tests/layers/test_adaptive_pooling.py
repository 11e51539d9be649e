"""Adaptive pooling layers against real Keras (outputs, gradients, configs) and the harness."""

import pytest

from numkeras import layers
from tests.engine.gradcheck import check_grad, rand
from tests.layers.harness import run_layer_test
from tests.layers.keras_parity import assert_matches_keras

CF = {"data_format": "channels_first"}
CASES = [
    ("AdaptiveMaxPooling1D", {"output_size": 3}, (2, 7, 3)),
    ("AdaptiveAveragePooling1D", {"output_size": 4, **CF}, (2, 3, 10)),
    ("AdaptiveMaxPooling2D", {"output_size": (3, 2)}, (2, 7, 5, 3)),
    ("AdaptiveAveragePooling2D", {"output_size": 3}, (2, 8, 5, 2)),
    ("AdaptiveMaxPooling3D", {"output_size": (2, 3, 2), **CF}, (2, 2, 5, 7, 4)),
    ("AdaptiveAveragePooling3D", {"output_size": 2}, (2, 5, 3, 4, 2)),
    ("AdaptiveAveragePooling2D", {"output_size": (9, 6)}, (1, 7, 5, 2)),  # upsampling bins
]


def _id(case):
    return f"{case[0]}-{'-'.join(map(str, case[1].values()))}"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("name, kwargs, shape", CASES, ids=[_id(c) for c in CASES])
def test_matches_keras(name, kwargs, shape):
    assert_matches_keras(name, kwargs, rand(*shape, seed=2, dtype="float32"))


@pytest.mark.parametrize("name, kwargs, shape", CASES, ids=[_id(c) for c in CASES])
def test_harness_and_float64_gradients(name, kwargs, shape):
    run_layer_test(getattr(layers, name), kwargs, input_shape=shape)
    check_grad(getattr(layers, name)(**kwargs, dtype="float64"), rand(*shape))


def test_bad_output_size():
    with pytest.raises(TypeError, match="output_size"):
        layers.AdaptiveMaxPooling2D((2, 2, 2))
