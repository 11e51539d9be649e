"""Normalization ops: moments, batch/layer/RMS normalization and Lp normalize, built from
differentiable engine ops so their gradients come with them."""

import numpy as np

from numkeras.backend.config import epsilon as default_epsilon
from numkeras.engine import math_ops as m
from numkeras.engine.shape_ops import reshape
from numkeras.engine.tensor import as_tensor
from numkeras.ops.elementwise import _floating


def moments(x, axes, keepdims=False, synchronized=False):
    """Mean and variance of `x` over `axes`."""
    if synchronized:
        raise NotImplementedError("Argument synchronized=True is not supported with NumPy.")
    x = _floating(x)
    axes = tuple(axes) if isinstance(axes, list) else axes
    mean = m.mean(x, axis=axes, keepdims=True)
    variance = m.mean(m.square(m.subtract(x, mean)), axis=axes, keepdims=keepdims)
    return (mean if keepdims else m.mean(x, axis=axes)), variance


def _along(v, x, axis):
    """A vector for axis `axis` of `x`, reshaped to broadcast against `x`."""
    v = m.cast(as_tensor(v), x.data.dtype)
    shape = [1] * x.ndim
    shape[axis % x.ndim] = -1
    return reshape(v, shape)


def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """(x - mean) / sqrt(variance + epsilon) * scale + offset, statistics along `axis`."""
    x = _floating(x)
    inv = m.rsqrt(m.add(_along(variance, x, axis), epsilon))
    if scale is not None:
        inv = m.multiply(inv, _along(scale, x, axis))
    y = m.multiply(m.subtract(x, _along(mean, x, axis)), inv)
    return y if offset is None else m.add(y, _along(offset, x, axis))


def _broadcast(v, x, axes):
    if v is None:
        return None
    v = m.cast(as_tensor(v), x.data.dtype)
    if v.ndim != x.ndim and axes != [x.ndim - 1]:
        shape = [x.shape[a] if a in axes else 1 for a in range(x.ndim)]
        v = reshape(v, shape)
    return v


def _axes_list(axis, ndim):
    return sorted(a % ndim for a in ([axis] if isinstance(axis, int) else axis))


def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    """Normalize over `axis` to zero mean and unit variance, then scale by gamma, shift by beta.

    `rms_scaling=True` (a Keras keyword) divides by the standard deviation without centring.
    """
    rms_scaling = kwargs.pop("rms_scaling", False)
    if kwargs:
        raise TypeError(f"layer_normalization got unexpected keyword arguments {sorted(kwargs)}.")
    x = _floating(x)
    eps = default_epsilon() if epsilon is None else epsilon
    axes = _axes_list(axis, x.ndim)
    mean, variance = moments(x, axes, keepdims=True)
    if rms_scaling:
        y = m.multiply(x, m.rsqrt(m.add(variance, eps)))
    else:
        y = m.multiply(m.subtract(x, mean), m.rsqrt(m.add(variance, eps)))
    gamma, beta = _broadcast(gamma, x, axes), _broadcast(beta, x, axes)
    if gamma is not None:
        y = m.multiply(y, gamma)
    if beta is not None and not rms_scaling:
        y = m.add(y, beta)
    return y


def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    """x / sqrt(mean(x^2) + epsilon) over `axis`, times `scale`."""
    x = _floating(x)
    eps = default_epsilon() if epsilon is None else epsilon
    axes = _axes_list(axis, x.ndim)
    y = m.multiply(x, m.rsqrt(m.add(m.mean(m.square(x), axis=axes, keepdims=True), eps)))
    scale = _broadcast(scale, x, axes)
    return y if scale is None else m.multiply(y, scale)


def normalize(x, axis=-1, order=2, epsilon=None):
    """x divided by its Lp norm along `axis` (the norm bounded below by epsilon)."""
    if not isinstance(order, int) or not order >= 1:
        raise ValueError(f"Argument `order` must be an int >= 1. Received: order={order}")
    x = _floating(x)
    if x.ndim == 0:
        x = reshape(x, (1,))
    eps = default_epsilon() if epsilon is None else epsilon
    if order == 2:
        inv = m.rsqrt(m.sum(m.square(x), axis=axis, keepdims=True))
        return m.multiply(x, m.minimum(inv, 1.0 / eps))
    norm = m.power(m.sum(m.power(m.abs(x), float(order)), axis=axis, keepdims=True), 1.0 / order)
    return m.divide(x, m.maximum(norm, eps))


def psnr(x1, x2, max_val):
    """Peak signal-to-noise ratio: 20 log10(max_val) - 10 log10(mse)."""
    a, b = m.operands("psnr", x1, x2)
    if a.shape != b.shape:
        raise ValueError(f"Input shapes {a.shape} and {b.shape} must match for PSNR calculation. ")
    mse = m.mean(m.square(m.subtract(a, b)))
    peak = np.asarray(20 * np.log10(np.asarray(max_val, np.float64)), a.data.dtype)
    return m.subtract(peak, m.multiply(m.divide(m.log(mse), np.log(10.0)), 10.0))


__all__ = [
    "batch_normalization",
    "layer_normalization",
    "moments",
    "normalize",
    "psnr",
    "rms_normalization",
]
