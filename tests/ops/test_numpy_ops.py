"""NumPy-like ops against real keras.ops (torch backend), and their gradients in float64."""

import numpy as np
import pytest

from numkeras import ops
from tests.engine.gradcheck import check_grad, rand
from tests.ops.oracle import compare_with_keras

R = rand(3, 4, seed=1, dtype="float32")
R3 = rand(2, 3, 4, seed=2, dtype="float32")
V = rand(5, seed=3, dtype="float32")
UNIT = rand(3, 4, seed=4, low=-0.9, high=0.9, dtype="float32")
POS = rand(3, 4, seed=5, low=0.5, high=2.5, dtype="float32")
BIG = rand(3, 4, seed=6, low=1.5, high=3.0, dtype="float32")
INTS = np.array([[3, 5, 12], [7, 0, 9]], "int32")
C = (R + 1j * POS).astype("complex64")
NANS = np.array([[1.0, np.nan, 3.0, -2.0], [np.nan, 0.5, 4.0, 2.0]], "float32")

# (op name, positional args, keyword args)
FORWARD = [
    *[
        (n, (R,), {})
        for n in [
            "tan",
            "arctan",
            "sinh",
            "cosh",
            "arcsinh",
            "exp2",
            "expm1",
            "cbrt",
            "deg2rad",
            "rad2deg",
            "erf",
            "erfc",
            "sinc",
            "i0",
            "fabs",
            "ceil",
            "trunc",
            "signbit",
            "isinf",
            "isposinf",
            "isneginf",
            "isreal",
            "real",
            "conj",
            "angle",
            "reciprocal",
        ]
    ],
    *[(n, (C,), {}) for n in ["real", "imag", "conj", "angle", "isreal"]],
    *[(n, (UNIT,), {}) for n in ["arcsin", "arccos", "arctanh", "erfinv"]],
    ("arccosh", (BIG,), {}),
    ("log2", (POS,), {}),
    ("log10", (POS,), {}),
    ("ceil", (INTS,), {}),
    ("erf", (INTS,), {}),
    *[
        (n, (R, POS), {})
        for n in [
            "arctan2",
            "hypot",
            "logaddexp",
            "logaddexp2",
            "fmax",
            "fmin",
            "mod",
            "fmod",
            "floor_divide",
            "divide_no_nan",
            "heaviside",
            "nextafter",
            "isclose",
            "allclose",
        ]
    ],
    ("divide_no_nan", (R, np.array([0.0, 1.0, 0.0, 2.0], "float32")), {}),
    *[(n, (INTS, INTS.T[:2] + 1), {}) for n in []],
    *[
        (n, (INTS, np.array([5, 3, 4], "int32")), {})
        for n in [
            "gcd",
            "lcm",
            "bitwise_and",
            "bitwise_or",
            "bitwise_xor",
            "left_shift",
            "right_shift",
            "bitwise_left_shift",
            "bitwise_right_shift",
            "mod",
            "floor_divide",
        ]
    ],
    ("bitwise_invert", (INTS,), {}),
    ("bitwise_not", (INTS,), {}),
    ("logical_xor", (R > 0, POS > 1.5), {}),
    ("ldexp", (R, np.array([1, -2, 0, 3], "int32")), {}),
    ("nan_to_num", (np.array([np.nan, np.inf, -np.inf, 1.0], "float32"),), {}),
    (
        "nan_to_num",
        (np.array([np.nan, np.inf, -np.inf, 1.0], "float32"),),
        {"nan": 2.0, "posinf": 9.0, "neginf": -9.0},
    ),
    ("diff", (R,), {}),
    ("diff", (R3,), {"n": 2, "axis": 1}),
    ("trapezoid", (R,), {}),
    ("trapezoid", (R,), {"dx": 0.5, "axis": 0}),
    # rearranging
    ("flip", (R3,), {}),
    ("flip", (R3,), {"axis": 1}),
    ("fliplr", (R,), {}),
    ("flipud", (R,), {}),
    ("roll", (R3, 2), {}),
    ("roll", (R3, -1), {"axis": 2}),
    ("rot90", (R3,), {}),
    ("rot90", (R3,), {"k": 3, "axes": (1, 2)}),
    ("ravel", (R3,), {}),
    ("diagonal", (R3,), {}),
    ("diagonal", (R3,), {"offset": 1, "axis1": 1, "axis2": 2}),
    ("diag", (V,), {}),
    ("diag", (V,), {"k": -1}),
    ("diag", (R,), {"k": 1}),
    ("diagflat", (R,), {}),
    ("tril", (R,), {}),
    ("tril", (R3,), {"k": -1}),
    ("triu", (R3,), {"k": 1}),
    ("trace", (R,), {}),
    ("trace", (R3,), {"offset": 1}),
    ("append", (R, R), {}),
    ("append", (R, R), {"axis": 1}),
    ("hstack", ([R, R],), {}),
    ("hstack", ([V, V],), {}),
    ("vstack", ([V, V],), {}),
    ("vstack", ([R, R],), {}),
    ("dstack", ([R, R],), {}),
    ("dstack", ([V, V],), {}),
    ("array_split", (V, 3), {}),
    ("array_split", (R3, 2), {"axis": 2}),
    ("hsplit", (R, 2), {}),
    ("vsplit", (np.ones((4, 2), "float32"), 2), {}),
    ("dsplit", (R3, 2), {}),
    ("get_item", (R, 1), {}),
    ("slice", (R3, (1, 0, 1), (1, 2, 3)), {}),
    ("tri", (3,), {}),
    ("tri", (3, 5, 1), {}),
    ("meshgrid", (V, V[:3]), {}),
    ("meshgrid", (V, V[:3]), {"indexing": "ij"}),
    # creation
    ("array", ([1, 2],), {}),
    ("array", (R,), {"dtype": "float64"}),
    ("copy", (R,), {}),
    ("full_like", (R, 3.0), {}),
    ("full_like", (INTS, 2), {"dtype": "float32"}),
    ("identity", (3,), {}),
    ("logspace", (0.0, 2.0, 5), {}),
    ("logspace", (0.0, 2.0, 4), {"base": 2, "endpoint": False}),
    ("geomspace", (1.0, 8.0, 4), {}),
    ("vander", (V,), {}),
    ("vander", (V,), {"N": 3, "increasing": True}),
    *[(n, (7,), {}) for n in ["bartlett", "blackman", "hamming", "hanning"]],
    ("kaiser", (7, 5.0), {}),
    ("nonzero", (INTS,), {}),
    ("unravel_index", (np.array([1, 7, 11], "int32"), (3, 4)), {}),
    # sorting
    ("sort", (R3,), {}),
    ("sort", (R3,), {"axis": 0}),
    ("argsort", (R3,), {}),
    ("argsort", (R3,), {"axis": 1}),
    ("top_k", (R3, 2), {}),
    ("in_top_k", (np.array([1, 3, 0], "int32"), R, 2), {}),
    ("searchsorted", (np.sort(V), R), {}),
    ("searchsorted", (np.sort(V), R), {"side": "right"}),
    ("digitize", (R, np.sort(V)), {}),
    ("median", (R3,), {}),
    ("median", (R3,), {"axis": 1, "keepdims": True}),
    ("quantile", (R3, 0.3), {}),
    ("quantile", (R3, [0.1, 0.5, 0.9]), {"axis": -1}),
    *[
        ("quantile", (R3, 0.35), {"axis": 1, "method": mth})
        for mth in ["lower", "higher", "midpoint", "nearest"]
    ],
    ("percentile", (R3, 40), {"axis": (0, 2)}),
    ("nanmedian", (NANS,), {"axis": 1}),
    ("nanquantile", (NANS, 0.4), {"axis": 1}),
    ("nanpercentile", (NANS, 75), {}),
    ("unique", (np.array([3, 1, 3, 2, 1], "int32"),), {}),
    (
        "unique",
        (np.array([3, 1, 3, 2, 1], "int32"),),
        {"return_inverse": True, "return_counts": True},
    ),
    ("bincount", (np.array([0, 2, 2, 5], "int32"),), {}),
    ("bincount", (np.array([0, 2, 2, 5], "int32"),), {"weights": V[:4], "minlength": 8}),
    ("histogram", (V,), {"bins": 4}),
    # reductions
    ("cumsum", (R3,), {}),
    ("cumsum", (R3,), {"axis": 1}),
    ("cumsum", (INTS,), {"axis": 0}),
    ("cumprod", (R3,), {"axis": -1}),
    ("cumprod", (R,), {}),
    *[
        (n, (NANS,), {})
        for n in [
            "nansum",
            "nanprod",
            "nanmax",
            "nanmin",
            "nanmean",
            "nanvar",
            "nanstd",
            "nanargmax",
            "nanargmin",
        ]
    ],
    *[
        (n, (NANS,), {"axis": 1})
        for n in ["nansum", "nanmean", "nanstd", "nanargmin", "nancumsum", "nancumprod"]
    ],
    ("ptp", (R3,), {}),
    ("ptp", (R3,), {"axis": 1, "keepdims": True}),
    ("count_nonzero", (INTS,), {}),
    ("count_nonzero", (INTS,), {"axis": 1}),
    ("average", (R3,), {}),
    ("average", (R3,), {"axis": 1, "weights": V[:3]}),
    ("average", (R3,), {"axis": None, "weights": POS[None].repeat(2, 0)[:, :3]}),
    ("isin", (INTS, np.array([5, 9], "int32")), {}),
    # products
    ("einsum", ("ij,jk->ik", R, R.T), {}),
    ("einsum", ("ij,ij->i", R, R), {}),
    ("einsum", ("ii->i", R[:, :3]), {}),
    ("einsum", ("ij->", R), {}),
    ("einsum", ("bij,bjk->bik", R3, np.transpose(R3, (0, 2, 1))), {}),
    ("einsum", ("...ij,jk", R3, R.T), {}),
    ("einsum", ("ij,kj", R, R), {}),
    ("tensordot", (R3, R), {"axes": ([1, 2], [0, 1])}),
    ("tensordot", (R, R.T), {"axes": 1}),
    ("outer", (V, R), {}),
    ("inner", (R, R3), {}),
    ("vdot", (V, V), {}),
    ("kron", (R, V), {}),
    ("cross", (R[:, :3], POS[:, :3]), {}),
    ("cross", (R3[..., :3], V[:3]), {}),
    ("correlate", (V, V[:3]), {}),
    ("correlate", (V, V[:3]), {"mode": "full"}),
    ("correlate", (V, V[:3]), {"mode": "same"}),
    ("correlate", (V[:3], V), {"mode": "same"}),
    ("cdist", (R, POS), {}),
    ("corrcoef", (R,), {}),
]

