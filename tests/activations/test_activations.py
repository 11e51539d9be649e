"""Every Keras activation: values against real Keras, gradients against finite differences."""

import numpy as np
import pytest

from numkeras import activations, ops
from tests.engine.gradcheck import check_grad

# (name, kwargs): every name in keras.activations' ALL_OBJECTS_DICT, with some arguments
CASES = [
    ("linear", {}),
    ("relu", {}),
    ("relu", {"negative_slope": 0.1, "max_value": 1.5}),
    ("relu6", {}),
    ("leaky_relu", {}),
    ("elu", {"alpha": 0.5}),
    ("selu", {}),
    ("gelu", {}),
    ("gelu", {"approximate": True}),
    ("silu", {}),
    ("swish", {}),
    ("sigmoid", {}),
    ("hard_sigmoid", {}),
    ("tanh", {}),
    ("softplus", {}),
    ("softsign", {}),
    ("softmax", {}),
    ("log_softmax", {}),
    ("exponential", {}),
    ("celu", {}),
    ("celu", {"alpha": 0.5}),
    ("glu", {}),
    ("hard_tanh", {}),
    ("hard_shrink", {}),
    ("hard_shrink", {"threshold": 1.0}),
    ("soft_shrink", {}),
    ("tanh_shrink", {}),
    ("sparse_plus", {}),
    ("sparse_sigmoid", {}),
    ("squareplus", {}),
    ("squareplus", {"b": 2}),
    ("threshold", {"threshold": 0.3, "default_value": -1.0}),
    ("log_sigmoid", {}),
    ("hard_silu", {}),
    ("hard_swish", {}),
    ("mish", {}),
    ("sparsemax", {"axis": 0}),  # one-element supports: where Keras's formula is right
]
# values away from the kinks (±1, ±0.5, 0.3, 0, ±3, 6) so finite differences are smooth
X = np.array([[-3.7, -2.2, -1.3, -0.8, -0.35, -0.1], [0.12, 0.41, 0.77, 1.6, 2.4, 4.2]], "float64")


@pytest.mark.parametrize("name, kwargs", CASES)
def test_values_match_real_keras(keras, name, kwargs):
    x = X.astype("float32")
    theirs = keras.ops.convert_to_numpy(getattr(keras.activations, name)(x, **kwargs))
    ours = ops.convert_to_numpy(getattr(activations, name)(x, **kwargs))
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name, kwargs", [c for c in CASES if c[0] != "exponential"])
def test_gradients_match_finite_differences(name, kwargs):
    check_grad(lambda x: getattr(activations, name)(x, **kwargs), X)


def test_every_keras_activation_is_here_and_round_trips(keras):
    from keras.src.activations import ALL_OBJECTS_DICT

    for name in ALL_OBJECTS_DICT:
        fn = activations.get(name)
        assert activations.serialize(fn) == keras.activations.serialize(ALL_OBJECTS_DICT[name])
        assert activations.deserialize(activations.serialize(fn)) is fn


def test_sparsemax_projects_onto_the_simplex():
    """Keras 3.15 sums the cumulative sums over the support for tau, so its outputs don't
    sum to 1 once two or more entries survive; this checks Martins & Astudillo's values."""
    y = ops.convert_to_numpy(activations.sparsemax(np.array([[3.0, 1.0, 0.2, 2.5]])))
    np.testing.assert_allclose(y, [[0.75, 0.0, 0.0, 0.25]], rtol=1e-6)
    check_grad(activations.sparsemax, X)


def test_glu_odd_axis_raises():
    with pytest.raises(ValueError, match="divisible by 2"):
        activations.glu(np.ones((2, 3)))


def test_unknown_name_raises():
    with pytest.raises(ValueError, match="Could not interpret activation"):
        activations.get("nope")
