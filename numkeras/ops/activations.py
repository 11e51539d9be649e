"""The activation ops Keras adds beyond the engine's: shrinks, hard and sparse variants, celu,
glu, log_sigmoid, squareplus, threshold and sparsemax, each forward beside its derivative."""

import numpy as np

from numkeras.engine import math_ops as m
from numkeras.engine.math_ops import _unary
from numkeras.engine.shape_ops import split
from numkeras.engine.tensor import Tensor
from numkeras.ops.elementwise import _floating
from numkeras.ops.layer_ops import nn_ops


def _typed(value, like):
    return np.asarray(value, like.dtype)


def celu(x, alpha=1.0):
    """max(x, 0) + alpha * expm1(min(x, 0) / alpha)."""

    def forward(d):
        a = _typed(alpha, d)
        return np.maximum(d, 0) + a * np.expm1(np.minimum(d, 0) / a)

    return _unary(
        "celu",
        _floating(x),
        forward,
        lambda g, d, y: g * np.where(d > 0, 1, np.exp(np.minimum(d, 0) / alpha)),
    )


def glu(x, axis=-1):
    """Gated linear unit: the first half of `axis` times the sigmoid of the second."""
    x = _floating(x)
    if x.shape[axis] % 2:
        raise ValueError(
            f"axis size must be divisible by 2. Received: x.shape={x.shape} with axis={axis}"
        )
    a, b = split(x, 2, axis)
    return m.multiply(a, nn_ops.sigmoid(b))


def hard_tanh(x):
    return _unary(
        "hard_tanh",
        _floating(x),
        lambda d: np.clip(d, -1, 1).astype(d.dtype),
        lambda g, d, y: g * ((d > -1) & (d < 1)),
    )


def hard_shrink(x, threshold=0.5):
    return _unary(
        "hard_shrink",
        _floating(x),
        lambda d: np.where(np.abs(d) > threshold, d, 0).astype(d.dtype),
        lambda g, d, y: g * (np.abs(d) > threshold),
    )


def soft_shrink(x, threshold=0.5):
    def forward(d):
        t = _typed(threshold, d)
        return np.where(d > t, d - t, np.where(d < -t, d + t, 0)).astype(d.dtype)

    return _unary("soft_shrink", _floating(x), forward, lambda g, d, y: g * (np.abs(d) > threshold))


def tanh_shrink(x):
    return _unary(
        "tanh_shrink", _floating(x), lambda d: d - np.tanh(d), lambda g, d, y: g * np.tanh(d) ** 2
    )


def hard_silu(x):
    """x * hard_sigmoid(x) (also called hard_swish)."""
    x = _floating(x)
    return m.multiply(x, nn_ops.hard_sigmoid(x))


hard_swish = hard_silu


def log_sigmoid(x):
    """-softplus(-x), stable for large |x|."""
    return _unary(
        "log_sigmoid",
        _floating(x),
        lambda d: -np.logaddexp(_typed(0, d), -d).astype(d.dtype),
        lambda g, d, y: g * (1 - np.exp(y)),
    )


def sparse_plus(x):
    """0 below -1, (x + 1)^2 / 4 between -1 and 1, x above."""
    return _unary(
        "sparse_plus",
        _floating(x),
        lambda d: np.where(d <= -1, 0, np.where(d < 1, (d + 1) ** 2 / 4, d)).astype(d.dtype),
        lambda g, d, y: g * np.where(d <= -1, 0, np.where(d < 1, (d + 1) / 2, 1)),
    )


def sparse_sigmoid(x):
    """0 below -1, (x + 1) / 2 between -1 and 1, 1 above."""
    return _unary(
        "sparse_sigmoid",
        _floating(x),
        lambda d: np.clip((d + 1) / 2, 0, 1).astype(d.dtype),
        lambda g, d, y: g * ((d > -1) & (d < 1)) / 2,
    )


def squareplus(x, b=4):
    """(x + sqrt(x^2 + b)) / 2, a smooth ReLU."""

    def forward(d):
        return (d + np.sqrt(d * d + _typed(b, d))) / 2

    return _unary(
        "squareplus", _floating(x), forward, lambda g, d, y: g * (1 + d / np.sqrt(d * d + b)) / 2
    )


def threshold(x, threshold, default_value):
    """x where x > threshold, else default_value."""
    return _unary(
        "threshold",
        _floating(x),
        lambda d: np.where(d > threshold, d, _typed(default_value, d)),
        lambda g, d, y: g * (d > threshold),
    )


def sparsemax(x, axis=-1):
    """The Euclidean projection of `x` onto the probability simplex along `axis`.

    Gradient: within the support S, g - mean_S(g); zero outside it.
    """
    x = _floating(x)
    d = np.moveaxis(x.data, axis, -1)
    ranked = -np.sort(-d, axis=-1)
    k = np.arange(1, d.shape[-1] + 1, dtype=d.dtype)
    cumulative = np.cumsum(ranked, axis=-1)
    support = ranked - (cumulative - 1) / k > 0
    size = support.sum(-1, keepdims=True)
    tau = (np.take_along_axis(cumulative, size - 1, -1) - 1) / size.astype(d.dtype)
    y = np.maximum(d - tau, 0)
    inside = y > 0

    def vjp(g):
        gm = np.moveaxis(g, axis, -1)
        share = (gm * inside).sum(-1, keepdims=True) / np.maximum(inside.sum(-1, keepdims=True), 1)
        return (np.moveaxis(inside * (gm - share), -1, axis),)

    return Tensor(np.moveaxis(y, -1, axis), (x,), vjp, "sparsemax")


__all__ = [
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
    "sparsemax",
    "squareplus",
    "tanh_shrink",
    "threshold",
]