# Where Keras-torch is wrong or backend-specific, NumPy (Keras's numpy backend) is the oracle
NUMPY_ORACLE = {
    "average": "Keras-torch's weighted average mishandles 1-D weights",
    "cross": "Keras-torch's cross rejects broadcast vectors",
    "nonzero": "Keras-torch returns one 2-D tensor; NumPy/JAX backends a tuple",
    "correlate": "Keras-torch's 'same' mode is wrong when x1 is the shorter input",
}
# index and count dtypes: Keras-torch gives int64 (histogram float32); JAX/NumPy give int32
INDEX_DTYPES = {"top_k", "unique", "histogram"}


def _numpy_reference(name, args, kwargs):
    if name == "nonzero":
        return [i.astype("int32") for i in np.nonzero(*args)]
    return [getattr(np, name)(*args, **kwargs)]


@pytest.mark.parametrize("name,args,kwargs", FORWARD, ids=lambda v: v if isinstance(v, str) else "")
def test_matches_keras(name, args, kwargs):
    if name in NUMPY_ORACLE:
        ours = getattr(ops, name)(*args, **kwargs)
        ours = ours if isinstance(ours, (tuple, list)) else [ours]
        for o, e in zip(ours, _numpy_reference(name, args, kwargs), strict=True):
            np.testing.assert_allclose(np.asarray(o), e, rtol=1e-5, atol=1e-6)
        return
    compare_with_keras(name, args, kwargs, atol=1e-5, check_dtype=name not in INDEX_DTYPES)


