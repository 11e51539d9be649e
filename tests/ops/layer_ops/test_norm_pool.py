"""ops/layer_ops/norm_pool.py: batch normalization (batch statistics) + relu + the mean over
the steps or pixels, as one op, against central differences, the separate ops and PyTorch,
and the same bits on any thread count."""

import numpy as np
import pytest

import numkeras
from numkeras import ops
from numkeras.ops.layer_ops.norm_fused import batch_norm_train
from numkeras.ops.layer_ops.norm_pool import batch_norm_relu_mean
from tests.engine.gradcheck import check_grad, compare_op, rand
from tests.ops.layer_ops.test_norm_fused import AFFINE, _split

# inputs around 0 take one-pass statistics; shifted far from 0, two passes (x - mean kept)
SHIFTS = [0, 40]


@pytest.mark.parametrize("shift", SHIFTS)
@pytest.mark.parametrize("shape", [(3, 6, 4), (2, 3, 2, 4)])
@pytest.mark.parametrize("affine", AFFINE)
def test_gradients_match_central_differences(affine, shape, shift):
    params = [rand(4, seed=k, low=-1, high=1) for k, use in zip((1, 2), affine) if use]

    def fn(x, *p):
        return batch_norm_relu_mean(x, *_split(affine, p), 1e-3)[0]

    check_grad(fn, rand(*shape) + shift, *params)


@pytest.mark.parametrize("shift", SHIFTS)
def test_values_and_statistics_equal_the_separate_ops(shift):
    x = numkeras.Variable(rand(6, 30, 8, low=-3, high=5) + shift)
    gamma, beta = (numkeras.Variable(rand(8, seed=k)) for k in (1, 2))
    with numkeras.GradientTape(persistent=True):
        y, mean, var = batch_norm_relu_mean(x, gamma, beta, 1e-3)
        z, want_mean, want_var = batch_norm_train(x, gamma, beta, 1e-3, relu=True)
    assert y.op == "batch_norm_relu_mean" and y.shape == (6, 8)
    assert (np.asarray(z) == 0).any() and (np.asarray(z) > 0).any()
    np.testing.assert_allclose(np.asarray(y), np.asarray(z).mean(axis=1), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(mean, want_mean, rtol=1e-12)
    np.testing.assert_allclose(var, want_var, rtol=1e-12)
    g = rand(6, 8, seed=3)
    ours, theirs = y.vjp(g), z.vjp(np.repeat(g[:, None] / 30, 30, axis=1))
    for got, want in zip(ours, theirs):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_chunks_of_samples_give_the_whole_arrays_results(monkeypatch):
    from numkeras.ops.layer_ops import norm_pool

    x = rand(7, 40, 32, low=-3, high=5)
    gamma, beta = (ops.convert_to_tensor(rand(32, seed=k)) for k in (1, 2))
    whole = batch_norm_relu_mean(x, gamma, beta, 1e-3)
    monkeypatch.setattr(norm_pool, "CHUNK_BYTES", 2 * 40 * 32 * 8)  # 4 chunks, the last short
    assert len(norm_pool._chunks(7, 40 * 32 * 8)) == 4
    chunked = batch_norm_relu_mean(x, gamma, beta, 1e-3)
    for got, want in zip(chunked, whole):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-12, atol=1e-12)


def test_rejects_an_input_without_steps():
    with pytest.raises(ValueError, match="batch_norm_relu_mean.*shape \\(4, 3\\)"):
        batch_norm_relu_mean(rand(4, 3), None, None, 1e-3)


@pytest.mark.parametrize("shape", [(8, 7, 6), (4, 3, 5, 6)])
def test_matches_torch(shape):
    torch = pytest.importorskip("torch")

    def theirs(x, gamma, beta):
        y = torch.nn.functional.batch_norm(
            x.movedim(-1, 1), None, None, gamma, beta, training=True, eps=1e-3
        )
        return torch.relu(y).mean(dim=tuple(range(2, len(shape))))

    def ours(x, gamma, beta):
        return batch_norm_relu_mean(x, gamma, beta, 1e-3)[0]

    compare_op([shape, (6,), (6,)], theirs, ours, grad_atol=1e-4)


def test_results_do_not_depend_on_the_thread_count(monkeypatch, same_bits_on_thread_counts):
    from numkeras.ops.layer_ops import norm_pool

    monkeypatch.setattr(norm_pool, "CHUNK_BYTES", 3 * 50 * 32 * 4)  # 7 chunks, 7 tasks
    x = numkeras.Variable(rand(20, 50, 32, low=-3, high=5, dtype="float32"))
    gamma, beta = (numkeras.Variable(rand(32, seed=k, dtype="float32")) for k in (1, 2))
    g = rand(20, 32, seed=3, dtype="float32")

    def run():
        with numkeras.GradientTape(persistent=True):
            y, mean, var = batch_norm_relu_mean(x, gamma, beta, 1e-3)
        return [y, mean, var, *y.vjp(g)]

    same_bits_on_thread_counts(run)
