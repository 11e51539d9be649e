"""Linear-algebra ops against real keras.ops.linalg (torch backend), and float64 gradients."""

import numpy as np
import pytest

from numkeras import ops
from tests.engine.gradcheck import check_grad, rand
from tests.ops.oracle import compare_with_keras, keras_ops

M = rand(2, 3, 3, seed=1, dtype="float32")
SPD = (M @ np.swapaxes(M, -1, -2) + 3 * np.eye(3)).astype("float32")
TALL = rand(5, 3, seed=2, dtype="float32")
B = rand(2, 3, 2, seed=3, dtype="float32")
VEC = rand(2, 3, seed=4, dtype="float32")

FORWARD = [
    ("linalg.inv", (SPD,), {}),
    ("linalg.det", (M,), {}),
    ("slogdet", (M,), {}),
    ("logdet", (SPD,), {}),
    ("linalg.solve", (M, B), {}),
    ("linalg.solve_triangular", (M, B), {}),
    ("linalg.solve_triangular", (M, B), {"lower": True}),
    ("linalg.cholesky", (SPD,), {}),
    ("linalg.cholesky", (SPD,), {"upper": True}),
    ("linalg.cholesky_inverse", (np.linalg.cholesky(SPD),), {}),
    ("linalg.svd", (TALL,), {"compute_uv": False}),
    ("linalg.matrix_rank", (TALL,), {}),
    ("linalg.pinv", (TALL,), {}),
    ("linalg.lstsq", (TALL, TALL[:, :2]), {}),
    ("linalg.qr", (TALL,), {}),
    ("linalg.qr", (TALL,), {"mode": "complete"}),
    ("linalg.lu_factor", (M,), {}),
    *[
        ("linalg.norm", (M,), kw)
        for kw in [
            {},
            {"axis": -1},
            {"ord": 1, "axis": 1},
            {"ord": np.inf, "axis": -1},
            {"ord": -np.inf, "axis": 2},
            {"ord": 0, "axis": -1},
            {"ord": 3, "axis": -1},
            {"ord": "fro", "axis": (1, 2)},
            {"ord": 1, "axis": (1, 2)},
            {"ord": -1, "axis": (1, 2)},
            {"ord": np.inf, "axis": (1, 2), "keepdims": True},
            {"ord": "nuc", "axis": (1, 2)},
            {"ord": 2, "axis": (1, 2)},
            {"ord": -2, "axis": (1, 2)},
        ]
    ],
    ("linalg.norm", (TALL,), {"ord": "nuc"}),
]


@pytest.mark.parametrize("name,args,kwargs", FORWARD, ids=lambda v: v if isinstance(v, str) else "")
def test_matches_keras(name, args, kwargs):
    compare_with_keras(
        name, args, kwargs, atol=2e-5, rtol=1e-4, check_dtype=name != "linalg.lu_factor"
    )  # Keras-torch: int64 pivots


def test_decompositions_match_keras_up_to_signs():
    kops = keras_ops()
    w, v = ops.linalg.eigh(SPD)
    kw, kv = (kops.convert_to_numpy(t) for t in kops.linalg.eigh(SPD))
    np.testing.assert_allclose(np.asarray(w), kw, rtol=1e-5)
    np.testing.assert_allclose(np.abs(np.einsum("bij,bij->bj", v, kv)), 1, atol=1e-5)
    u, s, vh = ops.linalg.svd(TALL)
    assert np.asarray(u).shape == (5, 5) and np.asarray(vh).shape == (3, 3)
    np.testing.assert_allclose(
        np.asarray(u)[:, :3] * np.asarray(s) @ np.asarray(vh), TALL, atol=1e-5
    )
    w, v = ops.linalg.eig(M[0])
    np.testing.assert_allclose(M[0] @ np.asarray(v), np.asarray(v) * np.asarray(w), atol=1e-5)
    lu, piv = (np.asarray(t) for t in ops.linalg.lu_factor(M[0]))
    perm = np.arange(3)
    for j, p in enumerate(piv):
        perm[[j, p]] = perm[[p, j]]
    low, up = np.tril(lu, -1) + np.eye(3), np.triu(lu)
    np.testing.assert_allclose(low @ up, M[0][perm], atol=1e-5)


def _sym(a):
    return (a + ops.transpose(a, (0, 2, 1))) / 2


SPD64 = SPD.astype("float64")
GRAD = [
    ("inv", ops.linalg.inv, [SPD64]),
    ("det", ops.linalg.det, [SPD64]),
    ("slogdet", lambda a: ops.slogdet(a)[1], [SPD64]),
    ("logdet", ops.logdet, [SPD64]),
    ("solve", ops.linalg.solve, [SPD64, rand(2, 3, 2)]),
    ("solve_vector", ops.linalg.solve, [SPD64, rand(2, 3)]),
    (
        "solve_triangular",
        lambda a, b: ops.linalg.solve_triangular(a, b, lower=True),
        [SPD64, rand(2, 3, 2)],
    ),
    ("cholesky", lambda a: ops.linalg.cholesky(_sym(a)), [SPD64]),
    ("cholesky_upper", lambda a: ops.linalg.cholesky(_sym(a), upper=True), [SPD64]),
    ("cholesky_inverse", lambda a: ops.linalg.cholesky_inverse(a + 3 * np.eye(3)), [SPD64]),
    ("eigh_values", lambda a: ops.linalg.eigh(_sym(a))[0], [SPD64]),
    ("eigh_vectors", lambda a: ops.abs(ops.linalg.eigh(_sym(a))[1]), [SPD64]),
    ("svd_values", lambda a: ops.linalg.svd(a, compute_uv=False), [rand(4, 3)]),
    ("norm_fro", ops.linalg.norm, [rand(3, 4)]),
    ("norm_nuc", lambda a: ops.linalg.norm(a, "nuc"), [rand(3, 4)]),
    ("norm_2", lambda a: ops.linalg.norm(a, 2), [rand(3, 4)]),
    ("norm_1", lambda a: ops.linalg.norm(a, 1), [rand(3, 4)]),
    ("norm_p", lambda a: ops.linalg.norm(a, 3, axis=0), [rand(3, 4)]),
    ("norm_inf", lambda a: ops.linalg.norm(a, np.inf, axis=1, keepdims=True), [rand(3, 4)]),
]


@pytest.mark.parametrize("name,fn,arrays", GRAD, ids=[g[0] for g in GRAD])
def test_gradient(name, fn, arrays):
    check_grad(fn, *arrays, rtol=1e-4, atol=1e-6)


def test_errors():
    with pytest.raises(ValueError, match="square"):
        ops.linalg.inv(TALL)
    with pytest.raises(ValueError, match="positive definite"):
        ops.linalg.cholesky(-SPD)
    with pytest.raises(ValueError, match="mode"):
        ops.linalg.qr(TALL, mode="r")
