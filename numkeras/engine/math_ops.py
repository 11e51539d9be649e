"""Elementwise arithmetic, reductions and matmul, each forward beside its VJP."""

import numpy as np

from numkeras.backend.config import floatx
from numkeras.engine.axes import normalize_axes, unbroadcast
from numkeras.engine.shape_ops import moveaxis, reshape
from numkeras.engine.tensor import Tensor, as_array, as_tensor, cast
from numkeras.kernels import gemm


def operands(name, a, b):
    """Two tensors of one result dtype, as Keras promotes them (NumPy would give float64).

    A bare operand (number, list, array) takes the tensor's float dtype (weak typing), and an
    integer or bool tensor meeting a float one takes the float's dtype.
    """
    if not isinstance(a, Tensor) and isinstance(b, Tensor):
        a = Tensor(_weak(a, b.data.dtype))
    elif not isinstance(b, Tensor):
        b = Tensor(_weak(b, as_tensor(a).data.dtype))
    a = as_tensor(a)
    kinds = a.data.dtype.kind + b.data.dtype.kind
    if set(kinds) - set("biufc"):  # (this module's `any` is the op)
        raise TypeError(
            f"Op `{name}`: expected numeric tensors, got dtypes {a.dtype} and {b.dtype} "
            f"(shapes {a.shape} and {b.shape})."
        )
    if kinds[0] == "f" and kinds[1] in "biu":
        b = Tensor(b.data.astype(a.data.dtype))
    elif kinds[1] == "f" and kinds[0] in "biu":
        a = Tensor(a.data.astype(b.data.dtype))
    return a, b


def pair(name, a, b):
    """Two tensors for a binary elementwise op: `operands`, then a broadcast check."""
    a, b = operands(name, a, b)
    if a.data.shape == b.data.shape or not a.data.ndim or not b.data.ndim:
        return a, b  # nothing to check (the common case, and NumPy's check costs ~5 us)
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(
            f"Op `{name}`: cannot broadcast shapes {a.shape} and {b.shape}. "
            "Each axis must be equal, or 1 in one of them."
        ) from None
    return a, b


def _weak(x, dtype):
    if np.dtype(dtype).kind != "f":
        return as_array(x)
    # straight to `dtype`: via float32 (as_array's default) a float64 tensor would see
    # 0.1 rounded to float32
    array = np.asarray(x.data if isinstance(x, Tensor) else x)
    return array.astype(dtype, copy=False) if array.dtype.kind in "fiub" else array


def _binary(name, a, b, forward, vjp_a, vjp_b):
    a, b = pair(name, a, b)
    x0, x1 = a.data, b.data
    y = forward(x0, x1)

    def vjp(g):
        ga = unbroadcast(vjp_a(g, x0, x1, y), x0.shape) if a.requires_grad else None
        gb = unbroadcast(vjp_b(g, x0, x1, y), x1.shape) if b.requires_grad else None
        return ga, gb

    return Tensor(y, (a, b), vjp, name)


def add(x1, x2):
    return _binary("add", x1, x2, np.add, lambda g, *_: g, lambda g, *_: g)


def subtract(x1, x2):
    return _binary("subtract", x1, x2, np.subtract, lambda g, *_: g, lambda g, *_: -g)


def multiply(x1, x2):
    return _binary(
        "multiply", x1, x2, np.multiply, lambda g, a, b, y: g * b, lambda g, a, b, y: g * a
    )


def divide(x1, x2):
    x1, x2 = pair("divide", x1, x2)
    if x1.data.dtype.kind != "f" and x2.data.dtype.kind != "f":
        x1, x2 = cast(x1, floatx()), cast(x2, floatx())  # Keras: int / int is floatx, not float64
    return _binary(
        "divide",
        x1,
        x2,
        np.true_divide,
        lambda g, a, b, y: g / b,
        lambda g, a, b, y: -g * y / b,
    )


true_divide = divide


def power(x1, x2):
    def grad_base(g, a, b, y):
        return g * b * np.power(a, b - 1)

    def grad_exponent(g, a, b, y):
        return g * y * np.log(np.where(a > 0, a, 1))

    return _binary("power", x1, x2, np.power, grad_base, grad_exponent)


