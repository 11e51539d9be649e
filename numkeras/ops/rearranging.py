"""Ops that copy values to new places: flips, rolls, diagonals, triangles, stacking, splitting.

Most are one NumPy function applied through `moved`, which runs it on the positions of the
input's elements to learn where each output value comes from; the gradient scatters back.
"""

import builtins

import numpy as np

from numkeras.engine.shape_ops import concatenate, getitem, reshape, split
from numkeras.engine.tensor import Tensor, as_array, as_tensor

_slice = builtins.slice  # this module defines the `slice` op


def moved(name, x, func):
    """`func(x)` for a `func` that only moves, copies or zero-fills elements, with its VJP."""
    x = as_tensor(x)
    positions = np.arange(1, x.size + 1).reshape(x.shape)  # 0 marks a filled zero
    source = np.asarray(func(positions))
    flat = np.concatenate([np.zeros(1, x.data.dtype), x.data.reshape(-1)])
    y = flat[source]

    def vjp(g):
        gx = np.zeros(x.size + 1, g.dtype)
        np.add.at(gx, source.reshape(-1), g.reshape(-1))
        return (gx[1:].reshape(x.shape),)

    return Tensor(y, (x,), vjp, name)


def flip(x, axis=None):
    return moved("flip", x, lambda p: np.flip(p, axis))


def fliplr(x):
    return moved("fliplr", x, np.fliplr)


def flipud(x):
    return moved("flipud", x, np.flipud)


def roll(x, shift, axis=None):
    return moved("roll", x, lambda p: np.roll(p, shift, axis))


def rot90(array, k=1, axes=(0, 1)):
    x = as_tensor(array)
    if x.ndim < 2:
        raise ValueError(f"Op `rot90`: expected an array of rank >= 2, got shape {x.shape}.")
    return moved("rot90", x, lambda p: np.rot90(p, k, axes))


def ravel(x):
    return reshape(x, (-1,))


def diagonal(x, offset=0, axis1=0, axis2=1):
    return moved("diagonal", x, lambda p: np.diagonal(p, offset, axis1, axis2))


def diag(x, k=0):
    x = as_tensor(x)
    if x.ndim not in (1, 2):
        raise ValueError(f"Op `diag`: expected a 1-D or 2-D tensor, got shape {x.shape}.")
    return moved("diag", x, lambda p: np.diag(p, k))


def diagflat(x, k=0):
    return moved("diagflat", x, lambda p: np.diagflat(p, k))


def tril(x, k=0):
    return moved("tril", x, lambda p: np.tril(p, k))


def triu(x, k=0):
    return moved("triu", x, lambda p: np.triu(p, k))


def trace(x, offset=0, axis1=0, axis2=1):
    from numkeras.engine.math_ops import sum as _sum

    d = diagonal(x, offset, axis1, axis2)
    y = _sum(d, axis=-1)
    return y


def append(x1, x2, axis=None):
    a, b = as_tensor(x1), as_tensor(x2)
    if axis is None:
        return concatenate([ravel(a), ravel(b)], axis=0)
    return concatenate([a, b], axis=axis)


def _atleast(x, n):
    x = as_tensor(x)
    if x.ndim >= n:
        return x
    if n == 2:
        return reshape(x, (1,) * (2 - x.ndim) + x.shape)
    shape = {0: (1, 1, 1), 1: (1,) + x.shape + (1,), 2: x.shape + (1,)}[x.ndim]
    return reshape(x, shape)


def hstack(xs):
    xs = [as_tensor(x) for x in xs]
    if all(x.ndim <= 1 for x in xs):
        return concatenate([ravel(x) for x in xs], axis=0)
    return concatenate(xs, axis=1)


def vstack(xs):
    return concatenate([_atleast(x, 2) for x in xs], axis=0)


def dstack(xs):
    return concatenate([_atleast(x, 3) for x in xs], axis=2)


def array_split(x, indices_or_sections, axis=0):
    """Split into sections, the first `n % sections` of them one longer (no equal-size rule)."""
    x = as_tensor(x)
    if not isinstance(indices_or_sections, int):
        return split(x, indices_or_sections, axis)
    n, k = x.shape[axis], indices_or_sections
    if k <= 0:
        raise ValueError(f"Op `array_split`: the number of sections must be > 0, got {k}.")
    sizes = [n // k + (i < n % k) for i in range(k)]
    cuts = np.cumsum(sizes)[:-1].tolist()
    ax = axis % x.ndim
    bounds = [0] + cuts + [n]
    return [
        getitem(x, (_slice(None),) * ax + (_slice(lo, hi),)) for lo, hi in zip(bounds, bounds[1:])
    ]


def _split_along(name, x, indices_or_sections, axis, min_rank):
    x = as_tensor(x)
    if x.ndim < min_rank:
        raise ValueError(f"Op `{name}`: expected rank >= {min_rank}, got shape {x.shape}.")
    return split(x, indices_or_sections, axis)


def hsplit(x, indices_or_sections):
    x = as_tensor(x)
    return _split_along("hsplit", x, indices_or_sections, 0 if x.ndim == 1 else 1, 1)


def vsplit(x, indices_or_sections):
    return _split_along("vsplit", x, indices_or_sections, 0, 2)


def dsplit(x, indices_or_sections):
    return _split_along("dsplit", x, indices_or_sections, 2, 3)


def get_item(x, key):
    return getitem(x, key)


def slice(inputs, start_indices, shape):  # noqa: A001  (Keras's name)
    """The block of `shape` starting at `start_indices` (like `lax.dynamic_slice`)."""
    x = as_tensor(inputs)
    starts = [int(s) for s in as_array(start_indices).reshape(-1)]
    sizes = [int(s) for s in np.atleast_1d(as_array(shape))]
    if len(starts) != x.ndim or len(sizes) != x.ndim:
        raise ValueError(
            f"Op `slice`: expected {x.ndim} start indices and sizes for shape "
            f"{x.shape}, got {starts} and {sizes}."
        )
    key = tuple(
        _slice(s, s + (n if n >= 0 else x.shape[i] - s))
        for i, (s, n) in enumerate(zip(starts, sizes))
    )
    return getitem(x, key)


def tri(N, M=None, k=0, dtype=None):
    from numkeras.backend.config import floatx

    return Tensor(np.tri(N, M, k, dtype=dtype or floatx()))


def meshgrid(*x, indexing="xy"):
    if indexing not in ("xy", "ij"):
        raise ValueError(f"Op `meshgrid`: indexing must be 'xy' or 'ij', got {indexing!r}.")
    from numkeras.engine.shape_ops import broadcast_to

    xs = [ravel(v) for v in x]
    n = len(xs)
    lengths = [v.shape[0] for v in xs]
    if indexing == "xy" and n >= 2:
        lengths[0], lengths[1] = lengths[1], lengths[0]
    out = []
    for i, v in enumerate(xs):
        axis = i
        if indexing == "xy" and n >= 2 and i < 2:
            axis = 1 - i
        shape = [1] * n
        shape[axis] = v.shape[0]
        out.append(broadcast_to(reshape(v, shape), lengths))
    return out


__all__ = [
    "append",
    "array_split",
    "diag",
    "diagflat",
    "diagonal",
    "dsplit",
    "dstack",
    "flip",
    "fliplr",
    "flipud",
    "get_item",
    "hsplit",
    "hstack",
    "meshgrid",
    "ravel",
    "roll",
    "rot90",
    "slice",
    "trace",
    "tri",
    "tril",
    "triu",
    "vsplit",
    "vstack",
]
