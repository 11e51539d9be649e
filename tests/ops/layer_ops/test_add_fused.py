"""add_relu and add_relu_mean (ops/layer_ops/add_fused.py) against central differences, the
separate ops and torch, and the same bits for any chunking or thread count."""

import numpy as np
import pytest

import numkeras
from numkeras import ops
from numkeras.ops.layer_ops import add_relu
from numkeras.ops.layer_ops.add_fused import add_relu_mean
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


@pytest.mark.parametrize("shape", [(3, 6, 4), (2, 3, 2, 4)])
def test_add_relu_mean_gradients_match_central_differences(shape):
    check_grad(add_relu_mean, rand(*shape), rand(*shape, seed=1))


def _separate(a, b):
    """mean(relu(a + b)) over the pixels by the layers' ops, and its VJP for g."""
    with numkeras.GradientTape(persistent=True):
        y = ops.mean(add_relu(a, b), axis=tuple(range(1, len(a.shape) - 1)))
    return y, lambda g: y.parents[0].vjp(np.asarray(y.vjp(g)[0]))


@pytest.mark.parametrize("shape", [(6, 40, 32), (4, 8, 8, 16), (3, 7, 5)])
def test_add_relu_mean_equals_the_separate_ops(shape):
    """The mean to float32 rounding (summed in another order); the gradient bit for bit, one
    array for both inputs as add_relu hands out."""
    a, b = (numkeras.Variable(rand(*shape, seed=k, dtype="float32")) for k in (1, 2))
    g = rand(shape[0], shape[-1], seed=3, dtype="float32")
    with numkeras.GradientTape(persistent=True):
        y = add_relu_mean(a, b)
    want, want_vjp = _separate(a, b)
    assert y.op == "add_relu_mean" and y.shape == (shape[0], shape[-1]) and y.dtype == "float32"
    np.testing.assert_allclose(np.asarray(y), np.asarray(want), rtol=1e-6, atol=1e-7)
    ga, gb = y.vjp(g)
    assert ga is gb
    np.testing.assert_array_equal(ga, want_vjp(g)[0])


def test_add_relu_mean_chunks_and_threads_give_the_same_bits(monkeypatch, thread_counts):
    from numkeras.ops.layer_ops import add_fused

    a, b = (numkeras.Variable(rand(20, 50, 32, seed=k, dtype="float32")) for k in (1, 2))
    g = rand(20, 32, seed=3, dtype="float32")
    results = []
    for n, chunk in (
        (1, 1 << 20),
        (1, 3 * 50 * 32 * 4),
        (2, 3 * 50 * 32 * 4),
        (3, 3 * 50 * 32 * 4),
    ):
        monkeypatch.setattr(add_fused, "SAMPLE_CHUNK_BYTES", chunk)  # 1 chunk, or 3 samples each
        thread_counts(n)
        with numkeras.GradientTape(persistent=True):
            y = add_relu_mean(a, b)
        results.append([np.asarray(y), y.vjp(g)[0]])
    for got in results[1:]:
        for x, want in zip(got, results[0]):
            np.testing.assert_array_equal(x, want)


def test_add_relu_mean_refuses_shapes_it_does_not_cover():
    with pytest.raises(ValueError, match="add_relu_mean.*\\(4, 3\\)"):
        add_relu_mean(rand(4, 3), rand(4, 3))
    with pytest.raises(ValueError, match="add_relu_mean"):
        add_relu_mean(rand(2, 3, 4), rand(2, 3, 5))


@pytest.mark.parametrize("shape", [(4, 6, 5), (3, 4, 5, 6)])
def test_add_relu_mean_matches_torch(shape):
    torch = pytest.importorskip("torch")
    dims = tuple(range(1, len(shape) - 1))
    compare_op([shape, shape], lambda a, b: torch.relu(a + b).mean(dim=dims), add_relu_mean)
