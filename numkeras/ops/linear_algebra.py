"""Linear algebra: inverses, determinants, solves, factorizations and norms.

Inverse, determinants, solves, Cholesky, eigh and singular values record their matrix-calculus
VJPs; QR, full SVD vectors, eig, LU, pinv and lstsq are forward-only.
"""

import numpy as np

from numkeras.engine import math_ops as m
from numkeras.engine.tensor import Tensor
from numkeras.ops.elementwise import _floating


def _mT(a):
    return np.swapaxes(a, -1, -2)


def _square(name, x):
    x = _floating(x)
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(f"Op `{name}`: expected square matrices (..., n, n), got shape {x.shape}.")
    return x


def inv(x):
    x = _square("inv", x)
    y = np.linalg.inv(x.data)
    return Tensor(y, (x,), lambda g: (-_mT(y) @ g @ _mT(y),), "inv")


def det(x):
    x = _square("det", x)
    y = np.linalg.det(x.data)
    return Tensor(
        np.asarray(y),
        (x,),
        lambda g: ((g * y)[..., None, None] * _mT(np.linalg.inv(x.data)),),
        "det",
    )


def slogdet(x):
    """(sign, log|det|); the gradient flows through log|det|."""
    x = _square("slogdet", x)
    sign, logabs = np.linalg.slogdet(x.data)
    value = Tensor(
        np.asarray(logabs),
        (x,),
        lambda g: (g[..., None, None] * _mT(np.linalg.inv(x.data)),),
        "slogdet",
    )
    return Tensor(np.asarray(sign)), value


def logdet(x):
    """log(det(x)) (NaN for a negative determinant, as in torch.logdet)."""
    sign, logabs = slogdet(x)
    return m.add(
        logabs,
        Tensor(
            np.where(sign.data > 0, 0, np.where(sign.data == 0, -np.inf, np.nan)).astype(
                logabs.data.dtype
            )
        ),
    )


def solve(a, b):
    """x with a @ x = b (b a matrix, or a vector per batch)."""
    a, b = m.operands("solve", _floating(a), b)
    vector = b.ndim == a.ndim - 1
    bd = b.data[..., None] if vector else b.data
    x = np.linalg.solve(a.data, bd)

    def vjp(g):
        g2 = g[..., None] if vector else g
        gb = np.linalg.solve(_mT(a.data), g2)
        ga = -gb @ _mT(x)
        return m.unbroadcast(ga, a.shape), m.unbroadcast(gb[..., 0] if vector else gb, b.shape)

    return Tensor(x[..., 0] if vector else x, (a, b), vjp, "solve")


def solve_triangular(a, b, lower=False):
    """x with a @ x = b, reading only the lower (or upper) triangle of `a`."""
    a, b = m.operands("solve_triangular", _floating(a), b)
    tri = np.tril if lower else np.triu
    t = tri(a.data)
    vector = b.ndim == a.ndim - 1
    bd = b.data[..., None] if vector else b.data
    x = np.linalg.solve(t, bd)

    def vjp(g):
        g2 = g[..., None] if vector else g
        gb = np.linalg.solve(_mT(t), g2)
        ga = tri(-gb @ _mT(x))
        return m.unbroadcast(ga, a.shape), m.unbroadcast(gb[..., 0] if vector else gb, b.shape)

    return Tensor(x[..., 0] if vector else x, (a, b), vjp, "solve_triangular")


def _phi(a):
    """The lower triangle with a halved diagonal."""
    return np.tril(a) - 0.5 * np.eye(a.shape[-1], dtype=a.dtype) * a


def cholesky(x, upper=False):
    """The Cholesky factor L (L @ L^T = x), or U = L^T; reads the lower triangle of `x`."""
    x = _square("cholesky", x)
    try:
        low = np.linalg.cholesky(x.data)
    except np.linalg.LinAlgError:
        raise ValueError("Op `cholesky`: the input is not positive definite.") from None

    def vjp(g):
        gl = _mT(g) if upper else g
        p = _phi(_mT(low) @ gl)
        inv_low = np.linalg.inv(low)
        s = _mT(inv_low) @ p @ inv_low
        return ((s + _mT(s)) / 2,)

    return Tensor(_mT(low).copy() if upper else low, (x,), vjp, "cholesky")


def cholesky_inverse(x, upper=False):
    """The inverse of the matrix whose Cholesky factor is `x`."""
    factor = _square("cholesky_inverse", x)
    from numkeras.engine.shape_ops import swapaxes

    t = swapaxes(factor, -1, -2)
    return inv(m.matmul(t, factor) if upper else m.matmul(factor, t))


def eigh(x):
    """Eigenvalues (ascending) and eigenvectors of symmetric matrices, from the lower triangle."""
    x = _square("eigh", x)
    w, v = np.linalg.eigh(x.data)
    gap = w[..., None, :] - w[..., :, None]
    eye = np.eye(w.shape[-1], dtype=bool)
    f = np.where(eye, 0, 1 / np.where(eye, 1, gap))

    def vjp_values(g):
        s = v @ (g[..., :, None] * _mT(v))
        return (s,)

    def vjp_vectors(g):
        s = v @ (f * (_mT(v) @ g)) @ _mT(v)
        return ((s + _mT(s)) / 2,)

    return (Tensor(w, (x,), vjp_values, "eigh"), Tensor(v, (x,), vjp_vectors, "eigh"))


