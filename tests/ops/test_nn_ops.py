"""Neural-network ops against real keras.ops (torch backend), and their gradients in float64."""

import numpy as np
import pytest

from numkeras import ops
from tests.engine.gradcheck import check_grad, rand
from tests.ops.oracle import compare_with_keras

X = rand(2, 3, 6, seed=1, low=-3, high=3, dtype="float32")
G = rand(6, seed=2, low=0.5, high=1.5, dtype="float32")
B = rand(6, seed=3, dtype="float32")

FORWARD = [
    *[
        (n, (X,), {})
        for n in [
            "celu",
            "glu",
            "hard_shrink",
            "hard_silu",
            "hard_swish",
            "hard_tanh",
            "log_sigmoid",
            "soft_shrink",
            "sparse_plus",
            "sparse_sigmoid",
            "squareplus",
            "tanh_shrink",
        ]
    ],
    ("celu", (X,), {"alpha": 0.5}),
    ("glu", (X[:, :2],), {"axis": 1}),
    ("hard_shrink", (X,), {"threshold": 1.0}),
    ("soft_shrink", (X,), {"threshold": 1.0}),
    ("squareplus", (X,), {"b": 2}),
    ("threshold", (X, 0.5, -1.0), {}),
    ("moments", (X, [0, 2]), {}),
    ("moments", (X, [1]), {"keepdims": True}),
    ("batch_normalization", (X, B, G, -1), {}),
    ("batch_normalization", (X, B, G, 2), {"offset": B, "scale": G, "epsilon": 0.1}),
    ("layer_normalization", (X,), {}),
    ("layer_normalization", (X, G, B), {"epsilon": 1e-3}),
    ("layer_normalization", (X,), {"axis": (1, 2)}),
    ("layer_normalization", (X, G), {"rms_scaling": True}),
    ("rms_normalization", (X,), {}),
    ("rms_normalization", (X, G), {"epsilon": 1e-2}),
    ("normalize", (X,), {}),
    ("normalize", (X,), {"axis": 1, "order": 1}),
    ("normalize", (X,), {"order": 3}),
    ("psnr", (X, X * 0.9, 3.0), {}),
]


@pytest.mark.parametrize("name,args,kwargs", FORWARD, ids=lambda v: v if isinstance(v, str) else "")
def test_matches_keras(name, args, kwargs):
    compare_with_keras(name, args, kwargs, atol=2e-5, rtol=1e-4)


def _sparsemax_reference(row):
    """Martins & Astudillo (2016), algorithm 1, one row at a time."""
    z = np.sort(row)[::-1]
    k = np.arange(1, len(z) + 1)
    support = 1 + k * z > np.cumsum(z)
    k_max = k[support][-1]
    tau = (np.cumsum(z)[k_max - 1] - 1) / k_max
    return np.maximum(row - tau, 0)


@pytest.mark.parametrize("axis", [-1, 1])
def test_sparsemax_matches_the_paper(axis):
    # Keras-torch's sparsemax rows do not sum to 1, so the paper's algorithm is the oracle
    expected = np.apply_along_axis(_sparsemax_reference, axis, X.astype("float64"))
    np.testing.assert_allclose(np.asarray(ops.sparsemax(X, axis=axis)), expected, atol=1e-6)


def test_sparsemax_is_a_simplex_projection():
    y = np.asarray(ops.sparsemax(X))
    np.testing.assert_allclose(y.sum(-1), 1, rtol=1e-6)
    assert (y >= 0).all()
    # KKT: for support entries, x - y equals one threshold tau per row
    tau = np.where(y > 0, X - y, np.nan)
    np.testing.assert_allclose(np.nanmax(tau, -1), np.nanmin(tau, -1), atol=1e-6)


GRAD = [
    *[
        (n, getattr(ops, n), [rand(2, 6, seed=1, low=-3, high=3)])
        for n in [
            "celu",
            "glu",
            "hard_shrink",
            "hard_silu",
            "hard_tanh",
            "log_sigmoid",
            "soft_shrink",
            "sparse_plus",
            "sparse_sigmoid",
            "squareplus",
            "tanh_shrink",
            "sparsemax",
            "rms_normalization",
            "normalize",
            "layer_normalization",
        ]
    ],
    ("threshold", lambda x: ops.threshold(x, 0.3, 2.0), [rand(2, 6)]),
    ("moments", lambda x: ops.moments(x, [0])[1], [rand(3, 4)]),
    (
        "batch_normalization",
        lambda x, mu, var, o, s: ops.batch_normalization(x, mu, var, 1, offset=o, scale=s),
        [rand(2, 3), rand(3, seed=1), rand(3, seed=2, low=0.5), rand(3, seed=3), rand(3, seed=4)],
    ),
    (
        "layer_normalization_affine",
        lambda x, g, b: ops.layer_normalization(x, g, b),
        [rand(2, 4), rand(4, seed=1), rand(4, seed=2)],
    ),
    ("normalize_l1", lambda x: ops.normalize(x, order=1), [rand(2, 4)]),
    ("psnr", lambda a, b: ops.psnr(a, b, 2.0), [rand(2, 3), rand(2, 3, seed=1)]),
]


@pytest.mark.parametrize("name,fn,arrays", GRAD, ids=[g[0] for g in GRAD])
def test_gradient(name, fn, arrays):
    check_grad(fn, *arrays)