def test_argpartition_partitions():
    # Keras-torch's argpartition orders each side differently from NumPy; check the property
    idx = np.asarray(ops.argpartition(R, 2))
    values = np.take_along_axis(R, idx, -1)
    assert (values[:, :2] <= values[:, 2:3]).all() and (values[:, 3:] >= values[:, 2:3]).all()


def P(*shape, seed=0):
    return rand(*shape, seed=seed, low=0.5, high=2.5)


GRAD = [
    *[
        (n, getattr(ops, n), [rand(2, 3, seed=1, low=-0.9, high=0.9)])
        for n in [
            "tan",
            "arcsin",
            "arccos",
            "arctan",
            "sinh",
            "cosh",
            "arcsinh",
            "arctanh",
            "exp2",
            "expm1",
            "erf",
            "erfc",
            "erfinv",
            "sinc",
            "i0",
            "fabs",
            "deg2rad",
            "rad2deg",
            "nan_to_num",
            "copy",
            "real",
            "conj",
        ]
    ],
    *[(n, getattr(ops, n), [P(2, 3)]) for n in ["log2", "log10", "cbrt", "reciprocal"]],
    ("arccosh", ops.arccosh, [rand(2, 3, low=1.5, high=3)]),
    *[
        (n, getattr(ops, n), [rand(2, 3, seed=1), P(3, seed=2)])
        for n in [
            "arctan2",
            "hypot",
            "logaddexp",
            "logaddexp2",
            "fmax",
            "fmin",
            "mod",
            "fmod",
            "divide_no_nan",
        ]
    ],
    ("ldexp", lambda x: ops.ldexp(x, np.array([1, -1, 2], "int32")), [rand(2, 3)]),
    ("diff", lambda x: ops.diff(x, 2, axis=0), [rand(4, 3)]),
    ("trapezoid", lambda y: ops.trapezoid(y, dx=0.3), [rand(3, 4)]),
    *[
        (n, f, [rand(2, 3, 4)])
        for n, f in [
            ("flip", lambda x: ops.flip(x, 1)),
            ("roll", lambda x: ops.roll(x, 1, 2)),
            ("rot90", ops.rot90),
            ("diagonal", ops.diagonal),
            ("tril", lambda x: ops.tril(x, -1)),
            ("triu", ops.triu),
            ("trace", lambda x: ops.trace(x, 1, 1, 2)),
            ("array_split", lambda x: ops.array_split(x, 3, axis=2)[0]),
            ("slice", lambda x: ops.slice(x, (0, 1, 1), (2, 2, 2))),
            ("sort", lambda x: ops.sort(x, 1)),
            ("top_k", lambda x: ops.top_k(x, 2)[0]),
            ("median", lambda x: ops.median(x, axis=1)),
            ("quantile", lambda x: ops.quantile(x, [0.2, 0.7], axis=(0, 2))),
            ("cumsum", lambda x: ops.cumsum(x, 1)),
            ("cumprod", lambda x: ops.cumprod(x, 2)),
            ("ptp", lambda x: ops.ptp(x, 0)),
            ("nansum", ops.nansum),
            ("nanmean", lambda x: ops.nanmean(x, 1)),
            ("nanstd", ops.nanstd),
            ("average", lambda x: ops.average(x, 1, weights=np.array([1.0, 2.0, 3.0]))),
            ("einsum_diag", lambda x: ops.einsum("ijj->i", x[:, :, :3])),
            ("tensordot", lambda x: ops.tensordot(x, x, axes=([0, 1], [0, 1]))),
            ("kron", lambda x: ops.kron(x[0], x[1, :2])),
            ("cross", lambda x: ops.cross(x[0, :, :3], x[1, :, 1:])),
            ("cdist", lambda x: ops.cdist(x[0], x[1] + 3)),
            ("corrcoef", lambda x: ops.corrcoef(x[0])),
            ("vander", lambda x: ops.vander(x[0, 0] + 3)),
            ("correlate", lambda x: ops.correlate(x[0, 0], x[1, 1, :2], "full")),
        ]
    ],
    ("cumprod_zero", lambda x: ops.cumprod(x * np.array([1.0, 0.0, 1.0])), [rand(3)]),
    (
        "einsum",
        lambda a, b: ops.einsum("...ij,jk->...ik", a, b),
        [rand(2, 3, 4), rand(4, 2, seed=1)],
    ),
    ("outer", ops.outer, [rand(3), rand(2, seed=1)]),
    ("inner", ops.inner, [rand(3), rand(2, 3)]),
    ("vdot", ops.vdot, [rand(2, 3), rand(3, 2, seed=1)]),
    ("hstack", lambda a, b: ops.hstack([a, b]), [rand(2, 3), rand(2, 2, seed=1)]),
    ("append", ops.append, [rand(2, 3), rand(4, seed=1)]),
    ("nanmax", ops.nanmax, [rand(2, 3)]),
]


@pytest.mark.parametrize("name,fn,arrays", GRAD, ids=[g[0] for g in GRAD])
def test_gradient(name, fn, arrays):
    check_grad(fn, *arrays)


def test_errors():
    with pytest.raises(ValueError, match="rot90"):
        ops.rot90(V)
    with pytest.raises(ValueError, match="einsum"):
        ops.einsum("ij,jk->ik", R, R)
    with pytest.raises(ValueError, match="top_k"):
        ops.top_k(V, 9)
    with pytest.raises(TypeError, match="bitwise_and"):
        ops.bitwise_and(R, R)
    with pytest.raises(ValueError, match="quantile"):
        ops.quantile(R, 0.5, method="cubic")