def svd(x, full_matrices=True, compute_uv=True):
    """(u, s, vh), or the singular values alone; only the values carry a gradient."""
    x = _floating(x)
    if x.ndim < 2:
        raise ValueError(f"Op `svd`: expected matrices (..., m, n), got shape {x.shape}.")
    u, s, vh = np.linalg.svd(x.data, full_matrices=False)
    values = Tensor(s, (x,), lambda g: (u @ (g[..., :, None] * vh),), "svd")
    if not compute_uv:
        return values
    if full_matrices:
        u, _, vh = np.linalg.svd(x.data, full_matrices=True)
    return Tensor(u), values, Tensor(vh)


def eig(x):
    x = _square("eig", x)
    w, v = np.linalg.eig(x.data)
    dtype = np.result_type(x.data.dtype, np.complex64)
    return Tensor(w.astype(dtype)), Tensor(v.astype(dtype))


def qr(x, mode="reduced"):
    if mode not in {"reduced", "complete"}:
        raise ValueError(
            "`mode` argument value not supported. Expected one of "
            f"{{'reduced', 'complete'}}. Received: mode={mode}"
        )
    x = _floating(x)
    q, r = np.linalg.qr(x.data, mode=mode)
    return Tensor(q), Tensor(r)


def lu_factor(x):
    """(lu, pivots) by Gaussian elimination with partial pivoting; pivots are 0-based rows."""
    x = _floating(x)
    a = np.array(x.data)
    rows, cols = a.shape[-2:]
    k = min(rows, cols)
    pivots = np.zeros(a.shape[:-2] + (k,), "int32")
    for index in np.ndindex(a.shape[:-2]):
        lu = a[index]
        for j in range(k):
            p = j + int(np.argmax(np.abs(lu[j:, j])))
            pivots[index + (j,)] = p
            if p != j:
                lu[[j, p]] = lu[[p, j]]
            if lu[j, j] != 0:
                lu[j + 1 :, j] /= lu[j, j]
                lu[j + 1 :, j + 1 :] -= np.outer(lu[j + 1 :, j], lu[j, j + 1 :])
    return Tensor(a), Tensor(pivots)


def pinv(x, rcond=None):
    x = _floating(x)
    cutoff = 1e-15 if rcond is None else rcond
    return Tensor(np.linalg.pinv(x.data, rcond=cutoff).astype(x.data.dtype))


def lstsq(a, b, rcond=None):
    a, b = m.operands("lstsq", _floating(a), b)
    return Tensor(np.linalg.lstsq(a.data, b.data, rcond=rcond)[0].astype(a.data.dtype))


def matrix_rank(x, tol=None):
    x = _floating(x)
    return Tensor(np.asarray(np.linalg.matrix_rank(x.data, tol)).astype("int32"))


def norm(x, ord=None, axis=None, keepdims=False):  # noqa: A002  (Keras's name)
    """Vector or matrix norms as `np.linalg.norm`, built from differentiable ops."""
    x = _floating(x)
    if axis is None:
        axes = tuple(range(x.ndim))
        if ord is not None and x.ndim > 2:
            raise ValueError(f"Op `norm`: improper number of dimensions {x.ndim} for ord={ord}.")
    else:
        axes = tuple(a % x.ndim for a in np.atleast_1d(axis))
    if ord is None and len(axes) != 1:
        y = m.sqrt(m.sum(m.square(m.abs(x)), axis=axes, keepdims=keepdims))
        return y
    if len(axes) == 1:
        return _vector_norm(x, ord, axes[0], keepdims)
    if len(axes) != 2:
        raise ValueError(f"Op `norm`: expected 1 or 2 axes, got axis={axis}.")
    return _matrix_norm(x, ord, axes, keepdims)


def _vector_norm(x, ord, axis, keepdims):
    a = m.abs(x)
    if ord is None or ord == 2:
        return m.sqrt(m.sum(m.square(a), axis=axis, keepdims=keepdims))
    if ord == np.inf:
        return m.max(a, axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return m.min(a, axis=axis, keepdims=keepdims)
    if ord == 0:
        return Tensor(np.sum(x.data != 0, axis=axis, keepdims=keepdims).astype(x.data.dtype))
    if isinstance(ord, str):
        raise ValueError(f"Op `norm`: invalid norm order {ord!r} for vectors.")
    return m.power(m.sum(m.power(a, float(ord)), axis=axis, keepdims=keepdims), 1.0 / ord)


def _matrix_norm(x, ord, axes, keepdims):
    from numkeras.engine.shape_ops import moveaxis, reshape

    r, c = axes
    if ord in (None, "fro"):
        y = m.sqrt(m.sum(m.square(m.abs(x)), axis=axes, keepdims=True))
    elif ord in (1, -1, np.inf, -np.inf):
        along, across = (r, c) if ord in (1, -1) else (c, r)
        sums = m.sum(m.abs(x), axis=along, keepdims=True)
        pick = m.max if ord > 0 else m.min
        y = pick(sums, axis=across, keepdims=True)
    elif ord in ("nuc", 2, -2):
        s = svd(moveaxis(x, (r, c), (-2, -1)), compute_uv=False)
        if ord == "nuc":
            y = m.sum(s, axis=-1)
        else:
            y = (m.max if ord == 2 else m.min)(s, axis=-1)
        shape = [1 if i in axes else x.shape[i] for i in range(x.ndim)]
        y = reshape(y, shape)
    else:
        raise ValueError(f"Op `norm`: invalid norm order {ord!r} for matrices.")
    if not keepdims:
        from numkeras.engine.shape_ops import squeeze

        y = squeeze(y, axes)
    return y


__all__ = [
    "cholesky",
    "cholesky_inverse",
    "det",
    "eig",
    "eigh",
    "inv",
    "logdet",
    "lstsq",
    "lu_factor",
    "matrix_rank",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "solve_triangular",
    "svd",
]