def maximum(x1, x2):
    return _binary(
        "maximum",
        x1,
        x2,
        np.maximum,
        lambda g, a, b, y: g * (a >= b),
        lambda g, a, b, y: g * (a < b),
    )


def minimum(x1, x2):
    return _binary(
        "minimum",
        x1,
        x2,
        np.minimum,
        lambda g, a, b, y: g * (a <= b),
        lambda g, a, b, y: g * (a > b),
    )


def _unary(name, x, forward, vjp_x):
    """An elementwise op of one tensor; `vjp_x(g, x, y)` gives the input gradient."""
    x = as_tensor(x)
    data = x.data
    y = forward(data)
    return Tensor(y, (x,), lambda g: (vjp_x(g, data, y),), name)


def negative(x):
    return _unary("negative", x, np.negative, lambda g, x, y: -g)


def abs(x):  # noqa: A001  (Keras's name)
    return _unary("abs", x, np.abs, lambda g, x, y: g * np.sign(x))


absolute = abs


def exp(x):
    return _unary("exp", x, np.exp, lambda g, x, y: g * y)


def log(x):
    return _unary("log", x, np.log, lambda g, x, y: g / x)


def log1p(x):
    return _unary("log1p", x, np.log1p, lambda g, x, y: g / (1 + x))


def sqrt(x):
    return _unary("sqrt", x, np.sqrt, lambda g, x, y: g / (2 * y))


def rsqrt(x):
    return _unary("rsqrt", x, lambda x: 1 / np.sqrt(x), lambda g, x, y: -0.5 * g * y / x)


def square(x):
    return _unary("square", x, np.square, lambda g, x, y: 2 * g * x)


def sign(x):
    return _unary("sign", x, np.sign, lambda g, x, y: np.zeros_like(x))


def sin(x):
    return _unary("sin", x, np.sin, lambda g, x, y: g * np.cos(x))


def cos(x):
    return _unary("cos", x, np.cos, lambda g, x, y: -g * np.sin(x))


def tanh(x):
    return _unary("tanh", x, np.tanh, lambda g, x, y: g * (1 - y * y))


def clip(x, x_min, x_max):
    """Clip into [x_min, x_max]; the gradient passes only where x was inside."""
    x = as_tensor(x)
    lo, hi = _weak(x_min, x.data.dtype), _weak(x_max, x.data.dtype)
    return _unary(
        "clip", x, lambda d: np.clip(d, lo, hi), lambda g, d, y: g * ((d >= lo) & (d <= hi))
    )


def where(condition, x1=None, x2=None):
    """`x1` where `condition` holds, else `x2`; gradients route to the chosen side."""
    cond = as_array(condition).astype(bool)
    if x1 is None and x2 is None:
        return Tensor(np.stack(np.nonzero(cond)))
    a, b = pair("where", x1, x2)
    try:
        np.broadcast_shapes(cond.shape, a.shape, b.shape)
    except ValueError:
        raise ValueError(
            f"Op `where`: cannot broadcast condition shape {cond.shape} with shapes {a.shape} "
            f"and {b.shape}."
        ) from None
    y = np.where(cond, a.data, b.data)

    def vjp(g):
        ga, gb = np.where(cond, g, 0), np.where(cond, 0, g)
        return unbroadcast(ga, a.shape), unbroadcast(gb, b.shape)

    return Tensor(y, (a, b), vjp, "where")


def _compare(name, func):
    def op(x1, x2):
        a, b = pair(name, x1, x2)
        return Tensor(func(a.data, b.data))

    op.__name__ = name
    return op


equal = _compare("equal", np.equal)
not_equal = _compare("not_equal", np.not_equal)
less = _compare("less", np.less)
less_equal = _compare("less_equal", np.less_equal)
greater = _compare("greater", np.greater)
greater_equal = _compare("greater_equal", np.greater_equal)
logical_and = _compare("logical_and", np.logical_and)
logical_or = _compare("logical_or", np.logical_or)


def logical_not(x):
    return Tensor(np.logical_not(as_array(x)))


def isnan(x):
    return Tensor(np.isnan(as_array(x)))


def isfinite(x):
    return Tensor(np.isfinite(as_array(x)))


