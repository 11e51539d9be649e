"""Conv2D + bias + relu + max pool kernels, for the classic conv-then-pool block.

Where max pool windows tile a relu conv's output (ops/layer_ops/fused.py's `conv_relu_pool`, chosen
by numkeras/models/fusion.py), the pool runs over the raw convolution instead (max and relu
commute, and a per-channel bias is constant over a window), so bias and relu run on 1/(p*q) of
the values. The patch matrix's rows are ordered window offset first, so the p*q candidates of
every window are p*q contiguous blocks of the GEMM output and the pooling runs over long
contiguous rows.

The batch runs a few images at a time, so that a chunk's patch matrix, GEMM output and gradients
stay in the core's cache between passes; every chunk is one of `threads.run`'s tasks. The forward
pass keeps only the pooled output and each window's first-maximum index (one byte a value): the
backward pass copies the chunk's patches again rather than keeping them. Scratch arrays are kept
per thread and reused across calls; nothing returned or cached for the VJP is one of them.

The values equal the separate ops' bit for bit; the gradient goes to the same first maximum,
except where adding the bias rounds two different raw values to one float (a tie that the
separate ops would break by window order).
"""

import math
import threading
from functools import partial

import numpy as np
from numpy.lib.stride_tricks import as_strided

from numkeras.kernels import threads, winograd
from numkeras.kernels.conv import (
    FEW_CHANNELS,
    BiasRelu,
    _geometry,
    _pad,
    col2im,
    flipped_is_cheaper,
    input_gradient,
)
from numkeras.kernels.pool import _route, _running_max

# A chunk's patch matrix and GEMM output together take about this much: they stay in a core's
# L2 cache (2 MB here) between the copy, the GEMM and the pooling passes (2 MB chunks: 3-6%
# less CPU time than 1 MB at the tutorial CNN and autoencoder shapes).
CHUNK_BYTES = 2 << 20
# Scratch arrays up to this size are kept for the next call; larger ones (a single big image's
# patches) are made afresh, so that no thread holds on to them.
KEEP_BYTES = 8 << 20

_scratch = threading.local()


def _buffer(name, shape, dtype):
    """A scratch array of `shape` for this thread, reused by later calls (never returned)."""
    size, dtype = math.prod(shape), np.dtype(dtype)
    if size * dtype.itemsize > KEEP_BYTES:
        return np.empty(shape, dtype)
    buffers = _scratch.__dict__.setdefault("buffers", {})
    flat = buffers.get((name, dtype))
    if flat is None or flat.size < size:
        flat = buffers[(name, dtype)] = np.empty(size, dtype)
    return flat[:size].reshape(shape)


def pooled_patches(xp, kernel_size, pooled, pool, strides, dilation):
    """The strided view (copied nowhere) of the patches of the conv outputs that the pool
    windows cover, axes (window row, window column, image, pooled row, pooled column, patch);
    a patch row's KW * C values are one axis where they are contiguous in `xp`. With few
    channels it is transposed patch first, as kernels.conv copies few channels (K-major);
    and whether it is."""
    N, _, _, C = xp.shape
    (KH, KW), (PH, PW), (p, q) = kernel_size, pooled, pool
    sN, sH, sW, sC = xp.strides
    (s0, s1), (d0, d1) = strides, dilation
    shape = (p, q, N, PH, PW, KH, KW, C)
    steps = (sH * s0, sW * s1, sN, sH * s0 * p, sW * s1 * q, sH * d0, sW * d1, sC)
    if C < FEW_CHANNELS:
        patches = as_strided(xp, shape, steps, writeable=False)
        return patches.transpose(5, 6, 7, 0, 1, 2, 3, 4), True
    if d1 == 1 and sW == C * sC:
        shape, steps = shape[:6] + (KW * C,), steps[:6] + (sC,)
    return as_strided(xp, shape, steps, writeable=False), False


