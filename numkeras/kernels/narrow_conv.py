"""Convolutions to one output channel (an image decoder's last layer), NHWC, no Tensors.

The patch-matrix convolution in conv.py multiplies an (M, KH*KW*C) patch matrix by a
(KH*KW*C, CO) kernel; with CO = 1 that is a matrix-vector product streaming a matrix nine
times the input's size. Here every input pixel meets all the taps in one GEMM, (M, C) @ (C,
KH*KW*CO), and each output adds up its taps' products by shifted slices. The backward pass
spreads the output gradient to the input pixels each tap reaches, a (taps, M) matrix of shifted
copies, and takes both gradients from it, one GEMM each. Sums run in a fixed tap order.

The batch runs a block of images at a time, its tap products or spread gradients in cache
between their GEMMs and the shifted sums, each block one of `threads.run`'s tasks (the shifted
sums and copies ran on one core, after one GEMM over the whole batch).
"""

from functools import partial

import numpy as np

from numkeras.kernels import threads
from numkeras.kernels.conv import _geometry

# The backward GEMMs run over about this many pixels at a time, each part's rows in cache (3x3
# taps, M = 100,352, C = 32, one core: the kernel gradient's (taps, M) @ (M, C) 1.0 vs 2.0
# ms in one GEMM, the input gradient's (M, taps) @ (taps, C) 0.74 vs 0.99 ms; 4,096 pixels
# lose most of the gain).
CHUNK = 2048
# A block of images holds about this many input pixels (at least one image); blocks are evened
# out, an even number of them where there are several, so two kernel threads share them
# equally (the autoencoder's 128 images of 28x28: 8 blocks of 16). Smaller blocks pay NumPy's
# per-call cost more often (8,192 pixels: 5-10% more CPU time).
BLOCK_PIXELS = 16384


def _by_rows(a, b, out):
    """a @ b into `out`, CHUNK rows of `a` at a time."""
    for start in range(0, len(a), CHUNK):
        np.matmul(a[start : start + CHUNK], b, out=out[start : start + CHUNK])
    return out