def floor(x):
    return Tensor(np.floor(as_array(x)))


def round(x, decimals=0):  # noqa: A001  (Keras's name)
    return Tensor(np.round(as_array(x), decimals))


# --- matmul -------------------------------------------------------------------------


def matmul(x1, x2):
    """Matrix product with NumPy's batching rules; both gradients are GEMMs."""
    a, b = operands("matmul", x1, x2)
    if a.ndim == 0 or b.ndim == 0 or a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
        raise ValueError(
            f"Op `matmul`: inner dimensions must agree, got shapes {a.shape} and {b.shape}."
        )
    try:
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ValueError(
            f"Op `matmul`: cannot broadcast the batch dimensions of shapes {a.shape} and {b.shape}."
        ) from None
    x0, x1 = a.data, b.data
    if x0.ndim >= 2 and x1.ndim == 2:
        return _matmul_rows(a, b)
    y = np.matmul(x0, x1)

    def vjp(g):
        a2, b2 = (x0[None] if x0.ndim == 1 else x0), (x1[:, None] if x1.ndim == 1 else x1)
        g2 = g.reshape(g.shape + (1,)) if x1.ndim == 1 else g
        g2 = g2[..., None, :] if x0.ndim == 1 else g2
        ga = gb = None
        if a.requires_grad:
            ga = _shaped(unbroadcast(g2 @ np.swapaxes(b2, -1, -2), a2.shape), x0.shape)
        if b.requires_grad:
            gb = _shaped(unbroadcast(np.swapaxes(a2, -1, -2) @ g2, b2.shape), x1.shape)
        return ga, gb

    return Tensor(y, (a, b), vjp, "matmul")


def _shaped(g, shape):
    """`g` reshaped to `shape`, itself when it has that shape already (not a view: the tape
    hands a fresh gradient to its caller without copying it)."""
    return g if g.shape == shape else g.reshape(shape)


def _matmul_rows(a, b):
    """(..., K) @ (K, N) as one (rows, K) @ (K, N) GEMM; the kernel's gradient is one GEMM too
    (NumPy's batched matmul would run a GEMM per leading index, and the gradient would sum a
    (batch, K, N) stack). The VJP's two medium products run side by side on the kernel threads
    (`kernels.gemm`), with the same values on any thread count."""
    rows = a.data.reshape(-1, a.shape[-1])
    y = gemm.matmul(rows, b.data).reshape(a.shape[:-1] + b.shape[-1:])

    def vjp(g):
        g2 = g.reshape(-1, g.shape[-1])
        wanted = (a.requires_grad, b.requires_grad)
        done = iter(gemm.matmuls([p for p, w in zip([(g2, b.data.T), (rows.T, g2)], wanted) if w]))
        ga, gb = (next(done) if w else None for w in wanted)
        return (None if ga is None else ga.reshape(a.shape)), gb

    return Tensor(y, (a, b), vjp, "matmul")


def dot(x1, x2):
    """NumPy's dot: a product with a scalar, matmul up to a 2-D `x2`, else a tensordot."""
    a, b = operands("dot", x1, x2)
    if a.ndim == 0 or b.ndim == 0:
        return multiply(a, b)
    if b.ndim <= 2:
        return matmul(a, b)
    if a.shape[-1] != b.shape[-2]:
        raise ValueError(
            f"Op `dot`: the last axis of {a.shape} must match the second-to-last of {b.shape}."
        )
    # dot(a, b)[i..., j..., n] = sum_k a[i..., k] * b[j..., k, n]: one matmul on a flat b
    flat = reshape(moveaxis(b, -2, 0), (b.shape[-2], -1))
    return reshape(matmul(a, flat), a.shape[:-1] + b.shape[:-2] + b.shape[-1:])


# --- reductions ------------------------------------------------------------------------


def _expand(g, axes, keepdims):
    return g if keepdims else np.expand_dims(g, axes)


def sum(x, axis=None, keepdims=False):  # noqa: A001  (Keras's name)
    x = as_tensor(x)
    axes, shape = normalize_axes(axis, x.ndim), x.shape
    # Keras sums bools and small ints as int32 (NumPy would give int64)
    small_int = x.data.dtype.kind in "biu" and x.data.dtype.itemsize <= 4
    y = np.sum(x.data, axis=axes, keepdims=keepdims, dtype="int32" if small_int else None)
    return Tensor(
        np.asarray(y), (x,), lambda g: (np.broadcast_to(_expand(g, axes, keepdims), shape),), "sum"
    )