def patch_matrix(patches, rows, out):
    """The patch matrix of the images `rows` (rows in `pooled_patches`' order), copied into
    the flat buffer `out`: C-ordered, or Fortran-ordered for few channels (BLAS takes either)."""
    patches, k_major = patches
    part = patches[..., rows, :, :] if k_major else patches[:, :, rows]
    cols = out[: part.size].reshape(part.shape)
    np.copyto(cols, part)
    if k_major:
        return cols.reshape(math.prod(part.shape[:3]), -1).T
    return cols.reshape(math.prod(part.shape[:5]), -1)


def _chunks(n, image_bytes):
    """Slices of the batch whose patch matrix and GEMM output stay in cache between passes,
    evened out, and an even number of them where there are several, so that two kernel
    threads get equal shares (the tutorial CNN's blocks: 8 chunks of 16 images, 10 of 12-13,
    where chunks of 18 and 14 images left one thread 12% and 9% more work than the other)."""
    return threads.even_slices(n, CHUNK_BYTES // image_bytes)


def _image_bytes(pool, pooled, kernel_shape, itemsize):
    (p, q), (PH, PW), (KH, KW, C, CO) = pool, pooled, kernel_shape
    return p * q * PH * PW * (KH * KW * C + CO) * itemsize


def conv_relu_pool_forward(x, kernel, bias, strides, padding, dilation, pool, for_grad=True):
    """relu(max_pool(conv(x, kernel)) + bias) for pool windows that tile the conv output,
    a chunk of images at a time; conv outputs in no window (the cropped remainder) are never
    computed. Without `for_grad` (inference) no first-maximum index is kept, and the cache
    is None."""
    N = x.shape[0]
    KH, KW, C, CO = kernel.shape
    OH, OW, pad_h, pad_w = _geometry(x.shape, (KH, KW), strides, padding, dilation)
    (p, q), PH, PW = pool, OH // pool[0], OW // pool[1]
    K, k2 = KH * KW * C, kernel.reshape(-1, CO)
    y = np.empty((N, PH, PW, CO), np.result_type(x.dtype, kernel.dtype))
    first = np.empty(y.shape, np.min_scalar_type(p * q)) if for_grad else None
    wino = winograd.applies(kernel.shape, strides, dilation, (OH, OW), y.dtype)
    if wino:  # the conv values the unfused conv has then, bit for bit; "patches" is its input
        patches = winograd.paired_input(x, (PH * p, PW * q), (pad_h, pad_w))
        u = winograd.kernel_tiles(kernel)
    else:
        xp = _pad(x, pad_h, pad_w)
        patches = pooled_patches(xp, (KH, KW), (PH, PW), pool, strides, dilation)
    chunks = _chunks(N, _image_bytes(pool, (PH, PW), kernel.shape, y.itemsize))
    images = max(c.stop - c.start for c in chunks)
    y2, first2 = y.reshape(-1, CO), None if first is None else first.reshape(-1, CO)
    relu = BiasRelu(bias, CO, y.dtype)

    def task(rows):
        cols_out = None if wino else _buffer("cols", (p * q * images * PH * PW * K,), y.dtype)
        z_out = _buffer("z", (p * q * images * PH * PW * CO,), y.dtype)
        m = (rows.stop - rows.start) * PH * PW
        cells = slice(rows.start * PH * PW, rows.stop * PH * PW)
        if wino:
            z = _window_cells(patches, u, rows, (PH, PW), pool, z_out[: p * q * m * CO])
        else:
            cols = patch_matrix(patches, rows, cols_out)
            z = _by_offset(cols, k2, z_out[: p * q * m * CO].reshape(p * q, m, CO), patches[1])
        z = z.reshape(p * q, m, CO)
        if for_grad:
            _running_max(list(z), out=y2[cells], first=first2[cells])
        else:
            np.max(z, axis=0, out=y2[cells])
        relu(y2[cells])

    threads.run([partial(task, rows) for rows in chunks])
    cache = (patches, y, first, x.shape, kernel, pool, strides, (pad_h, pad_w), dilation)
    return y, cache if for_grad else None


def _by_offset(cols, k2, z, k_major):
    """The GEMM cols @ k2 into `z` (window offset, cell, channel): for few channels one GEMM
    a window offset (a stacked matmul, one NumPy call), whose K-major rows BLAS takes ~30%
    faster in these runs of about 3,000 than in one (the tutorial CNN's first conv, 16 images:
    71 vs 107 us); the same bits."""
    if not k_major:
        np.matmul(cols, k2, out=z.reshape(-1, z.shape[2]))
        return z
    np.matmul(_offset_stack(cols, len(z)), k2, out=z)
    return z


def _offset_stack(cols, offsets):
    """The K-major patch matrix `cols` (offsets m, K) as (offset, m, K), copied nowhere."""
    return cols.T.reshape(cols.shape[1], offsets, -1).transpose(1, 2, 0)


def _kernel_gradient(cols, gz, out, k_major):
    """cols.T @ gz (window offset, cell, channel) into `out`: for few channels a product a
    window offset (one stacked matmul) summed in order (the tutorial CNN's first conv, 16
    images: 69 vs 132 us as one GEMM)."""
    if not k_major:
        np.matmul(cols.T, gz.reshape(-1, gz.shape[2]), out=out)
        return
    products = _buffer("products", (len(gz),) + out.shape, out.dtype)
    np.matmul(_offset_stack(cols, len(gz)).transpose(0, 2, 1), gz, out=products)
    np.add.reduce(products, axis=0, out=out)


def _window_cells(xr, u, images, pooled, pool, out):
    """The conv outputs the pool windows cover, for a block of images, by Winograd tiles
    (the kernel's `u`) from its `paired_input` `xr`: (p q, images PH PW, CO) in `out`, window
    offset first."""
    (PH, PW), (p, q), CO = pooled, pool, u.shape[3]
    n = images.stop - images.start
    if (p, q) == (2, 2):  # the windows are the tiles
        return winograd.pool_cells(xr, u, images, out).reshape(4, -1, CO)
    conv = _buffer("conv", (n, PH * p, PW * q, CO), out.dtype)
    winograd.conv_valid(xr[:, images], None, conv, u)
    z = out.reshape(p, q, n, PH, PW, CO)
    for a in range(p):
        for b in range(q):
            z[a, b] = conv[:, a::p, b::q]
    return z


def conv_relu_pool_backward(g, cache, need_x=True, need_kernel=True, need_bias=True):
    """(gx, gkernel, gbias) for `conv_relu_pool_forward`; each is None when not needed. Each
    chunk (a task) writes its own kernel and bias gradient parts, added in order afterwards."""
    patches, y, first, x_shape, kernel, (p, q), strides, pads, dilation = cache
    conv_size = [n + sum(pad) - k + 1 for n, pad, k in zip(x_shape[1:3], pads, kernel.shape)]
    wino = winograd.applies(kernel.shape, strides, dilation, conv_size, y.dtype)  # xr cached
    _, PH, PW, CO = y.shape
    N, H, W, C = x_shape
    KH, KW = kernel.shape[:2]
    K, dtype = KH * KW * C, y.dtype
    g2 = np.ascontiguousarray(g, dtype).reshape(-1, CO)
    y2, first2 = y.reshape(-1, CO), first.reshape(-1, CO)
    gx = np.empty(x_shape, dtype) if need_x else None
    flipped = need_x and flipped_is_cheaper(x_shape, kernel.shape, (PH * p, PW * q), strides)
    wino_x = winograd.input_applies(kernel.shape, strides, dilation, (H, W), dtype)
    flipped = flipped or wino_x  # the flipped conv runs as Winograd tiles then
    chunks = _chunks(N, _image_bytes((p, q), (PH, PW), kernel.shape, y.itemsize))
    images = max(c.stop - c.start for c in chunks)
    K_tiles = 16 * C if wino else K  # Winograd sums the gradient of the kernel's tiles
    gks = np.empty((len(chunks), K_tiles, CO), dtype) if need_kernel else None
    gbs = np.empty((len(chunks), CO), dtype) if need_bias else None
    ones = np.ones(images * PH * PW, dtype)
    u = winograd.flipped_tiles(kernel) if wino and wino_x and need_x else None

    def task(i):
        rows, cells_most = chunks[i], images * PH * PW
        gp_out = _buffer("gp", (cells_most * CO,), dtype)
        gz_out = _buffer("gz", (p * q * cells_most * CO,), dtype)
        n = rows.stop - rows.start
        m = n * PH * PW
        cells = slice(rows.start * PH * PW, rows.stop * PH * PW)
        gp = gp_out[: m * CO].reshape(m, CO)
        np.multiply(g2[cells], y2[cells] > 0, out=gp)
        if need_bias:
            np.matmul(ones[:m], gp, out=gbs[i])
        gz = gz_out[: p * q * m * CO].reshape(p * q, m, CO)
        _route(gp, first2[cells], gz)
        g_conv = _conv_gradient(gz, (n, PH, PW), (p, q), CO) if wino else None
        if need_kernel and wino:
            gks[i] = winograd.tile_gradient(patches[:, rows], g_conv).reshape(K_tiles, CO)
        elif need_kernel:
            cols = patch_matrix(patches, rows, _buffer("cols", (p * q * cells_most * K,), dtype))
            _kernel_gradient(cols, gz, gks[i], patches[1])
        if need_x:
            shape = (n, H, W, C)
            args = (shape, (PH, PW), (p, q), strides, pads, dilation, flipped, gx[rows])
            _input_gradient(gz, kernel, *args, g_conv, u)

    threads.run([partial(task, i) for i in range(len(chunks))])
    gk = np.add.reduce(gks, axis=0) if need_kernel else None
    if need_kernel:
        gk = (
            winograd.kernel_from_tiles(gk.reshape(4, 4, C, CO))
            if wino
            else gk.reshape(kernel.shape)
        )
    gb = np.add.reduce(gbs, axis=0) if need_bias else None
    return gx, gk, gb


def _conv_gradient(gz, pooled, pool, CO):
    """The conv outputs' gradient (n, PH p, PW q, CO), NHWC, from its windows' `gz`."""
    (n, PH, PW), (p, q) = pooled, pool
    g_conv = _buffer("g_conv", (n, PH * p, PW * q, CO), gz.dtype)
    for k in range(p * q):
        a, b = divmod(k, q)
        g_conv[:, a::p, b::q] = gz[k].reshape(n, PH, PW, CO)
    return g_conv


def _input_gradient(
    gz, kernel, x_shape, pooled, pool, strides, pads, dilation, flipped, out, g_conv=None, u=None
):
    """A chunk's input gradient into `out` from its windows' conv output gradients `gz`
    (window offset, image, pooled row, pooled column, channel), or their NHWC `g_conv`; by
    Winograd tiles where the flipped kernel's tiles `u` are given."""
    (PH, PW), (p, q), (n, H, W, C), CO = pooled, pool, x_shape, kernel.shape[3]
    if g_conv is None:
        g_conv = _conv_gradient(gz, (n, PH, PW), pool, CO)
    if u is not None:
        winograd.input_gradient(g_conv, kernel, pads, out, u)
        return
    if flipped:
        out[...] = input_gradient(g_conv, kernel, x_shape, strides, pads, dilation)
        return
    if pads == ((0, 0), (0, 0)):
        gxp = out
    else:
        gxp = _buffer("gxp", (n, H + sum(pads[0]), W + sum(pads[1]), C), gz.dtype)
    gxp[...] = 0
    buffer = _buffer("col2im", (n * PH * p * PW * q, C), gz.dtype)
    col2im(gxp, g_conv.reshape(-1, CO), kernel, PH * p, PW * q, strides, dilation, buffer)
    if gxp is not out:
        out[...] = gxp[:, pads[0][0] : pads[0][0] + H, pads[1][0] : pads[1][0] + W]
