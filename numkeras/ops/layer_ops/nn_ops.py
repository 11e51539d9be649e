"""Neural-network ops: activations, softmax, the fused cross-entropies and one_hot."""

from functools import partial

import numpy as np

from numkeras.engine.math_ops import _unary, multiply, operands
from numkeras.engine.tensor import Tensor, as_array, as_tensor
from numkeras.kernels import threads

EPSILON = 1e-7

# --- activations ------------------------------------------------------------------------

# Elementwise passes over more values than this run in pieces of about this size, one
# `threads.run` task each: the pieces depend on the size alone, so bits do not depend on the
# thread count (the autoencoder's 100,352 outputs: 4 pieces).
PIECE = 32768
# bias_relu's passes, memory-bound on large outputs (~0.4 ms a pass over Conv1D's 8 MB one, one
# thread), run in pieces along the first axis of about this many values.
ROWS_PIECE = 1 << 18


def _float_c(x):
    """`x` as a C-ordered array of a float dtype (float32 for integers and booleans)."""
    x = np.asarray(x, order="C")
    return x if x.dtype.kind == "f" else x.astype(np.float32)


def _in_pieces(fill, *arrays):
    """`fill(*arrays)` on same-shape C-ordered arrays: at once up to 2 * PIECE values, else on
    an even number of near-equal pieces of their flat views, spread over the kernel threads."""
    if arrays[0].size <= 2 * PIECE:
        fill(*arrays)
        return
    flat = [a.reshape(-1) for a in arrays]
    pieces = threads.even_slices(flat[0].size, PIECE)
    threads.run([partial(fill, *(a[piece] for a in flat)) for piece in pieces])


def _relu(x, out=None):
    # NumPy's `maximum` against a scalar takes a slow loop; against a zero row broadcast over
    # the batch it runs 3x faster (0.28 vs 0.9 ms on a 128x26x26x32 float32 array).
    return np.maximum(x, np.zeros(x.shape[1:], x.dtype) if x.ndim > 1 else 0, out=out)


def relu(x):
    return _unary("relu", x, _relu, lambda g, x, y: g * (x > 0))