def mean(x, axis=None, keepdims=False):
    x = as_tensor(x)
    axes, shape = normalize_axes(axis, x.ndim), x.shape
    count = int(np.prod([shape[a] for a in axes]))
    if x.data.dtype.kind != "f":
        x = cast(x, floatx())  # Keras: the mean of integers is floatx, not truncated
    y = np.mean(x.data, axis=axes, keepdims=keepdims)

    def vjp(g):
        return (np.broadcast_to(_expand(g, axes, keepdims) / np.asarray(count, g.dtype), shape),)

    return Tensor(np.asarray(y, dtype=x.data.dtype), (x,), vjp, "mean")


def _extreme(name, func, x, axis, keepdims):
    x = as_tensor(x)
    axes = normalize_axes(axis, x.ndim)
    data = x.data
    y = func(data, axis=axes, keepdims=True)

    def vjp(g):
        mask = data == y  # ties share the gradient equally, as TensorFlow does
        ties = mask.sum(axis=axes, keepdims=True).astype(g.dtype)  # an int count would upcast
        return (mask * (_expand(g, axes, keepdims) / ties),)

    return Tensor(np.asarray(y if keepdims else np.squeeze(y, axes)), (x,), vjp, name)


def max(x, axis=None, keepdims=False):  # noqa: A001  (Keras's name)
    return _extreme("max", np.max, x, axis, keepdims)


def min(x, axis=None, keepdims=False):  # noqa: A001  (Keras's name)
    return _extreme("min", np.min, x, axis, keepdims)


amax, amin = max, min


def prod(x, axis=None, keepdims=False):
    x = as_tensor(x)
    axes, data = normalize_axes(axis, x.ndim), x.data
    y = np.prod(data, axis=axes, keepdims=True)

    def vjp(g):
        # exclusive products from the left and the right: no division, so zeros are fine
        tail = tuple(range(-len(axes), 0))
        moved = np.moveaxis(data, axes, tail)
        flat = moved.reshape(moved.shape[: moved.ndim - len(axes)] + (-1,))
        ones = np.ones_like(flat[..., :1])
        left = np.cumprod(np.concatenate([ones, flat[..., :-1]], -1), -1)
        right = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], -1), -1)[..., ::-1]
        others = np.moveaxis((left * right).reshape(moved.shape), tail, axes)
        return (_expand(g, axes, keepdims) * others,)

    return Tensor(np.asarray(y if keepdims else np.squeeze(y, axes)), (x,), vjp, "prod")


def var(x, axis=None, keepdims=False):
    x = as_tensor(x)
    centred = x - mean(x, axis=axis, keepdims=True)
    return mean(square(centred), axis=axis, keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    return sqrt(var(x, axis=axis, keepdims=keepdims))


def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) computed after subtracting the max, so it never overflows."""
    x = as_tensor(x)
    axes, data = normalize_axes(axis, x.ndim), x.data
    peak = np.max(data, axis=axes, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0)
    shifted = np.exp(data - peak)
    total = shifted.sum(axis=axes, keepdims=True)
    y = np.log(total) + peak

    def vjp(g):
        return (_expand(g, axes, keepdims) * shifted / total,)

    return Tensor(y if keepdims else np.squeeze(y, axes), (x,), vjp, "logsumexp")


def argmax(x, axis=None, keepdims=False):
    return Tensor(np.argmax(as_array(x), axis=axis, keepdims=keepdims).astype("int32"))


def argmin(x, axis=None, keepdims=False):
    return Tensor(np.argmin(as_array(x), axis=axis, keepdims=keepdims).astype("int32"))


def all(x, axis=None, keepdims=False):  # noqa: A001  (Keras's name)
    return Tensor(np.all(as_array(x), axis=axis, keepdims=keepdims))


def any(x, axis=None, keepdims=False):  # noqa: A001  (Keras's name)
    return Tensor(np.any(as_array(x), axis=axis, keepdims=keepdims))
