"""Pure NumPy forward/backward pairs for max and average pooling (NHWC, no Tensors).

Max pooling sends each window's gradient to its first maximum in row-major window order, as
PyTorch and TensorFlow do. Windows that tile the input (strides equal to the pool, no padding)
take a two-stage path: the maxima along each row of the window, then down its rows.
"""
import numpy as np

from numkeras.engine.kernels import _geometry, _pad, _unpad, _window


def _pool_offsets(x_shape, pool, strides, padding):
    """Window offsets as (rows, columns) slices, in row-major window order, and the padding."""
    OH, OW, pad_h, pad_w = _geometry(x_shape, pool, strides, padding, (1, 1))
    offsets = [
        (_window(i, OH, strides[0]), _window(j, OW, strides[1]))
        for i in range(pool[0])
        for j in range(pool[1])
    ]
    return offsets, pad_h, pad_w


def _tiles(x_shape, pool, strides, padding):
    """Whether the windows tile the input without padding (the two-stage path applies)."""
    _, _, pad_h, pad_w = _geometry(x_shape, pool, strides, padding, (1, 1))
    return tuple(strides) == tuple(pool) and pad_h == pad_w == (0, 0)


def _running_max(parts):
    """Elementwise maximum of `parts` and the index of the first part holding it.

    The scan keeps the earlier part on ties (`>` not `>=`); a strict new maximum has a larger
    index than every earlier one, so `maximum` updates the index array.
    """
    y = parts[0].copy()
    first = np.zeros(y.shape, dtype=bool if len(parts) == 2 else np.min_scalar_type(len(parts)))
    larger = np.empty(y.shape, dtype=bool)
    for k, part in enumerate(parts[1:], 1):
        np.greater(part, y, out=larger)
        np.maximum(y, part, out=y)
        if len(parts) == 2:
            first = larger
        else:
            np.maximum(first, larger * first.dtype.type(k), out=first)
    return y, first


def _route(g, first, outs):
    """Write `g` into the part `first` names and zeros into the others (the running max's VJP)."""
    if len(outs) == 2:  # `first` is a bool mask: multiplying by it is cheaper than comparing
        np.multiply(g, first, out=outs[1])
        np.multiply(g, ~first, out=outs[0])
        return
    for k, out in enumerate(outs):
        np.multiply(g, first == k, out=out)


def _max_pool_tiled(x, pool):
    """Maxima of windows that tile `x`: along each window row (C-strided), then down the rows
    (contiguous OW*C runs); the two first-maximum indices give row-major order."""
    N, H, W, C = x.shape
    (p, q), OH, OW = pool, H // pool[0], W // pool[1]
    xw = x[:, : OH * p, : OW * q].reshape(N, OH * p, OW, q, C)
    row_max, in_row = _running_max([xw[:, :, :, j] for j in range(q)])
    row_max = row_max.reshape(N, OH, p, OW, C)
    y, row = _running_max([row_max[:, :, i] for i in range(p)])
    return y, (in_row, row)


def _max_pool_tiled_backward(g, masks, shape, pool):
    in_row, row = masks
    N, H, W, C = shape
    (p, q), OH, OW = pool, H // pool[0], W // pool[1]
    g_rows = np.empty((N, OH, p, OW, C), g.dtype)
    _route(g, row, [g_rows[:, :, i] for i in range(p)])
    g_rows = g_rows.reshape(N, OH * p, OW, C)
    gx = np.empty(shape, g.dtype)
    gx[:, OH * p:] = 0  # the cropped remainder
    gx[:, :, OW * q:] = 0
    gw = gx[:, : OH * p, : OW * q].reshape(N, OH * p, OW, q, C)
    _route(g_rows, in_row, [gw[:, :, :, j] for j in range(q)])
    return gx


def max_pool_forward(x, pool, strides, padding):
    """Window maxima, and what the backward pass needs to find each window's first maximum."""
    if _tiles(x.shape, pool, strides, padding):
        y, masks = _max_pool_tiled(x, pool)
        return y, ("tiled", masks, x.shape, pool)
    offsets, pad_h, pad_w = _pool_offsets(x.shape, pool, strides, padding)
    xp = _pad(x, pad_h, pad_w, -np.inf)
    y, first = _running_max([xp[:, r, c] for r, c in offsets])
    return y, ("offsets", first, xp.shape, offsets, strides, pool, pad_h, pad_w)


def max_pool_backward(g, cache):
    """Each window's gradient goes to its first maximum; disjoint windows write, not add."""
    if cache[0] == "tiled":
        return _max_pool_tiled_backward(g, *cache[1:])
    _, first, shape, offsets, strides, pool, pad_h, pad_w = cache
    disjoint = strides[0] >= pool[0] and strides[1] >= pool[1]
    gxp = np.empty(shape, dtype=g.dtype) if disjoint else np.zeros(shape, dtype=g.dtype)
    if disjoint:  # cells that no window covers (the cropped remainder, gaps of big strides)
        covered = np.zeros(shape[1:3], dtype=bool)
        for r, c in offsets:
            covered[r, c] = True
        gxp[:, ~covered] = 0
    if disjoint:
        _route(g, first, [gxp[:, r, c] for r, c in offsets])
    else:
        two = len(offsets) == 2
        for k, (r, c) in enumerate(offsets):
            gxp[:, r, c] += g * ((first if k else ~first) if two else (first == k))
    return _unpad(gxp, pad_h, pad_w)


def average_pool_forward(x, pool, strides, padding):
    """Window means; with 'same' padding the padded cells are not counted (as in Keras)."""
    offsets, pad_h, pad_w = _pool_offsets(x.shape, pool, strides, padding)
    xp = _pad(x, pad_h, pad_w)
    (r, c), rest = offsets[0], offsets[1:]
    total = xp[:, r, c].copy()
    for r, c in rest:
        total += xp[:, r, c]
    if padding == "same":
        ones = _pad(np.ones((1,) + x.shape[1:3] + (1,), dtype=x.dtype), pad_h, pad_w)
        count = sum(ones[:, r, c] for r, c in offsets)
    else:
        count = np.asarray(len(offsets), dtype=x.dtype)
    return total / count, (xp.shape, count, offsets, pad_h, pad_w)


def average_pool_backward(g, cache):
    shape, count, offsets, pad_h, pad_w = cache
    share = g / count
    gxp = np.zeros(shape, dtype=g.dtype)
    for r, c in offsets:
        gxp[:, r, c] += share
    return _unpad(gxp, pad_h, pad_w)
