"""Ops that make tensors: copies, empty/full-like, identity, spaced ranges, window functions,
and ops that only read an input's shape or positions (size, ndim, nonzero, unravel_index)."""

import numpy as np

from numkeras.backend.config import floatx
from numkeras.engine.tensor import Tensor, as_array, as_tensor


def array(x, dtype=None):
    return as_tensor(x, dtype)


def copy(x):
    """A new tensor with the same values; the gradient passes through."""
    x = as_tensor(x)
    return Tensor(x.data.copy(), (x,), lambda g: (g,), "copy")


def empty(shape, dtype=None):
    return Tensor(np.empty(shape, dtype=dtype or floatx()))


def empty_like(x, dtype=None):
    return Tensor(np.empty_like(as_array(x), dtype=dtype))


def full_like(x, fill_value, dtype=None):
    return Tensor(np.full_like(as_array(x), fill_value, dtype=dtype))


def identity(n, dtype=None):
    return Tensor(np.identity(n, dtype=dtype or floatx()))


def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    values = np.logspace(
        as_array(start), as_array(stop), num, endpoint=endpoint, base=base, axis=axis
    )
    return Tensor(values.astype(dtype or floatx()))


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    values = np.geomspace(as_array(start), as_array(stop), num, endpoint=endpoint, axis=axis)
    return Tensor(values.astype(dtype or floatx()))


def vander(x, N=None, increasing=False):
    """Columns of powers of `x`; built from `power`, so it is differentiable."""
    from numkeras.engine.math_ops import power
    from numkeras.engine.shape_ops import expand_dims

    x = as_tensor(x)
    if x.ndim != 1:
        raise ValueError(f"Op `vander`: expected a 1-D tensor, got shape {x.shape}.")
    n = x.shape[0] if N is None else N
    exponents = np.arange(n) if increasing else np.arange(n)[::-1].copy()
    if x.data.dtype.kind in "biu":
        return Tensor(np.vander(x.data, n, increasing))
    return power(expand_dims(x, 1), Tensor(exponents.astype(x.data.dtype)))


def _window(name, func):
    def op(x):
        return Tensor(func(int(as_array(x))).astype(floatx()))

    op.__name__ = name
    op.__doc__ = f"The {name} window of `x` points."
    return op


bartlett = _window("bartlett", np.bartlett)
blackman = _window("blackman", np.blackman)
hamming = _window("hamming", np.hamming)
hanning = _window("hanning", np.hanning)


def kaiser(x, beta):
    return Tensor(np.kaiser(int(as_array(x)), float(as_array(beta))).astype(floatx()))


def size(x):
    return as_tensor(x).size


def ndim(x):
    return as_tensor(x).ndim


def nonzero(x):
    """A tuple of int32 index tensors, one per axis, where `x` is nonzero."""
    return tuple(Tensor(i.astype("int32")) for i in np.nonzero(as_array(x)))


def unravel_index(indices, shape):
    indices = as_array(indices)
    return tuple(Tensor(i.astype(indices.dtype)) for i in np.unravel_index(indices, shape))


__all__ = [
    "array",
    "bartlett",
    "blackman",
    "copy",
    "empty",
    "empty_like",
    "full_like",
    "geomspace",
    "hamming",
    "hanning",
    "identity",
    "kaiser",
    "logspace",
    "ndim",
    "nonzero",
    "size",
    "unravel_index",
    "vander",
]