def bias_relu(x, bias, overwrite_x=False):
    """`relu(x + bias)` as one op; `overwrite_x` lets a layer reuse its fresh conv/matmul output.

    The VJP masks `g` once and gets the bias gradient from the masked rows by GEMV. Above
    2 * ROWS_PIECE values both passes run in pieces along the first axis on the kernel
    threads (Conv1D's (64, 494, 64) output: 0.8 + 1.7 ms on one thread, the other idle), relu's
    zero row as long as before, the bias gradient the pieces' sums added in order.
    """
    x, b = operands("bias_relu", x, bias)
    if b.ndim != 1 or x.shape[-1:] != b.shape:
        raise ValueError(
            f"Op `bias_relu`: expected a bias of shape {x.shape[-1:]} for input "
            f"shape {x.shape}, got {b.shape}."
        )
    xd, C = x.data, b.size
    pieces = None
    if xd.size > 2 * ROWS_PIECE and xd.ndim > 1 and len(xd) > 1 and xd.flags.c_contiguous:
        pieces = threads.even_slices(len(xd), max(1, ROWS_PIECE * len(xd) // xd.size))
    if pieces is None:
        y = np.add(xd, b.data, out=xd if overwrite_x else None)
        _relu(y, out=y)
    else:
        y = xd if overwrite_x else np.empty(xd.shape, np.result_type(xd, b.data))

        def forward(piece):
            np.add(xd[piece], b.data, out=y[piece])
            _relu(y[piece], out=y[piece])

        threads.run([partial(forward, piece) for piece in pieces])

    def vjp(g):
        if pieces is None:
            gz = g * (y > 0)
            gb = np.ones(gz.size // C, gz.dtype) @ gz.reshape(-1, C) if b.requires_grad else None
            return gz, None if gb is None else gb.reshape(b.shape)
        gz = np.empty(g.shape, g.dtype)
        parts = np.empty((len(pieces), C), g.dtype) if b.requires_grad else None
        ones = np.ones(max(p.stop - p.start for p in pieces) * (y.size // len(y) // C), g.dtype)

        def backward(k):
            piece = pieces[k]
            np.multiply(g[piece], y[piece] > 0, out=gz[piece])
            if parts is not None:
                rows = gz[piece].reshape(-1, C)
                np.matmul(ones[: len(rows)], rows, out=parts[k])

        threads.run([partial(backward, k) for k in range(len(pieces))])
        return gz, None if parts is None else np.add.reduce(parts, axis=0)

    return Tensor(y, (x, b), vjp, "bias_relu")


def relu6(x):
    return _unary("relu6", x, lambda x: np.clip(x, 0, 6), lambda g, x, y: g * ((x > 0) & (x < 6)))


def leaky_relu(x, negative_slope=0.2):
    s = negative_slope
    return _unary(
        "leaky_relu",
        x,
        lambda x: np.where(x > 0, x, x * x.dtype.type(s)),
        lambda g, x, y: g * np.where(x > 0, 1, s).astype(g.dtype),
    )


def elu(x, alpha=1.0):
    a = alpha
    return _unary(
        "elu",
        x,
        lambda x: np.where(x > 0, x, a * np.expm1(np.minimum(x, 0))).astype(x.dtype),
        lambda g, x, y: g * np.where(x > 0, 1, y + a).astype(g.dtype),
    )


def selu(x):
    scale, alpha = 1.0507009873554805, 1.6732632423543772
    return multiply(elu(x, alpha), scale)


def _sigmoid_into(x, s, e, u):
    """`s` = sigmoid(x), `e` = exp(-|x|) and `u` = 1 + e (arrays of x's shape; `u` may be `e`,
    which then ends as u): 1 / u for x >= 0 and e / u below, the numerator max(e, sign(x))
    without a select (NumPy's `where` on random signs runs ~3.5 ns a value: 1.2 vs 0.15 ms
    on 100,352 float32 values), one exp of a non-positive number (no overflow for any x)."""
    np.abs(x, out=e)
    np.negative(e, out=e)
    np.exp(e, out=e)
    np.sign(x, out=s)
    np.maximum(e, s, out=s)
    np.add(e, 1, out=u)
    np.divide(s, u, out=s)


def _sigmoid(x):
    """sigmoid(x) as a new array of x's float dtype (0-d for a 0-d x), in pieces on the kernel
    threads above 2 * PIECE values."""
    x = _float_c(x)
    s = np.empty(x.shape, x.dtype)

    def fill(x, s):
        e = np.empty_like(x)
        _sigmoid_into(x, s, e, e)

    _in_pieces(fill, x, s)
    return s


def sigmoid(x):
    y = _unary("sigmoid", x, _sigmoid, lambda g, x, y: g * y * (1 - y))
    y._keras_logits = as_tensor(x)
    return y


def hard_sigmoid(x):
    return _unary(
        "hard_sigmoid",
        x,
        lambda x: np.clip(x / 6 + 0.5, 0, 1).astype(x.dtype),
        lambda g, x, y: g * ((x > -3) & (x < 3)) / 6,
    )


def softplus(x):
    return _unary(
        "softplus",
        x,
        lambda x: np.logaddexp(0, x).astype(x.dtype),
        lambda g, x, y: g * _sigmoid(x),
    )


def softsign(x):
    return _unary(
        "softsign", x, lambda x: x / (1 + np.abs(x)), lambda g, x, y: g / (1 + np.abs(x)) ** 2
    )


def silu(x):
    x = as_tensor(x)
    return multiply(x, sigmoid(x))


swish = silu


def gelu(x, approximate=True):
    """GELU; Keras's default is the tanh approximation."""
    if approximate:
        c = float(np.sqrt(2 / np.pi))  # a Python float: np.float64 would upcast float32

        def forward(x):
            return (0.5 * x * (1 + np.tanh(c * (x + 0.044715 * x**3)))).astype(x.dtype)

        def grad(g, x, y):
            t = np.tanh(c * (x + 0.044715 * x**3))
            return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x))

        return _unary("gelu", x, forward, grad)
    from math import erf, pi, sqrt

    erf_v = np.vectorize(erf, otypes=[float])

    def forward_exact(x):
        return (0.5 * x * (1 + erf_v(x / sqrt(2)))).astype(x.dtype)

    def grad_exact(g, x, y):
        pdf = np.exp(-0.5 * x * x) / sqrt(2 * pi)
        return g * (0.5 * (1 + erf_v(x / sqrt(2))) + x * pdf).astype(g.dtype)

    return _unary("gelu", x, forward_exact, grad_exact)


def softmax(x, axis=-1):
    def forward(x):
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        return e / e.sum(axis=axis, keepdims=True)

    def grad(g, x, y):
        return y * (g - (g * y).sum(axis=axis, keepdims=True))

    y = _unary("softmax", x, forward, grad)
    y._keras_logits = as_tensor(x)  # lets cross-entropy use the fused, stable path (as TF does)
    y._keras_axis = axis % y.ndim
    return y


def log_softmax(x, axis=-1):
    def forward(x):
        shifted = x - x.max(axis=axis, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))

    def grad(g, x, y):
        return g - np.exp(y) * g.sum(axis=axis, keepdims=True)

    return _unary("log_softmax", x, forward, grad)


# --- fused cross-entropies (the Keras rules choosing them are in numkeras.ops.cross_entropy) ---


def check_pair(name, target, output):
    """Raises the ValueError an op `name` gives when `target` and `output` shapes differ."""
    if target.shape != output.shape:
        raise ValueError(
            f"Op `{name}`: target and output must have the same shape, "
            f"got target.shape={target.shape} and output.shape={output.shape}."
        )


def softmax_cross_entropy(target, logits, axis=-1):
    """-sum(target * log_softmax(logits)); gradient `softmax * sum(target) - target` (fused)."""
    t, z = as_tensor(target, as_tensor(logits).dtype), as_tensor(logits)
    check_pair("categorical_crossentropy", t, z)
    shifted = z.data - z.data.max(axis=axis, keepdims=True)
    e = np.exp(shifted)
    total = e.sum(axis=axis, keepdims=True)
    log_p = shifted - np.log(total)
    y = -(t.data * log_p).sum(axis=axis)

    def vjp(g):
        g = np.expand_dims(g, axis)
        gz = gt = None
        if z.requires_grad:
            gz = g * (e / total * t.data.sum(axis=axis, keepdims=True) - t.data)
        if t.requires_grad:
            gt = -g * log_p
        return gt, gz

    return Tensor(y, (t, z), vjp, "softmax_cross_entropy")


def sparse_softmax_cross_entropy(labels, logits):
    """`softmax_cross_entropy` of the one-hot targets of integer `labels` (shape: the logits'
    without the last axis, values checked by the caller), without making the targets:
    `-log_softmax(logits)[label]`, gradient `softmax - one_hot`. The same values bit for bit:
    the one-hot sum adds zeros to the label's term, and its `sum(target)` is 1."""
    z = as_tensor(logits)
    labels = as_array(labels)
    # each row's label entry, picked from the (rows, classes) view by one fancy index
    picked = (np.arange(labels.size), labels.reshape(-1).astype(np.intp))
    shifted = z.data - z.data.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    total = e.sum(axis=-1, keepdims=True)
    y = -(shifted.reshape(-1, z.shape[-1])[picked].reshape(labels.shape) - np.log(total)[..., 0])

    def vjp(g):
        p = e / total
        p.reshape(-1, z.shape[-1])[picked] -= 1
        return (np.expand_dims(g, -1) * p,)

    return Tensor(y, (z,), vjp, "sparse_softmax_cross_entropy")


def _log1p(e, u):
    """log(1 + e) for e in [0, 1] with `u` = 1 + e given: log(u) corrected by the rounding of
    u, ((u - 1) - e) / u (within 4 ulps of float32's log1p, which NumPy runs without SIMD
    at ~13 ns a value: 1.35 ms of the autoencoder's step)."""
    correction = np.subtract(u, 1)
    np.subtract(correction, e, out=correction)
    np.divide(correction, u, out=correction)
    return np.subtract(np.log(u), correction, out=correction)


def sigmoid_cross_entropy(target, logits):
    """Binary cross-entropy of `sigmoid(logits)`: max(z, 0) - z * t + log(1 + exp(-|z|)), stable
    for any z; gradient `sigmoid(z) - t`, the sigmoid kept from the forward pass (its exp is
    the loss's). The forward pass runs in pieces on the kernel threads above 2 * PIECE values."""
    output = as_tensor(logits)
    target = as_tensor(target, output.dtype)
    check_pair("binary_crossentropy", target, output)
    z = _float_c(output.data)
    t = np.asarray(target.data, z.dtype, order="C")
    y, s = np.empty(z.shape, z.dtype), np.empty(z.shape, z.dtype)

    def fill(z, t, y, s):
        e, u = np.empty_like(z), np.empty_like(z)
        _sigmoid_into(z, s, e, u)
        log_term = _log1p(e, u)
        np.maximum(z, 0, out=y)
        np.subtract(y, np.multiply(z, t, out=e), out=y)
        np.add(y, log_term, out=y)

    _in_pieces(fill, z, t, y, s)

    def vjp(g):
        return (-g * z if target.requires_grad else None), g * (s - t)

    return Tensor(y, (target, output), vjp, "sigmoid_cross_entropy")


def one_hot(x, num_classes, axis=-1, dtype="float32"):
    labels = as_array(x).astype(np.intp)
    y = (labels[..., None] == np.arange(num_classes)).astype(dtype or "float32")
    return Tensor(np.moveaxis(y, -1, axis) if axis != -1 else y)
