"""`GradientTape.gradient(target, sources, output_gradients=g)` on every op's output.

Seeding the backward pass with `g` must give the gradients of `sum(target * g)`, whatever
the op (including layers whose outputs the engine computes in fused kernels).
"""

import numpy as np
import pytest
from gradcheck import analytic_grads, rand
from test_engine_gradcheck import CASES, CONV_CASES, POOL_CASES, inputs

import numkeras
from numkeras import layers


def _layer_case(*stack):
    def fn(x):
        for layer in stack:
            x = layer(x)
        return x

    return fn


LAYER_CASES = [  # layer outputs whose ops the engine may fuse (float64 layers)
    (
        "conv2d_relu",
        _layer_case(layers.Conv2D(3, 3, activation="relu", dtype="float64")),
        [(2, 6, 6, 2)],
    ),
    (
        "conv2d_relu_maxpool",
        _layer_case(
            layers.Conv2D(3, 3, activation="relu", dtype="float64"),
            layers.MaxPooling2D(2, dtype="float64"),
        ),
        [(2, 8, 8, 2)],
    ),
    (
        "conv2d_relu_no_bias",
        _layer_case(layers.Conv2D(2, 2, activation="relu", use_bias=False, dtype="float64")),
        [(1, 5, 5, 3)],
    ),
    ("dense_relu", _layer_case(layers.Dense(4, activation="relu", dtype="float64")), [(3, 5)]),
    (
        "dense_softmax",
        _layer_case(layers.Dense(4, activation="softmax", dtype="float64")),
        [(3, 5)],
    ),
]

ALL_CASES = [pytest.param(f, s, id=n) for n, f, s in CASES + CONV_CASES + POOL_CASES + LAYER_CASES]


@pytest.mark.parametrize("fn, specs", ALL_CASES)
def test_output_gradients_seed_the_backward_pass(fn, specs):
    arrays = [np.asarray(a, "float64") for a in inputs(specs)]
    r = rand(*np.shape(fn(*[numkeras.ops.convert_to_tensor(a) for a in arrays])), seed=7)
    _, expected = analytic_grads(fn, arrays, r)  # gradients of sum(fn(x) * r)
    variables = [numkeras.Variable(a) for a in arrays]
    with numkeras.GradientTape() as tape:
        y = fn(*variables)
    got = tape.gradient(y, variables, output_gradients=r)
    for i, (g, e) in enumerate(zip(got, expected)):
        assert g is not None, f"input {i}: no gradient"
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-12, err_msg=f"input {i}")
