"""Reductions beyond the engine's core: running sums and products, NaN-ignoring reductions,
weighted averages, counts and closeness tests."""

import numpy as np

from numkeras.backend.config import floatx
from numkeras.engine import math_ops as m
from numkeras.engine.axes import normalize_axes
from numkeras.engine.shape_ops import reshape
from numkeras.engine.tensor import Tensor, as_array, as_tensor


def _running(x, axis, dtype):
    x = as_tensor(x)
    if dtype is not None:
        x = m.cast(x, dtype)
    elif x.data.dtype.kind == "b" or (x.data.dtype.kind in "iu" and x.data.dtype.itemsize < 4):
        x = Tensor(x.data.astype("int32"))
    if axis is None:
        return reshape(x, (-1,)), 0
    return x, axis % max(x.ndim, 1)


def cumsum(x, axis=None, dtype=None):
    x, ax = _running(x, axis, dtype)
    y = np.cumsum(x.data, axis=ax, dtype=x.data.dtype)
    return Tensor(y, (x,), lambda g: (np.flip(np.cumsum(np.flip(g, ax), ax), ax),), "cumsum")


def cumprod(x, axis=None, dtype=None):
    """Running product; the VJP avoids dividing by x, so zeros get exact gradients."""
    x, ax = _running(x, axis, dtype)
    data = x.data
    y = np.cumprod(data, axis=ax, dtype=data.dtype)

    def vjp(g):
        # d y_j / d x_i = prod_{k<=j, k!=i} x_k for j >= i: one cumprod per excluded position
        moved, gm = np.moveaxis(data, ax, -1), np.moveaxis(g, ax, -1)
        n = moved.shape[-1]
        gx = np.empty_like(moved)
        for i in range(n):
            without = moved.copy()
            without[..., i] = 1
            partial = np.cumprod(without, axis=-1)
            gx[..., i] = (gm[..., i:] * partial[..., i:]).sum(-1)
        return (np.moveaxis(gx, -1, ax),)

    return Tensor(y, (x,), vjp, "cumprod")


def _nan_filled(x, fill):
    x = as_tensor(x)
    mask = np.isnan(x.data)
    if not mask.any():
        return x
    return m.where(mask, Tensor(np.asarray(fill, x.data.dtype)), x)


def nansum(x, axis=None, keepdims=False):
    return m.sum(_nan_filled(x, 0), axis=axis, keepdims=keepdims)


def nanprod(x, axis=None, keepdims=False):
    return m.prod(_nan_filled(x, 1), axis=axis, keepdims=keepdims)


def nancumsum(x, axis=None, dtype=None):
    return cumsum(_nan_filled(x, 0), axis=axis, dtype=dtype)


def nancumprod(x, axis=None, dtype=None):
    return cumprod(_nan_filled(x, 1), axis=axis, dtype=dtype)


def nanmax(x, axis=None, keepdims=False):
    x = as_tensor(x)
    y = m.max(_nan_filled(x, -np.inf), axis=axis, keepdims=keepdims)
    all_nan = np.all(np.isnan(x.data), axis=normalize_axes(axis, x.ndim), keepdims=keepdims)
    return m.where(all_nan, Tensor(np.asarray(np.nan, y.data.dtype)), y) if all_nan.any() else y


def nanmin(x, axis=None, keepdims=False):
    x = as_tensor(x)
    y = m.min(_nan_filled(x, np.inf), axis=axis, keepdims=keepdims)
    all_nan = np.all(np.isnan(x.data), axis=normalize_axes(axis, x.ndim), keepdims=keepdims)
    return m.where(all_nan, Tensor(np.asarray(np.nan, y.data.dtype)), y) if all_nan.any() else y


def nanmean(x, axis=None, keepdims=False):
    x = as_tensor(x)
    if x.data.dtype.kind in "biu":
        x = Tensor(x.data.astype(floatx()))
    count = np.sum(~np.isnan(x.data), axis=normalize_axes(axis, x.ndim), keepdims=keepdims)
    return m.divide(nansum(x, axis, keepdims), Tensor(count.astype(x.data.dtype)))


def nanvar(x, axis=None, keepdims=False):
    x = as_tensor(x)
    centred = m.subtract(x, nanmean(x, axis, keepdims=True))
    return nanmean(m.square(centred), axis, keepdims)


def nanstd(x, axis=None, keepdims=False):
    return m.sqrt(nanvar(x, axis, keepdims))


def nanargmax(x, axis=None, keepdims=False):
    data = as_array(x)
    filled = np.where(np.isnan(data), -np.inf, data)
    index = np.argmax(filled, axis=axis, keepdims=keepdims)
    all_nan = np.all(np.isnan(data), axis=axis, keepdims=keepdims)
    return Tensor(np.where(all_nan, -1, index).astype("int32"))


def nanargmin(x, axis=None, keepdims=False):
    data = as_array(x)
    filled = np.where(np.isnan(data), np.inf, data)
    index = np.argmin(filled, axis=axis, keepdims=keepdims)
    all_nan = np.all(np.isnan(data), axis=axis, keepdims=keepdims)
    return Tensor(np.where(all_nan, -1, index).astype("int32"))


def ptp(x, axis=None, keepdims=False):
    """Peak to peak: max - min along `axis`."""
    return m.subtract(m.max(x, axis, keepdims), m.min(x, axis, keepdims))


def count_nonzero(x, axis=None):
    return Tensor(np.asarray(np.count_nonzero(as_array(x), axis=axis)).astype("int32"))


def average(x, axis=None, weights=None):
    """The weighted mean along `axis`; 1-D weights weigh the positions along that axis."""
    x = as_tensor(x)
    if x.data.dtype.kind in "biu":
        x = Tensor(x.data.astype(floatx()))
    if weights is None:
        return m.mean(x, axis=axis)
    w = m.cast(as_tensor(weights), x.data.dtype)
    if w.shape != x.shape:
        if axis is None or w.ndim != 1 or w.shape[0] != x.shape[axis]:
            raise ValueError(
                f"Op `average`: weights of shape {w.shape} must match x {x.shape}, "
                f"or be 1-D with the length of axis {axis}."
            )
        shape = [1] * x.ndim
        shape[axis] = w.shape[0]
        w = reshape(w, shape)
    return m.divide(
        m.sum(m.multiply(x, w), axis=axis), m.sum(w * np.ones(x.shape, x.data.dtype), axis=axis)
    )


def isclose(x1, x2, rtol=1e-05, atol=1e-08, equal_nan=False):
    a, b = m.pair("isclose", x1, x2)
    return Tensor(np.isclose(a.data, b.data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(x1, x2, rtol=1e-05, atol=1e-08, equal_nan=False):
    return Tensor(np.asarray(bool(np.all(isclose(x1, x2, rtol, atol, equal_nan).data))))


def isin(x1, x2, assume_unique=False, invert=False):
    return Tensor(np.isin(as_array(x1), as_array(x2), assume_unique=assume_unique, invert=invert))


__all__ = [
    "allclose",
    "average",
    "count_nonzero",
    "cumprod",
    "cumsum",
    "isclose",
    "isin",
    "nanargmax",
    "nanargmin",
    "nancumprod",
    "nancumsum",
    "nanmax",
    "nanmean",
    "nanmin",
    "nanprod",
    "nanstd",
    "nansum",
    "nanvar",
    "ptp",
]