def test_errors():
    with pytest.raises(ValueError, match="divisible by 2"):
        ops.glu(np.ones((2, 3)))
    with pytest.raises(ValueError, match="order"):
        ops.normalize(X, order=0)
    with pytest.raises(ValueError, match="PSNR"):
        ops.psnr(X, X[0], 1.0)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_sigmoid_has_the_two_branch_formulas_bits_for_any_input(dtype):
    """sigmoid is 1 / (1 + exp(-x)) for x >= 0 and exp(x) / (1 + exp(x)) below, exps of
    non-positive numbers only (no overflow), computed without a select; 0-d inputs too."""
    from numkeras.ops.layer_ops.nn_ops import _sigmoid

    x = (np.random.default_rng(0).standard_normal(1000) * 40).astype(dtype)
    x[:6] = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-30]
    z = np.exp(-np.abs(x))
    want = np.where(x >= 0, 1 / (1 + z), z / (1 + z)).astype(dtype)
    with np.errstate(over="raise", divide="raise", invalid="ignore"):  # no overflow
        got = _sigmoid(x)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, want)
    scalar, e = _sigmoid(np.asarray(-3.0, dtype)), np.exp(np.asarray(-3.0, dtype))
    assert isinstance(scalar, np.ndarray) and scalar.shape == () and scalar == e / (1 + e)


def test_sigmoid_and_its_cross_entropy_in_pieces_match_one_piece_on_any_thread_count(
    monkeypatch, same_bits_on_thread_counts
):
    """Above 2 * PIECE values the forward passes run in pieces on the kernel threads: every
    value is the one a single piece gives (none skipped or misplaced), on 1, 2 and 3 threads;
    the gradient is sigmoid(z) - t from the forward pass's sigmoid."""
    import numkeras
    from numkeras.ops.layer_ops import nn_ops

    monkeypatch.setattr(nn_ops, "PIECE", 100)  # 1000 values: 10 pieces
    z = numkeras.Variable((rand(10, 100, seed=4, low=-4, high=4) ** 3).astype("float32"))
    t = rand(10, 100, seed=5, low=0, high=1, dtype="float32")
    g = rand(10, 100, seed=6, low=0.5, high=1.5, dtype="float32")

    def run():
        with numkeras.GradientTape():
            loss = nn_ops.sigmoid_cross_entropy(t, z)
        return [nn_ops._sigmoid(z.numpy()), loss, *loss.vjp(g)[1:]]

    sigmoid, loss, gz = same_bits_on_thread_counts(run)
    monkeypatch.setattr(nn_ops, "PIECE", 10**6)  # one piece
    with numkeras.GradientTape():
        whole = nn_ops.sigmoid_cross_entropy(t, z)
    np.testing.assert_array_equal(sigmoid, nn_ops._sigmoid(z.numpy()))
    np.testing.assert_array_equal(loss, whole.numpy())
    np.testing.assert_array_equal(gz, g * (sigmoid - t))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_log1p_of_exp_is_within_4_ulps(dtype):
    """The loss's log(1 + e), e = exp(-|z|) in [0, 1], from log(1 + e) and its rounding."""
    from numkeras.ops.layer_ops.nn_ops import _log1p

    e = np.exp(-np.abs(np.random.default_rng(0).standard_normal(100_000) * 10)).astype(dtype)
    e[:4] = [0, 1e-30, 1e-8, 1]
    got = _log1p(e, e + 1)
    want = np.log1p(e.astype(np.longdouble))
    ulps = np.abs(got - want) / np.spacing(want.astype(dtype))
    assert got.dtype == dtype and got[0] == 0 and ulps.max() <= 4


@pytest.mark.parametrize("overwrite_x", [False, True])
def test_bias_relu_in_pieces_matches_one_pass_on_any_thread_count(
    monkeypatch, same_bits_on_thread_counts, overwrite_x
):
    """Above 2 * ROWS_PIECE values bias_relu runs in pieces along the first axis: the values
    and input gradient are one pass's bits, the bias gradient its sum up to rounding (pieces'
    sums added in order), on 1, 2 and 3 threads."""
    import numkeras
    from numkeras.ops.layer_ops import nn_ops

    x0 = rand(9, 5, 8, seed=7, low=-2, high=2, dtype="float32")
    bias = numkeras.Variable(rand(8, seed=8, dtype="float32"))
    g = rand(9, 5, 8, seed=9, dtype="float32")

    def run():
        x = numkeras.Variable(x0)
        with numkeras.GradientTape():
            y = nn_ops.bias_relu(x.value if overwrite_x else x, bias, overwrite_x=overwrite_x)
        return [y, *y.vjp(g)]

    monkeypatch.setattr(nn_ops, "ROWS_PIECE", 60)  # 360 values: 9 pieces of one image
    y, gx, gb = same_bits_on_thread_counts(run)
    monkeypatch.setattr(nn_ops, "ROWS_PIECE", 10**6)  # one pass
    y1, gx1, gb1 = run()
    np.testing.assert_array_equal(y, np.maximum(x0 + bias.numpy(), 0))
    np.testing.assert_array_equal(y, y1)
    np.testing.assert_array_equal(gx, gx1)
    np.testing.assert_allclose(gb, gb1, rtol=1e-6)
    np.testing.assert_allclose(gb, (g * (y > 0)).sum(axis=(0, 1)), rtol=1e-5)
