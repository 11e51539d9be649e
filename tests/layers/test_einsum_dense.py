"""EinsumDense and `ops.einsum`, the op it contracts with: float64 gradient check, real Keras
after a weight copy (outputs, gradients, config), harness and `.keras` files both ways."""

import numpy as np
import pytest

from numkeras import layers
from numkeras.ops import einsum
from tests.engine.gradcheck import check_grad, rand
from tests.layers.harness import run_layer_test
from tests.layers.keras_parity import assert_keras_files_both_ways, assert_matches_keras


@pytest.mark.parametrize(
    "equation, a, b",
    [
        ("ab,bc->ac", (3, 4), (4, 5)),
        ("abc,cde->abde", (2, 3, 4), (4, 2, 3)),
        ("...b,bc->...c", (2, 3, 4), (4, 5)),
        ("abc,cd->ad", (2, 3, 4), (4, 5)),  # b is summed within the input alone
        ("abcd,cde->abe", (2, 3, 4, 2), (4, 2, 3)),
    ],
)
def test_einsum_gradcheck(equation, a, b):
    check_grad(lambda x, w: einsum(equation, x, w), rand(*a), rand(*b, seed=1))


CASES = [  # (kwargs, input shape)
    ({"equation": "ab,bc->ac", "output_shape": 4, "bias_axes": "c"}, (3, 5)),
    (
        {
            "equation": "abc,cd->abd",
            "output_shape": (None, 6),
            "bias_axes": "d",
            "activation": "relu",
        },
        (2, 3, 5),
    ),
    ({"equation": "abc,cde->abde", "output_shape": (None, 2, 3), "bias_axes": "de"}, (2, 3, 4)),
    ({"equation": "abc,cde->abde", "output_shape": (None, 2, 3), "bias_axes": "d"}, (2, 3, 4)),
    ({"equation": "...b,bc->...c", "output_shape": 5}, (2, 3, 4)),
    ({"equation": "ab...,bc->ac...", "output_shape": 3, "bias_axes": "c"}, (2, 4, 5)),
]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("kwargs, shape", CASES)
def test_matches_keras(kwargs, shape):
    assert_matches_keras("EinsumDense", kwargs, rand(*shape, seed=2, dtype="float32"))


@pytest.mark.parametrize("kwargs, shape", CASES)
def test_harness(kwargs, shape):
    run_layer_test(
        layers.EinsumDense,
        kwargs,
        input_shape=shape,
        expected_num_weights=1 + ("bias_axes" in kwargs),
    )


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_keras_files_both_ways(tmp_path):
    assert_keras_files_both_ways(
        "EinsumDense", CASES[2][0], rand(4, 3, 4, dtype="float32"), tmp_path
    )


def test_bad_equations():
    with pytest.raises(ValueError, match="Invalid einsum equation"):
        layers.EinsumDense("ab->a", 3)(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match="Bias dimension 'z'"):
        layers.EinsumDense("ab,bc->ac", 3, bias_axes="z")(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match="do not match"):
        layers.EinsumDense("abc,cd->abd", (4, 2))(np.zeros((2, 3, 3), "float32"))
