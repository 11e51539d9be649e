"""The fused dense op (ops/layer_ops/dense.py) that Dense calls: the values and gradients of
matmul, add and relu in turn, bit for bit; float64 gradient check; PyTorch's linear + relu."""

import numpy as np
import pytest

import numkeras
from numkeras import GradientTape, layers, ops
from numkeras.ops.layer_ops.dense import dense
from tests.engine.gradcheck import check_grad, compare_op, rand

SHAPES = [((5, 4), 3), ((2, 3, 4), 6)]  # 2-D, and leading axes the GEMM folds into rows


def separate(x, kernel, bias, relu):
    y = ops.matmul(x, kernel)
    y = y if bias is None else y + bias
    return ops.relu(y) if relu else y


@pytest.mark.parametrize("relu", [True, False])
@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize("x_shape, units", SHAPES)
def test_dense_matches_the_separate_ops_bit_for_bit(x_shape, units, use_bias, relu):
    rng = np.random.default_rng(0)
    x = numkeras.Variable(rng.standard_normal(x_shape).astype("float32"))
    kernel = numkeras.Variable(rng.standard_normal((x_shape[-1], units)).astype("float32"))
    bias = numkeras.Variable(rng.standard_normal(units).astype("float32")) if use_bias else None
    sources = [x, kernel] + ([bias] if use_bias else [])
    r = rng.standard_normal(x_shape[:-1] + (units,)).astype("float32")
    results = []
    for fn in (dense, separate):
        with GradientTape() as tape:
            y = fn(x, kernel, bias, relu=relu) if fn is dense else fn(x, kernel, bias, relu)
            loss = ops.sum(y * r)
        results.append([y.numpy()] + tape.gradient(loss, sources))
    assert 0 < (results[0][0] > 0).mean() < 1
    for got, want in zip(*results):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("relu", [True, False])
@pytest.mark.parametrize("x_shape, units", SHAPES)
def test_dense_gradcheck(x_shape, units, relu):
    check_grad(
        lambda x, k, b: dense(x, k, b, relu=relu),
        rand(*x_shape),
        rand(x_shape[-1], units, seed=1),
        rand(units, seed=2),
    )
    check_grad(
        lambda x, k: dense(x, k, relu=relu), rand(*x_shape), rand(x_shape[-1], units, seed=1)
    )


@pytest.mark.oracle
@pytest.mark.parametrize("relu", [True, False])
def test_dense_matches_torch(torch, relu):
    def reference(x, k, b):
        y = torch.nn.functional.linear(x, k.T, b)
        return torch.relu(y) if relu else y

    compare_op([(2, 3, 4), (4, 5), (5,)], reference, lambda x, k, b: dense(x, k, b, relu=relu))


def test_dense_rejects_mismatched_shapes():
    x = ops.convert_to_tensor(np.ones((2, 3), "float32"))
    kernel = ops.convert_to_tensor(np.ones((4, 5), "float32"))
    with pytest.raises(ValueError, match=r"Op `dense`.*\(2, 3\).*\(4, 5\)"):
        dense(x, kernel)


def test_the_layer_takes_the_fused_op_only_for_one_float_dtype():
    layer = layers.Dense(3, activation="relu")
    y = layer(np.ones((2, 4), "float32"))
    assert y.op == "dense"
    # float64 inputs (a direct `call`; `__call__` casts) meet the float32 kernel: matmul's
    # promotion, not the fused op
    y = layer.call(ops.convert_to_tensor(np.ones((2, 4), "float64")))
    assert y.op != "dense" and y.dtype == "float64"
    softmax = layers.Dense(3, activation="softmax")(np.ones((2, 4), "float32"))
    assert softmax.op == "softmax" and softmax._keras_logits.op == "dense"