def _blocks(N, H, W):
    """Image slices of about BLOCK_PIXELS pixels each (`threads.even_slices`)."""
    return threads.even_slices(N, BLOCK_PIXELS // (H * W))


def applies(kernel_shape, groups):
    """Whether a convolution with this (KH, KW, C, CO) kernel and `groups` runs here: one
    output channel, where the patch matrix's GEMM is a matrix-vector product (3x3, 128x28x28x32
    to 1 channel, one core: 2.3 vs 7.6 ms forward, 1.9 vs 8.4 ms backward). The kernels take
    any CO; the fusion pass leaves these convolutions unfused, so a model's values do not
    depend on whether a pool follows."""
    return groups == 1 and kernel_shape[-1] == 1


def _reach(offset, stride, n_in, n_out):
    """(outputs, inputs) slices along one axis of the outputs o whose tap reads input
    o * stride + offset inside the input, or None when there are none."""
    lo = max(0, -(offset // stride))
    hi = min(n_out, (n_in - 1 - offset) // stride + 1)
    if hi <= lo:
        return None
    return slice(lo, hi), slice(lo * stride + offset, (hi - 1) * stride + offset + 1, stride)


def _taps(x_shape, kernel_shape, out_shape, strides, pads, dilation):
    """(i, j, out rows, out columns, in rows, in columns) for every tap that reaches the input."""
    (_, H, W, _), (KH, KW), (OH, OW) = x_shape, kernel_shape[:2], out_shape
    taps = []
    for i in range(KH):
        rows = _reach(i * dilation[0] - pads[0][0], strides[0], H, OH)
        for j in range(KW):
            cols = _reach(j * dilation[1] - pads[1][0], strides[1], W, OW)
            if rows is not None and cols is not None:
                taps.append((i, j, rows[0], cols[0], rows[1], cols[1]))
    return taps


def forward(x, kernel, strides, padding, dilation):
    """y[n, oh, ow, o] = sum over taps (i, j) of z[n, oh*s + i*d - pad, ow*s + j*d - pad, i, j,
    o], z = x @ kernel over the input channels; taps that fall in the padding add nothing."""
    N, H, W, C = x.shape
    KH, KW, _, CO = kernel.shape
    OH, OW, pad_h, pad_w = _geometry(x.shape, (KH, KW), strides, padding, dilation)
    dtype = np.result_type(x.dtype, kernel.dtype)
    x2 = np.ascontiguousarray(x, dtype=dtype).reshape(-1, C)
    kernel = kernel.astype(dtype, copy=False)
    k_all = np.ascontiguousarray(kernel.transpose(2, 0, 1, 3)).reshape(C, -1)
    taps = _taps(x.shape, kernel.shape, (OH, OW), strides, (pad_h, pad_w), dilation)
    y = np.empty((N, OH, OW, CO), dtype)

    def task(block):
        n = block.stop - block.start
        pixels = slice(block.start * H * W, block.stop * H * W)
        z = np.empty((n * H * W, KH * KW * CO), dtype)
        z = _by_rows(x2[pixels], k_all, z).reshape(n, H, W, KH, KW, CO)
        out = y[block]
        out[...] = 0
        for i, j, out_rows, out_cols, rows, cols in taps:
            out[:, out_rows, out_cols] += z[:, rows, cols, i, j]

    threads.run([partial(task, block) for block in _blocks(N, H, W)])
    return y, (x2, x.shape, kernel, strides, (pad_h, pad_w), dilation)


def _spread(g, taps, kernel_shape, out):
    """Into `out` (KH, KW, CO, n, H, W), returned as a (KH*KW*CO, n*H*W) matrix: row (i, j, o)
    holds, at each input pixel, the gradient of the output that reads it through tap (i, j),
    output channel o (else 0)."""
    KH, KW, _, CO = kernel_shape
    reached = {(i, j): slices for i, j, *slices in taps}
    for i in range(KH):
        for j in range(KW):
            for o in range(CO):
                plane = out[i, j, o]
                if (i, j) not in reached:
                    plane[...] = 0
                    continue
                out_rows, out_cols, rows, cols = reached[i, j]
                if rows.step == 1 and cols.step == 1:  # zero only the margins
                    plane[:, : rows.start] = 0
                    plane[:, rows.stop :] = 0
                    plane[:, rows, : cols.start] = 0
                    plane[:, rows, cols.stop :] = 0
                else:
                    plane[...] = 0
                plane[:, rows, cols] = g[:, out_rows, out_cols, o]
    return out.reshape(KH * KW * CO, -1)


def backward(g, cache, need_x=True, need_kernel=True):
    """(gx, gkernel) for `forward`; each side is skipped (None) when not needed. Each block
    sums its own kernel gradient, CHUNK pixels at a time, and the blocks' sums are added in
    order, whatever the thread count."""
    x2, x_shape, kernel, strides, pads, dilation = cache
    N, H, W, C = x_shape
    KH, KW, _, CO = kernel.shape
    g = np.ascontiguousarray(g, dtype=kernel.dtype)
    taps = _taps(x_shape, kernel.shape, g.shape[1:3], strides, pads, dilation)
    blocks = _blocks(N, H, W)
    k2 = kernel.transpose(0, 1, 3, 2).reshape(-1, C)
    gx = np.empty((len(x2), C), g.dtype) if need_x else None
    gks = np.zeros((len(blocks), KH * KW * CO, C), g.dtype) if need_kernel else None

    def task(b):
        block = blocks[b]
        n, first = block.stop - block.start, block.start * H * W
        spread = np.empty((KH, KW, CO, n, H, W), g.dtype)
        spread = _spread(g[block], taps, kernel.shape, spread)
        product = np.empty((KH * KW * CO, C), g.dtype)
        for chunk in threads.even_slices(n * H * W, CHUNK):  # no short last GEMM
            pixels = slice(first + chunk.start, first + chunk.stop)
            if need_x:
                np.matmul(spread[:, chunk].T, k2, out=gx[pixels])
            if need_kernel:
                gks[b] += np.matmul(spread[:, chunk], x2[pixels], out=product)

    threads.run([partial(task, b) for b in range(len(blocks))])
    gk = None
    if need_kernel:
        gk = np.add.reduce(gks, axis=0).reshape(KH, KW, CO, C)
        gk = np.ascontiguousarray(gk.transpose(0, 1, 3, 2))
    return None if gx is None else gx.reshape(x_shape), gk
