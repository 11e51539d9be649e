"""Conv2D + bias + relu + max pool kernels, for the classic conv-then-pool block.

Where max pool windows tile a relu conv's output (ops/layer_ops/fused.py's `conv_relu_pool`, chosen
by numkeras/models/fusion.py), the pool runs over the raw convolution instead (max and relu
commute, and a per-channel bias is constant over a window), so bias and relu run on 1/(p*q) of
the values. The patch matrix's rows are ordered window offset first, so the p*q candidates of
every window are p*q contiguous blocks of the GEMM output and the pooling runs over long
contiguous rows.

The values equal the separate ops' bit for bit; the gradient goes to the same first maximum,
except where adding the bias rounds two different raw values to one float (a tie that the
separate ops would break by window order).
"""

import numpy as np
from numpy.lib.stride_tricks import as_strided

from numkeras.kernels.conv import FEW_CHANNELS, _geometry, _pad, input_gradient
from numkeras.kernels.pool import _route, _running_max
from numkeras.ops.layer_ops.nn_ops import _relu

CHUNK_BYTES = 4 << 20


def pooled_im2col(xp, kernel_size, pooled, pool, strides, dilation):
    """Patch matrix of the conv outputs that the pool windows cover, rows ordered (window row,
    window column, image, pooled row, pooled column): each window offset is one row block."""
    N, _, _, C = xp.shape
    (KH, KW), (PH, PW), (p, q) = kernel_size, pooled, pool
    sN, sH, sW, sC = xp.strides
    (s0, s1), (d0, d1) = strides, dilation
    patches = as_strided(
        xp,
        (p, q, N, PH, PW, KH, KW, C),
        (sH * s0, sW * s1, sN, sH * s0 * p, sW * s1 * q, sH * d0, sW * d1, sC),
        writeable=False,
    )
    if C < FEW_CHANNELS:  # K-major, as kernels.conv copies few channels
        return (
            np.ascontiguousarray(patches.transpose(5, 6, 7, 0, 1, 2, 3, 4))
            .reshape(KH * KW * C, -1)
            .T
        )
    return np.ascontiguousarray(patches).reshape(-1, KH * KW * C)


def _chunks(n, image_bytes):
    """Slices of the batch whose patch matrix and GEMM output stay in cache between passes
    (the tutorial CNN's blocks: about 32 images; block 2's forward and backward took 8.6 ms
    against 10.1 ms for the whole batch at once)."""
    size = max(1, CHUNK_BYTES // image_bytes)
    return [slice(i, min(i + size, n)) for i in range(0, n, size)]


def conv_relu_pool_forward(x, kernel, bias, strides, padding, dilation, pool, for_grad=True):
    """relu(max_pool(conv(x, kernel)) + bias) for pool windows that tile the conv output,
    a chunk of images at a time; conv outputs in no window (the cropped remainder) are never
    computed. Without `for_grad` (inference) no first-maximum index is kept, and the cache
    is None."""
    N = x.shape[0]
    KH, KW, C, CO = kernel.shape
    OH, OW, pad_h, pad_w = _geometry(x.shape, (KH, KW), strides, padding, dilation)
    (p, q), PH, PW = pool, OH // pool[0], OW // pool[1]
    xp, k2 = _pad(x, pad_h, pad_w), kernel.reshape(-1, CO)
    y = np.empty((N, PH, PW, CO), np.result_type(x.dtype, kernel.dtype))
    chunks = []
    for rows in _chunks(N, p * q * PH * PW * (KH * KW * C + CO) * y.itemsize):
        cols = pooled_im2col(xp[rows], (KH, KW), (PH, PW), pool, strides, dilation)
        z = (cols @ k2).reshape(p * q, -1, CO)
        y_rows = y[rows].reshape(-1, CO)
        if for_grad:
            _, first = _running_max(list(z), out=y_rows)
            chunks.append((rows, cols, first))
        else:
            np.max(z, axis=0, out=y_rows)
        if bias is not None:
            y_rows += bias
        _relu(y_rows, out=y_rows)
    cache = (chunks, y, x.shape, kernel, pool, strides, (pad_h, pad_w), dilation)
    return y, cache if for_grad else None


def conv_relu_pool_backward(g, cache, need_x=True, need_kernel=True, need_bias=True):
    """(gx, gkernel, gbias) for `conv_relu_pool_forward`; each is None when not needed."""
    chunks, y, x_shape, kernel, (p, q), strides, pads, dilation = cache
    _, PH, PW, CO = y.shape
    N, H, W, C = x_shape
    g = g.reshape(y.shape)
    gx = np.empty(x_shape, g.dtype) if need_x else None
    gk = gb = None
    for rows, cols, first in chunks:
        gp = g[rows].reshape(-1, CO) * (y[rows].reshape(-1, CO) > 0)
        if need_bias:
            part = np.ones(len(gp), gp.dtype) @ gp
            gb = part if gb is None else gb + part
        gz = np.empty((p * q,) + gp.shape, gp.dtype)
        _route(gp, first, list(gz))
        if need_kernel:
            part = cols.T @ gz.reshape(-1, CO)
            gk = part if gk is None else gk + part
        if need_x:  # the windows' conv outputs' gradient, in NHWC order
            n = len(gp) // (PH * PW)
            g_conv = np.empty((n, PH * p, PW * q, CO), gp.dtype)
            for k in range(p * q):
                a, b = divmod(k, q)
                g_conv[:, a::p, b::q] = gz[k].reshape(n, PH, PW, CO)
            gx[rows] = input_gradient(g_conv, kernel, (n, H, W, C), strides, pads, dilation)
    return gx, None if gk is None else gk.reshape(kernel.shape), gb
