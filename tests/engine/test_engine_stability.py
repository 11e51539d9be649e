"""Numerical stability: extreme inputs give finite values and gradients, and no warnings."""

import warnings

import numpy as np
import pytest

from numkeras import GradientTape, Variable, ops

bce, cce = ops.binary_crossentropy, ops.categorical_crossentropy
EXTREME = np.array([[-1000.0, -60.0, -1.0, 0.0, 2.0, 60.0, 1000.0]], "float32")
HALF = np.full_like(EXTREME, 0.5)


@pytest.mark.parametrize(
    "fn",
    [
        ops.sigmoid,
        ops.softplus,
        ops.softsign,
        ops.silu,
        ops.gelu,
        ops.elu,
        ops.selu,
        ops.tanh,
        ops.softmax,
        ops.log_softmax,
        ops.logsumexp,
        ops.hard_sigmoid,
        pytest.param(lambda z: bce(HALF, z, from_logits=True), id="bce_logits"),
        pytest.param(lambda z: bce(HALF, ops.sigmoid(z)), id="bce_sigmoid"),
        pytest.param(lambda z: bce(HALF, ops.sigmoid(z) * 1), id="bce_clipped"),
        pytest.param(lambda z: cce(HALF, z, from_logits=True), id="cce_logits"),
        pytest.param(lambda z: cce(HALF, ops.softmax(z) * 1), id="cce_clipped"),
        pytest.param(lambda z: ops.sparse_categorical_crossentropy([1], z, True), id="scce_logits"),
    ],
    ids=lambda fn: getattr(fn, "__name__", None),
)
def test_extreme_inputs_give_finite_values_and_gradients_without_warnings(fn):
    x = Variable(EXTREME)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with GradientTape() as tape:
            y = ops.sum(fn(x))
        g = tape.gradient(y, x)
    assert np.isfinite(y.numpy()) and np.isfinite(g).all()
