"""add_relu (ops/layer_ops/add_fused.py) against central differences, the separate ops, torch."""

import numpy as np
import pytest

from numkeras import ops
from numkeras.ops.layer_ops import add_relu
from tests.engine.gradcheck import check_grad, compare_op, rand


def test_gradients_match_central_differences():
    check_grad(add_relu, rand(3, 4, 5), rand(3, 4, 5, seed=1))


def test_values_equal_the_separate_ops_and_are_computed_when_the_op_runs():
    a, b = rand(70000, seed=2, dtype="float32"), rand(70000, seed=3, dtype="float32")
    want = np.asarray(ops.relu(ops.add(a, b)))
    y = add_relu(a, b)
    a[:] = 0
    assert y.op == "add_relu" and y.dtype == "float32" and (want == 0).any()
    np.testing.assert_array_equal(np.asarray(y), want)


def test_gradients_reach_both_inputs_even_when_they_are_one_tensor():
    check_grad(lambda t: add_relu(t, t), rand(2, 3))


def test_shapes_or_dtypes_that_differ_are_refused():
    with pytest.raises(ValueError, match="add_relu.*shape"):
        add_relu(rand(2, 3), rand(3))
    with pytest.raises(ValueError, match="add_relu"):
        add_relu(rand(2, 3, dtype="float32"), rand(2, 3))


def test_matches_torch():
    torch = pytest.importorskip("torch")
    compare_op([(4, 6, 5), (4, 6, 5)], lambda a, b: torch.relu(a + b), add_relu)
