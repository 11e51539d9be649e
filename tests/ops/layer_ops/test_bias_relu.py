"""The fused `bias_relu` op: float64 central differences and torch agreement, both buffer modes."""

import numpy as np
import pytest

from numkeras import layers
from numkeras.ops.layer_ops.nn_ops import bias_relu
from tests.engine.gradcheck import check_grad, compare_op, rand


@pytest.mark.oracle
@pytest.mark.parametrize("shape", [(5, 3), (2, 4, 4, 3)])
@pytest.mark.parametrize("overwrite_x", [False, True])
def test_bias_relu_gradients_and_torch(shape, overwrite_x):
    # `x * 1` is a fresh intermediate, as the layers' conv/matmul output is when overwritten
    def fn(x, b):
        return bias_relu(x * 1, b, overwrite_x=overwrite_x)

    check_grad(fn, rand(*shape), rand(shape[-1], seed=2))
    torch = pytest.importorskip("torch")
    compare_op([shape, (shape[-1],)], lambda x, b: torch.relu(x + b), fn)


@pytest.mark.parametrize(
    "layer",
    [
        layers.Dense(4, activation="relu", bias_initializer="ones"),
        layers.Conv2D(4, 3, activation="relu", bias_initializer="ones"),
    ],
)
def test_fused_layers_match_unfused(layer):
    x = rand(2, 6, 6, 3, dtype="float32")
    y = np.asarray(layer(x))
    layer.activation = layers.Activation("relu")  # not `activations.relu`: the unfused path
    np.testing.assert_allclose(y, np.asarray(layer(x)), rtol=1e-6)
