"""ops/layer_ops/norm_fused.py: batch normalization with relu, in training (batch statistics)
and inference (moving statistics) modes, against central differences, the separate ops and
PyTorch."""

import numpy as np
import pytest

from numkeras import ops
from numkeras.ops.layer_ops.nn_ops import relu
from numkeras.ops.layer_ops.norm_fused import batch_norm_moving_relu, batch_norm_train
from tests.engine.gradcheck import check_grad, compare_op, rand

AFFINE = [(True, True), (True, False), (False, True), (False, False)]


def _split(affine, params):
    it = iter(params)
    return (next(it) if affine[0] else None), (next(it) if affine[1] else None)


@pytest.mark.parametrize("affine", AFFINE)
def test_batch_norm_relu_gradients_match_central_differences(affine):
    params = [rand(4, seed=k) for k, use in zip((1, 2), affine) if use]

    def fn(x, *p):
        return batch_norm_train(x, *_split(affine, p), 1e-3, relu=True)[0]

    check_grad(fn, rand(3, 2, 4), *params)


@pytest.mark.parametrize("affine", AFFINE)
def test_moving_batch_norm_relu_gradients_match_central_differences(affine):
    params = [rand(4, seed=k) for k, use in zip((1, 2), affine) if use]
    mean, var = rand(4, seed=3, low=-0.5, high=0.5), rand(4, seed=4, low=0.5, high=2)

    def fn(x, *p):
        return batch_norm_moving_relu(x, *_split(affine, p), mean, var, 1e-3)

    check_grad(fn, rand(3, 2, 4), *params)


@pytest.mark.parametrize("relu", [True, False])
def test_chunks_with_a_short_last_one_give_the_whole_arrays_results(relu, monkeypatch):
    """Rows of 1,024 values, per-channel factors tiled to 2 rows, in chunks of up to 6 rows:
    6 chunks of whole tiles over 20 rows, the last ones shrinking (6, 4, 4, 2, 2, 2)."""
    from numkeras.ops.layer_ops import norm_fused

    x = rand(20, 32, 32, low=-3, high=5)
    gamma, beta = (ops.convert_to_tensor(rand(32, seed=k)) for k in (1, 2))
    whole = batch_norm_train(x, gamma, beta, 1e-3, relu)
    monkeypatch.setattr(norm_fused, "CHUNK_BYTES", 6 * 1024 * 8)
    monkeypatch.setattr(norm_fused, "TILE_ROWS", 2)
    rows = x.reshape(-1, 1024)
    chunks = norm_fused._chunks(rows)
    assert [c.stop - c.start for c in chunks] == [6, 4, 4, 2, 2, 2]
    assert norm_fused._tiled(np.arange(32.0), 32, rows).shape == (2, 1024)
    chunked = batch_norm_train(x, gamma, beta, 1e-3, relu)
    for got, want in zip(chunked, whole):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-12, atol=1e-12)
    check_grad(lambda *a: batch_norm_train(*a, 1e-3, relu)[0], x[:4], rand(32), rand(32, seed=1))


@pytest.mark.parametrize("n, tile", [(21, 7), (17, 1), (48, 16), (1, 1)])
def test_factors_are_tiled_to_a_divisor_of_the_rows(n, tile):
    """The tiled factors' rows divide the rows (at most TILE_ROWS): every chunk is whole
    tiles, and the moving-statistics op gives its separate ops' values at each shape."""
    from numkeras.ops.layer_ops import norm_fused

    assert norm_fused._tile_rows(n) == tile
    x = rand(n, 4, 256, low=-2, high=2)  # rows of 1,024 values
    chunks = norm_fused._chunks(x.reshape(n, -1))
    assert all((c.stop - c.start) % tile == 0 for c in chunks) and chunks[-1].stop == n
    gamma, beta = rand(256, seed=1), rand(256, seed=2)
    mean, var = rand(256, seed=3, low=-0.5, high=0.5), rand(256, seed=4, low=0.5, high=2)
    got = batch_norm_moving_relu(x, gamma, beta, mean, var, 1e-3)
    want = np.maximum((x - mean) / np.sqrt(var + 1e-3) * gamma + beta, 0)
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("relu", [True, False])
def test_inputs_far_from_zero_take_the_two_pass_statistics(relu):
    """A mean of 40 deviations: E[x^2] - mean^2 would lose every digit; the centred pass
    keeps the float64 results."""
    from numkeras.ops.layer_ops import norm_fused

    x = rand(4, 3, 5) + 80.0
    mean, var, centred = norm_fused._statistics(*_statistics_args(x))
    assert centred is not None
    np.testing.assert_allclose(var, x.reshape(-1, 5).var(axis=0), rtol=1e-12)
    check_grad(lambda *a: batch_norm_train(*a, 1e-3, relu)[0], x, rand(5), rand(5, seed=1))


