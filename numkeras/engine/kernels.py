"""Pure NumPy forward/backward pairs for convolution and pooling (NHWC, no Tensors).

Convolution is one GEMM over an im2col matrix built by looping over the KH x KW kernel
offsets with strided slices (never over pixels or images); its gradients are GEMMs too,
with col2im by the same offset slices.
"""
import numpy as np


def output_size(n, k, stride, padding, dilation=1):
    """Output length and (before, after) padding along one axis, by TensorFlow's rules."""
    span = (k - 1) * dilation + 1
    if padding == "same":
        out = -(-n // stride)
        total = max((out - 1) * stride + span - n, 0)
        return out, (total // 2, total - total // 2)
    return (n - span) // stride + 1, (0, 0)


def _window(i, out, stride):
    """The slice that picks, for every output position, the input at kernel offset `i`."""
    return slice(i, i + stride * (out - 1) + 1, stride)


def _geometry(x_shape, k_shape, strides, padding, dilation):
    N, H, W, C = x_shape
    KH, KW = k_shape
    OH, pad_h = output_size(H, KH, strides[0], padding, dilation[0])
    OW, pad_w = output_size(W, KW, strides[1], padding, dilation[1])
    return OH, OW, pad_h, pad_w


def _pad(x, pad_h, pad_w, value=0.0):
    if pad_h == (0, 0) and pad_w == (0, 0):
        return x
    return np.pad(x, ((0, 0), pad_h, pad_w, (0, 0)), constant_values=value)


def im2col(x, KH, KW, strides, padding, dilation):
    """(N, OH, OW, KH, KW, C) patches of `x`, contiguous, one slice copy per kernel offset."""
    N, H, W, C = x.shape
    OH, OW, pad_h, pad_w = _geometry(x.shape, (KH, KW), strides, padding, dilation)
    xp = _pad(x, pad_h, pad_w)
    cols = np.empty((N, OH, OW, KH, KW, C), dtype=x.dtype)
    for i in range(KH):
        for j in range(KW):
            rows = _window(i * dilation[0], OH, strides[0])
            columns = _window(j * dilation[1], OW, strides[1])
            cols[:, :, :, i, j, :] = xp[:, rows, columns, :]
    return cols


def col2im(cols, x_shape, strides, padding, dilation):
    """Adjoint of `im2col`: scatter-add patches back into an input-shaped array."""
    N, OH, OW, KH, KW, C = cols.shape
    _, _, pad_h, pad_w = _geometry(x_shape, (KH, KW), strides, padding, dilation)
    H, W = x_shape[1] + sum(pad_h), x_shape[2] + sum(pad_w)
    gx = np.zeros((N, H, W, C), dtype=cols.dtype)
    for i in range(KH):
        for j in range(KW):
            rows = _window(i * dilation[0], OH, strides[0])
            columns = _window(j * dilation[1], OW, strides[1])
            gx[:, rows, columns, :] += cols[:, :, :, i, j, :]
    return gx[:, pad_h[0] : H - pad_h[1], pad_w[0] : W - pad_w[1], :]


def conv2d_forward(x, kernel, strides, padding, dilation, groups=1):
    """y[n, oh, ow, o] = sum over (i, j, c) of patch * kernel[i, j, c, o], as one GEMM per group."""
    KH, KW, Cg, O = kernel.shape
    cols = im2col(x, KH, KW, strides, padding, dilation)
    N, OH, OW = cols.shape[:3]
    if groups == 1:
        y = cols.reshape(N * OH * OW, -1) @ kernel.reshape(-1, O)
    else:
        Og = O // groups
        y = np.concatenate([
            cols[..., g * Cg : (g + 1) * Cg].reshape(N * OH * OW, -1)
            @ kernel[..., g * Og : (g + 1) * Og].reshape(-1, Og)
            for g in range(groups)
        ], axis=-1)
    return y.reshape(N, OH, OW, O), (cols, x.shape, kernel, strides, padding, dilation, groups)


def conv2d_backward(g, cache, need_x=True, need_kernel=True):
    """(gx, gkernel) for `conv2d_forward`; each side is skipped when not needed."""
    cols, x_shape, kernel, strides, padding, dilation, groups = cache
    KH, KW, Cg, O = kernel.shape
    M = g.shape[0] * g.shape[1] * g.shape[2]
    g2 = g.reshape(M, O)
    gx = gkernel = None
    if groups == 1:
        if need_kernel:
            gkernel = (cols.reshape(M, -1).T @ g2).reshape(kernel.shape)
        if need_x:
            gcols = (g2 @ kernel.reshape(-1, O).T).reshape(cols.shape)
            gx = col2im(gcols, x_shape, strides, padding, dilation)
        return gx, gkernel
    Og = O // groups
    parts_k, parts_cols = [], []
    for grp in range(groups):
        gg = g2[:, grp * Og : (grp + 1) * Og]
        kg = kernel[..., grp * Og : (grp + 1) * Og].reshape(-1, Og)
        cg = cols[..., grp * Cg : (grp + 1) * Cg]
        if need_kernel:
            parts_k.append((cg.reshape(M, -1).T @ gg).reshape(KH, KW, Cg, Og))
        if need_x:
            parts_cols.append((gg @ kg.T).reshape(cg.shape))
    if need_kernel:
        gkernel = np.concatenate(parts_k, axis=-1)
    if need_x:
        gx = col2im(np.concatenate(parts_cols, axis=-1), x_shape, strides, padding, dilation)
    return gx, gkernel


def _pool_slices(x_shape, pool, strides, padding):
    OH, OW, pad_h, pad_w = _geometry(x_shape, pool, strides, padding, (1, 1))
    offsets = [
        (_window(i, OH, strides[0]), _window(j, OW, strides[1]))
        for i in range(pool[0])
        for j in range(pool[1])
    ]
    return offsets, pad_h, pad_w


def max_pool_forward(x, pool, strides, padding):
    """Window maxima: a running `np.maximum` over the window offsets."""
    offsets, pad_h, pad_w = _pool_slices(x.shape, pool, strides, padding)
    xp = _pad(x, pad_h, pad_w, -np.inf)
    (r, c), rest = offsets[0], offsets[1:]
    y = xp[:, r, c, :].copy()
    for r, c in rest:
        np.maximum(y, xp[:, r, c, :], out=y)
    return y, (xp, y, x.shape, offsets, pad_h, pad_w)


def max_pool_backward(g, cache):
    """Route each gradient to the first maximum of its window (PyTorch's and TF's choice)."""
    xp, y, x_shape, offsets, pad_h, pad_w = cache
    gx = np.zeros(xp.shape, dtype=g.dtype)
    taken = np.zeros(y.shape, dtype=bool)
    for r, c in offsets:
        hit = xp[:, r, c, :] == y
        hit &= ~taken
        taken |= hit
        gx[:, r, c, :] += g * hit
    return gx[:, pad_h[0] : xp.shape[1] - pad_h[1], pad_w[0] : xp.shape[2] - pad_w[1], :]


def average_pool_forward(x, pool, strides, padding):
    """Window means; with 'same' padding the padded cells are not counted (as in Keras)."""
    offsets, pad_h, pad_w = _pool_slices(x.shape, pool, strides, padding)
    xp = _pad(x, pad_h, pad_w)
    total = sum(xp[:, r, c, :] for r, c in offsets)
    if padding == "same":
        ones = _pad(np.ones((1,) + x.shape[1:3] + (1,), dtype=x.dtype), pad_h, pad_w)
        count = sum(ones[:, r, c, :] for r, c in offsets)
    else:
        count = np.asarray(len(offsets), dtype=x.dtype)
    return total / count, (xp.shape, count, offsets, pad_h, pad_w)


def average_pool_backward(g, cache):
    shape, count, offsets, pad_h, pad_w = cache
    share = g / count
    gx = np.zeros(shape, dtype=g.dtype)
    for r, c in offsets:
        gx[:, r, c, :] += share
    return gx[:, pad_h[0] : shape[1] - pad_h[1], pad_w[0] : shape[2] - pad_w[1], :]
