"""EinsumDense and `ops.einsum`, the op it contracts with: float64 gradient check, real Keras
after a weight copy (outputs, gradients, config), harness and `.keras` files both ways."""

import numpy as np
import pytest

import numkeras
from numkeras import layers, ops
from numkeras.layers.core.einsum_dense import dense_form
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


@pytest.mark.parametrize(
    "equation, form",
    [
        ("ab,bc->ac", 1),
        ("abc,cde->abde", 1),
        ("...b,bc->...c", 1),
        ("abcd,cde->abe", 2),
        ("ab...,bc->ac...", None),  # the elided axes trail
        ("abc,cd->ad", None),  # b summed within the input
        ("abc,dc->abd", None),  # the kernel's contracted axis last
        ("abc,cd->adb", None),  # the output's axes reordered
    ],
)
def test_dense_form(equation, form):
    assert dense_form(equation) == form


@pytest.mark.parametrize(
    "kwargs, shape",
    [
        ({"equation": "abc,cde->abde", "output_shape": (None, 2, 3), "bias_axes": "de"}, (2, 3, 4)),
        ({"equation": "abc,cd->abd", "output_shape": (None, 6), "bias_axes": "d"}, (2, 3, 5)),
        ({"equation": "abc,cde->abde", "output_shape": (None, 2, 3), "bias_axes": "d"}, (2, 3, 4)),
        (
            {"equation": "abcd,cde->abe", "output_shape": (None, 3), "activation": "relu"},
            (2, 3, 4, 2),
        ),
    ],
)
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_dense_forms_run_as_one_gemm_with_einsums_values(kwargs, shape, activation):
    """The GEMM path (the fused dense op) against the einsum it replaces, in float64: outputs
    and the gradients of the input, kernel and bias."""
    kwargs = {**kwargs, "activation": activation, "dtype": "float64"}
    layer = layers.EinsumDense(**kwargs)
    x = numkeras.Variable(rand(*shape, seed=3))
    layer.build(shape)
    for w in layer.weights:
        w.assign(rand(*w.shape, seed=4))
    r = rand(*layer.compute_output_shape(shape), seed=5)

    def einsum_call(inputs):
        y = einsum(layer.equation, inputs, layer.kernel)
        return layer.activation(y if layer.bias is None else y + layer.bias)

    results = []
    for fused, call in ((True, layer.call), (False, einsum_call)):
        with numkeras.GradientTape() as tape:
            y = call(ops.add(x, 0.0))  # a tensor, as the layer gets in a model
            loss = ops.sum(y * r)
        results.append([y.numpy()] + tape.gradient(loss, [x, *layer.weights]))
        ops_seen = set()
        stack = [y]
        while stack:
            t = stack.pop()
            ops_seen.add(t.op)
            stack += list(t.parents)
        assert ("dense" in ops_seen) == fused
    for got, want in zip(*results):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