def _statistics_args(x):
    from numkeras.ops.layer_ops import norm_fused

    rows, r = norm_fused._rows(x.reshape(-1, x.shape[-1]), x.shape[-1])
    return rows, norm_fused._chunks(rows), r, x.dtype.type(x.size // x.shape[-1])


@pytest.mark.parametrize("offset", [0.0, 3.0])
def test_one_pass_statistics_where_the_mean_is_within_two_deviations(offset):
    """Uniform values in [-2, 2) shifted by 0 or 3 (mean / deviation 0 and 2.6): one pass,
    then two; float32 results within float32 rounding of the float64 ones either way."""
    from numkeras.ops.layer_ops import norm_fused

    x = rand(64, 8, 8, 16, dtype="float32") + np.float32(offset)
    mean, var, centred = norm_fused._statistics(*_statistics_args(x))
    assert (centred is None) == (offset == 0.0)
    want = x.astype("float64").reshape(-1, 16)
    np.testing.assert_allclose(mean, want.mean(axis=0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(var, want.var(axis=0), rtol=1e-5)


def test_batch_norm_relu_equals_the_separate_ops_bit_for_bit():
    x = rand(6, 5, 8, low=-3, high=5, dtype="float32")
    gamma, beta = (ops.convert_to_tensor(rand(8, seed=k, dtype="float32")) for k in (1, 2))
    y, mean, var = batch_norm_train(x, gamma, beta, 1e-3, relu=True)
    z, want_mean, want_var = batch_norm_train(x, gamma, beta, 1e-3)
    assert y.op == "batch_norm_relu" and (np.asarray(y) > 0).any() and (np.asarray(y) == 0).any()
    np.testing.assert_array_equal(np.asarray(y), np.asarray(relu(z)))
    np.testing.assert_array_equal(mean, want_mean)
    np.testing.assert_array_equal(var, want_var)


def test_moving_batch_norm_relu_equals_the_layers_formula():
    x = rand(6, 5, 8, low=-3, high=5, dtype="float32")
    gamma, beta, mean = (rand(8, seed=k, dtype="float32") for k in (1, 2, 3))
    var = rand(8, seed=4, low=0.5, high=2, dtype="float32")
    y = batch_norm_moving_relu(
        x, ops.convert_to_tensor(gamma), ops.convert_to_tensor(beta), mean, var, 1e-3
    )
    inv = gamma / np.sqrt(var + np.float32(1e-3))
    want = np.maximum(x * inv + (beta - mean * inv), 0)
    np.testing.assert_allclose(np.asarray(y), want, rtol=1e-6, atol=1e-6)
    assert y.dtype == "float32"


def test_outputs_are_computed_when_the_op_runs():
    buf = rand(4, 3, 5, dtype="float32")
    y = batch_norm_train(buf, None, None, 1e-3, relu=True)[0]
    z = batch_norm_moving_relu(buf, None, None, np.zeros(5, "float32"), np.ones(5, "float32"), 0)
    want_y, want_z = np.asarray(y).copy(), np.asarray(z).copy()
    buf[:] = 0
    np.testing.assert_array_equal(np.asarray(y), want_y)
    np.testing.assert_array_equal(np.asarray(z), want_z)
    np.testing.assert_array_equal(want_z, np.maximum(rand(4, 3, 5, dtype="float32"), 0))


def _torch_channels_first(t):
    return t.movedim(-1, 1)


def test_batch_norm_relu_matches_torch():
    torch = pytest.importorskip("torch")

    def theirs(x, gamma, beta):
        y = torch.nn.functional.batch_norm(
            _torch_channels_first(x), None, None, gamma, beta, training=True, eps=1e-3
        )
        return torch.relu(y).movedim(1, -1)

    def ours(x, gamma, beta):
        return batch_norm_train(x, gamma, beta, 1e-3, relu=True)[0]

    compare_op([(8, 5, 6), (6,), (6,)], theirs, ours, grad_atol=1e-4)
    far = rand(8, 5, 6, dtype="float32") + np.float32(50)  # the two-pass statistics
    compare_op([far, (6,), (6,)], theirs, ours, grad_atol=1e-4)


def test_moving_batch_norm_relu_matches_torch():
    torch = pytest.importorskip("torch")
    mean = rand(6, seed=5, low=-0.5, high=0.5, dtype="float32")
    var = rand(6, seed=6, low=0.5, high=2, dtype="float32")

    def theirs(x, gamma, beta):
        y = torch.nn.functional.batch_norm(
            _torch_channels_first(x),
            torch.tensor(mean),
            torch.tensor(var),
            gamma,
            beta,
            training=False,
            eps=1e-3,
        )
        return torch.relu(y).movedim(1, -1)

    def ours(x, gamma, beta):
        return batch_norm_moving_relu(x, gamma, beta, mean, var, 1e-3)

    compare_op([(8, 5, 6), (6,), (6,)], theirs, ours)


def test_a_broadcast_upstream_gradient_gives_the_gradients_of_its_copy():
    """GlobalAveragePooling hands back a broadcast view; it is masked where it is."""
    import numkeras

    x = numkeras.Variable(rand(4, 6, 5, dtype="float32"))
    gamma, beta = (numkeras.Variable(rand(5, seed=k, dtype="float32")) for k in (1, 2))
    g = np.broadcast_to(rand(4, 1, 5, seed=3, dtype="float32"), (4, 6, 5))
    moving = rand(5, seed=4, dtype="float32"), rand(5, seed=5, low=0.5, high=2, dtype="float32")
    with numkeras.GradientTape(persistent=True):
        ys = [
            batch_norm_train(x, gamma, beta, 1e-3, relu=True)[0],
            batch_norm_moving_relu(x, gamma, beta, *moving, 1e-3),
        ]
    for y in ys:
        for got, want in zip(y.vjp(g), y.vjp(np.ascontiguousarray(g))):
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("relu", [True, False])
@pytest.mark.parametrize("shift", [0, 40])  # one-pass statistics, two-pass
@pytest.mark.parametrize("shortcut", [False, True])
def test_results_do_not_depend_on_the_thread_count(
    relu, shift, shortcut, monkeypatch, same_bits_on_thread_counts
):
    import numkeras
    from numkeras.ops.layer_ops import norm_fused

    monkeypatch.setattr(norm_fused, "CHUNK_BYTES", 3 * 1024 * 4)  # 7 chunks, 7 tasks
    x = numkeras.Variable(rand(20, 32, 32, low=-3 + shift, high=5 + shift, dtype="float32"))
    gamma, beta = (numkeras.Variable(rand(32, seed=k, dtype="float32")) for k in (1, 2))
    g = rand(20, 32, 32, seed=3, dtype="float32")
    residual = numkeras.Variable(rand(20, 32, 32, seed=4, dtype="float32")) if shortcut else None

    def run():
        with numkeras.GradientTape(persistent=True):
            y, mean, var = batch_norm_train(x, gamma, beta, 1e-3, relu, residual)
        return [y, mean, var, *y.vjp(g)]

    same_bits_on_thread_counts(run)


@pytest.mark.parametrize("relu", [True, False])
@pytest.mark.parametrize("affine", AFFINE)
def test_a_residual_gets_gradients_matching_central_differences(affine, relu):
    params = [rand(4, seed=k) for k, use in zip((1, 2), affine) if use]

    def fn(x, res, *p):
        return batch_norm_train(x, *_split(affine, p), 1e-3, relu, residual=res)[0]

    check_grad(fn, rand(3, 2, 4), rand(3, 2, 4, seed=5), *params)
    far = rand(3, 2, 4) + 40.0  # the two-pass statistics
    check_grad(fn, far, rand(3, 2, 4, seed=5), *params)


@pytest.mark.parametrize("shift", [0.0, 40.0])
def test_norm_add_relu_equals_the_separate_ops_bit_for_bit(shift):
    """BatchNormalization -> Add -> relu: the same bits as batch_norm_train then add_relu, the
    shortcut's gradient included, also for an upstream gradient broadcast from a pooling."""
    import numkeras
    from numkeras.ops.layer_ops import add_relu

    x = numkeras.Variable(rand(6, 5, 8, low=-3, high=5, dtype="float32") + np.float32(shift))
    res = numkeras.Variable(rand(6, 5, 8, seed=3, low=-1, high=1, dtype="float32"))
    gamma, beta = (numkeras.Variable(rand(8, seed=k, dtype="float32")) for k in (1, 2))
    with numkeras.GradientTape(persistent=True):
        y, mean, var = batch_norm_train(x, gamma, beta, 1e-3, True, residual=res)
        z, want_mean, want_var = batch_norm_train(x, gamma, beta, 1e-3)
        want = add_relu(res, z)
    assert y.op == "batch_norm_add_relu" and (np.asarray(y) == 0).any()
    np.testing.assert_array_equal(np.asarray(y), np.asarray(want))
    np.testing.assert_array_equal(mean, want_mean)
    np.testing.assert_array_equal(var, want_var)
    for g in (
        rand(6, 5, 8, seed=4, dtype="float32"),
        np.broadcast_to(rand(6, 1, 8, seed=4, dtype="float32"), (6, 5, 8)),
    ):
        gx, gres, ggamma, gbeta = y.vjp(g)
        gres_want, gz = want.vjp(g)
        for got, expected in zip(
            (gx, gres, ggamma, gbeta), (*z.vjp(gz)[:1], gres_want, *z.vjp(gz)[1:])
        ):
            np.testing.assert_array_equal(got, expected)


def test_a_residual_of_another_shape_is_refused():
    with pytest.raises(ValueError, match="batch_norm_train.*residual.*\\(2, 3, 4\\)"):
        batch_norm_train(rand(2, 3, 4), None, None, 1e-3, True, residual=rand(2, 3, 5))


def test_norm_add_relu_matches_torch():
    torch = pytest.importorskip("torch")

    def theirs(x, res, gamma, beta):
        y = torch.nn.functional.batch_norm(
            _torch_channels_first(x), None, None, gamma, beta, training=True, eps=1e-3
        )
        return torch.relu(y.movedim(1, -1) + res)

    def ours(x, res, gamma, beta):
        return batch_norm_train(x, gamma, beta, 1e-3, True, residual=res)[0]

    compare_op([(8, 5, 6), (8, 5, 6), (6,), (6,)], theirs, ours, grad_atol=1e-4)
