"""Pure NumPy forward/backward pairs for convolution (NHWC, no Tensors).

A convolution runs a block of output pixels at a time: the block's patch matrix is copied
from a strided view of every kernel offset (no loop over pixels) into a buffer that stays in
cache for the block's GEMM, and the blocks are spread over the cores (kernels/threads.py). The
kernel's gradient is summed the same way; the input's gradient is, at stride 1, a convolution
of the padded output gradient with the flipped kernel, and otherwise a GEMM per kernel offset
added back by strided slices (`col2im`).
"""

from functools import partial

import numpy as np
from numpy.lib.stride_tricks import as_strided

from numkeras.kernels import threads, winograd, winograd1d

# Below this many channels the patch matrix is copied K-major: each copied run is then a row
# of output pixels rather than C values (C=1: 0.10 vs 0.16 ms; C=32: 3.6 vs 0.5 ms, measured).
FEW_CHANNELS = 4
# The convolutions run a block of output pixels at a time, each block's patch matrix about
# this large, so that it stays in cache between its copy and its GEMM.
BLOCK_BYTES = 1 << 20
# The blocks of one pass are cut into this many runs (fewer if there are fewer blocks), the
# tasks that threads.run spreads over the cores; a fixed count keeps sums thread-independent.
TASKS = 12
# `_pad` copies about this many bytes a task.
PAD_BYTES = 1 << 20


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
    """`x` with `value` rows and columns around it (`x` itself when there are none), copied
    a few images a task on the kernel threads (ResNet's (64, 32, 32, 32): 1.3 ms on one core,
    the other idle while it ran)."""
    if pad_h == (0, 0) and pad_w == (0, 0):
        return x
    N, H, W, C = x.shape
    xp = np.empty((N, H + sum(pad_h), W + sum(pad_w), C), x.dtype)

    def task(images):
        part = xp[images]
        part[:, : pad_h[0]] = value
        part[:, pad_h[0] + H :] = value
        part[:, pad_h[0] : pad_h[0] + H, : pad_w[0]] = value
        part[:, pad_h[0] : pad_h[0] + H, pad_w[0] + W :] = value
        part[:, pad_h[0] : pad_h[0] + H, pad_w[0] : pad_w[0] + W] = x[images]

    size = max(1, PAD_BYTES // max(1, xp[0].nbytes))
    threads.run([partial(task, s) for s in threads.guided_slices(N, size, max(1, size // 4))])
    return xp


def _unpad(xp, pad_h, pad_w):
    return xp[:, pad_h[0] : xp.shape[1] - pad_h[1], pad_w[0] : xp.shape[2] - pad_w[1]]


def col2im(gxp, g2, kernel, OH, OW, strides, dilation, buffer=None):
    """Add the patch gradients g2 @ kernel.T of a convolution into its padded input's `gxp`.

    With many channels each kernel offset gets its own (M, CO) @ (CO, C) GEMM into one reused
    `buffer` (M, C) (made here if not given), so every add into `gxp` runs over contiguous
    (OW, C) rows rather than C values (conv2 of the tutorial CNN: 1.2 vs 2.6 ms of adds, with
    the same GEMM time).
    """
    KH, KW, C, CO = kernel.shape
    N = gxp.shape[0]
    if C < FEW_CHANNELS:
        parts = (kernel.reshape(-1, CO) @ g2.T).reshape(KH, KW, C, N, OH, OW)
        parts = parts.transpose(0, 1, 3, 4, 5, 2)
    elif buffer is None:
        buffer = np.empty((N * OH * OW, C), dtype=g2.dtype)
    for i in range(KH):
        for j in range(KW):
            if C < FEW_CHANNELS:
                part = parts[i, j]
            else:
                part = np.matmul(g2, kernel[i, j].T, out=buffer).reshape(N, OH, OW, C)
            rows = _window(i * dilation[0], OH, strides[0])
            columns = _window(j * dilation[1], OW, strides[1])
            gxp[:, rows, columns] += part
    return gxp


class BiasRelu:
    """relu(y + bias) in place on (m, C) arrays, a per-channel bias added over rows of about
    1,024 values (r pixels), where a C-value broadcast runs 2x slower; the last m % r pixels
    run as C-value rows."""

    def __init__(self, bias, C, dtype):
        self.r = max(1, 1024 // C)
        self.bias = None if bias is None else np.tile(bias.astype(dtype, copy=False), self.r)
        self.zeros = np.zeros(C * self.r, dtype)

    def __call__(self, y):
        m, C = y.shape
        whole = m - m % self.r
        for part, width in ((y[:whole], C * self.r), (y[whole:], C)):
            rows = part.reshape(-1, width)
            if self.bias is not None:
                rows += self.bias[:width]
            np.maximum(rows, self.zeros[:width], out=rows)


def in_image_runs(y, epilogue):
    """`epilogue` on the (m, C) rows of `y` (N, ..., C), about BLOCK_BYTES of images a task
    on the kernel threads: for outputs that no block loop wrote."""
    rows = y.reshape(y.shape[0], -1, y.shape[-1])
    size = max(1, BLOCK_BYTES // max(1, rows[0].nbytes))

    def task(images):
        epilogue(rows[images].reshape(-1, rows.shape[2]))

    threads.run([partial(task, s) for s in threads.even_slices(len(rows), size)])
    return y


def _group(grp, size):
    return slice(grp * size, (grp + 1) * size)


def _blocks(N, OH, OW, row_bytes):
    """(images, output rows) slices tiling an (N, OH, OW) output in blocks whose patch matrices
    hold at most about BLOCK_BYTES: whole images where one fits, else even runs of rows."""
    rows = max(1, BLOCK_BYTES // (row_bytes * OW))
    if rows < OH:
        rows = -(-OH // -(-OH // rows))  # the same number of runs, evened out
        return [
            (slice(n, n + 1), slice(r, min(r + rows, OH)))
            for n in range(N)
            for r in range(0, OH, rows)
        ]
    # whole images: evened out and an even number of blocks, so two threads share them
    # equally (Conv1D(64, 7) of (64, 500, 3): 3 blocks of 25, 25 and 14 images were 4 of 16)
    return [(images, slice(0, OH)) for images in threads.even_slices(N, rows // OH)]


def _patches(xp, KH, KW, OH, OW, strides, dilation):
    """The (N, OH, OW, KH, KW, C) strided view of every output pixel's patch, copied nowhere."""
    N, _, _, C = xp.shape
    sN, sH, sW, sC = xp.strides
    return as_strided(
        xp,
        (N, OH, OW, KH, KW, C),
        (sN, sH * strides[0], sW * strides[1], sH * dilation[0], sW * dilation[1], sC),
        writeable=False,
    )


def _runs(blocks):
    """The blocks cut into at most TASKS contiguous runs of near-equal length, one task each."""
    n = min(TASKS, len(blocks))
    bounds = [len(blocks) * i // n for i in range(n + 1)]
    return [blocks[start:stop] for start, stop in zip(bounds, bounds[1:])]


def _patch_blocks(xp, blocks, KH, KW, OH, OW, strides, dilation):
    """(block, patch matrix) pairs for a run of blocks, each block's (m, KH*KW*C) matrix copied
    into one buffer that stays in cache until the next block overwrites it."""
    C = xp.shape[3]
    K = KH * KW * C
    patches = _patches(xp, KH, KW, OH, OW, strides, dilation)
    largest = max((i.stop - i.start) * (r.stop - r.start) for i, r in blocks)
    buffer = np.empty(largest * OW * K, xp.dtype)
    for block in blocks:
        part = patches[block]
        m = part.shape[0] * part.shape[1] * OW
        if C < FEW_CHANNELS:  # a Fortran-ordered matrix: BLAS takes either
            cols = buffer[: m * K].reshape(part.shape[3:] + part.shape[:3])
            np.copyto(cols, part.transpose(3, 4, 5, 0, 1, 2))
            yield block, cols.reshape(K, m).T
        else:
            cols = buffer[: m * K].reshape(part.shape)
            np.copyto(cols, part)
            yield block, cols.reshape(m, K)


def conv_blocks(xp, kernel, strides, dilation, out, epilogue=None):
    """Valid convolution of the padded `xp` into the C-contiguous `out` (N, OH, OW, CO), a
    block of output pixels at a time: each block's patches are copied into a reused buffer
    that stays in cache for its GEMM, so no full patch matrix is ever written (ResNet's 3x3
    convs, batch 64 at 32x32x32: 19 vs 32 ms a forward pass on one core). The runs of blocks
    are `threads.run`'s tasks. `epilogue` (such as a `BiasRelu`), if given, runs in place on
    each block's (m, CO) output while it is in cache."""
    if winograd1d.applies(xp, kernel.shape, strides, dilation):  # 1-D, fewer products
        winograd1d.conv(xp[:, 0], kernel[0], out[:, 0])
        return out if epilogue is None else in_image_runs(out, epilogue)
    KH, KW, C, CO = kernel.shape
    N, OH, OW, _ = out.shape
    k2 = kernel.reshape(-1, CO)

    def task(blocks):
        for block, cols in _patch_blocks(xp, blocks, KH, KW, OH, OW, strides, dilation):
            np.matmul(cols, k2, out=(o := out[block].reshape(-1, CO)))
            if epilogue is not None:
                epilogue(o)

    runs = _runs(_blocks(N, OH, OW, k2.shape[0] * xp.itemsize))
    threads.run([partial(task, blocks) for blocks in runs])
    return out


def kernel_gradient(xp, g, kernel_shape, strides, dilation):
    """The gradient (KH, KW, C, CO) of a valid convolution of `xp` for the C-contiguous output
    gradient `g`: patches.T @ g, block by block as in `conv_blocks`; each run of blocks sums
    its own part, and the parts are added in order, whatever the thread count."""
    if winograd1d.applies(xp, kernel_shape, strides, dilation):
        return winograd1d.kernel_gradient(xp[:, 0], g[:, 0], kernel_shape[1])[None]
    return _gradient_runs(xp, g, kernel_shape, strides, dilation)[0]


def _gradient_runs(xp, g, kernel_shape, strides, dilation, relu_out=None):
    """`kernel_gradient` by patch matrices; with `relu_out` (the relu output y of the conv plus
    a bias) each block of g is first masked by y > 0 while in cache, and the masked blocks'
    sums come too: (kernel gradient, bias gradient or None)."""
    KH, KW, C, CO = kernel_shape
    N, OH, OW, _ = g.shape
    K = KH * KW * C
    blocks = _blocks(N, OH, OW, K * xp.itemsize)
    runs = _runs(blocks)
    parts = np.zeros((len(runs), K, CO), g.dtype)
    sums = np.zeros((len(runs), CO), g.dtype)
    largest = max((i.stop - i.start) * (r.stop - r.start) for i, r in blocks) * OW

    def task(i):
        product = np.empty((K, CO), g.dtype)
        if relu_out is not None:
            masked, ones = np.empty((largest, CO), g.dtype), np.ones(largest, g.dtype)
        for block, cols in _patch_blocks(xp, runs[i], KH, KW, OH, OW, strides, dilation):
            gb = g[block].reshape(-1, CO)
            if relu_out is not None:
                gb = np.multiply(gb, relu_out[block].reshape(-1, CO) > 0, out=masked[: len(gb)])
                sums[i] += np.matmul(ones[: len(gb)], gb, out=product[0])
            parts[i] += np.matmul(cols.T, gb, out=product)

    threads.run([partial(task, i) for i in range(len(runs))])
    gk = np.add.reduce(parts, axis=0).reshape(kernel_shape)
    return gk, None if relu_out is None else np.add.reduce(sums, axis=0)


def relu_masked(g, y):
    """(g where y > 0 else 0, its sum over every axis but the last): the gradient through
    relu(z + bias) to z, and the bias's; about BLOCK_BYTES of images a task on the kernel
    threads, the tasks' sums added in order."""
    gm = np.empty(y.shape, y.dtype)
    rows, grows = gm.reshape(len(gm), -1, gm.shape[-1]), g.reshape(len(g), -1, g.shape[-1])
    yrows = y.reshape(rows.shape)
    size = max(1, BLOCK_BYTES // max(1, rows[0].nbytes))
    pieces = threads.even_slices(len(rows), size)
    sums = np.empty((len(pieces), rows.shape[2]), y.dtype)
    ones = np.ones(size * rows.shape[1], y.dtype)

    def task(i):
        part = np.multiply(grows[pieces[i]], yrows[pieces[i]] > 0, out=rows[pieces[i]])
        part = part.reshape(-1, rows.shape[2])
        np.matmul(ones[: len(part)], part, out=sums[i])

    threads.run([partial(task, i) for i in range(len(pieces))])
    return gm, np.add.reduce(sums, axis=0)


def conv2d_relu_backward(g, y, cache, need_x=True, need_kernel=True):
    """(gx, gkernel, gbias) for `conv2d_forward` with a `BiasRelu` epilogue whose output is
    `y`. Where only the kernel's gradient is needed and patch matrices ran, g is masked block
    by block inside the kernel gradient's loop (a conv on the model's input: no pass writing
    the masked g); else the masked g is made first."""
    xp, _, kernel, strides, _, dilation, groups = cache
    if (
        need_kernel
        and not need_x
        and groups == 1
        and not winograd.applies(kernel.shape, strides, dilation, g.shape[1:3], g.dtype, groups)
        and not winograd1d.applies(xp, kernel.shape, strides, dilation)
    ):
        gk, gb = _gradient_runs(xp, g, kernel.shape, strides, dilation, y)
        return None, gk, gb
    gm, gb = relu_masked(g, y)
    return (*conv2d_backward(gm, cache, need_x, need_kernel), gb)


def conv2d_forward(x, kernel, strides, padding, dilation, groups=1, epilogue=None):
    """y[n, oh, ow, o] = sum over (i, j, c) of patch * kernel[i, j, c, o]: GEMMs per group;
    then `epilogue` in place on y's (m, CO) rows (per block while in cache where one group
    runs by patch matrices)."""
    KH, KW, Cg, CO = kernel.shape
    OH, OW, pad_h, pad_w = _geometry(x.shape, (KH, KW), strides, padding, dilation)
    dtype = np.result_type(x.dtype, kernel.dtype)
    kernel = kernel.astype(dtype, copy=False)
    y = np.empty((x.shape[0], OH, OW, CO), dtype)
    if winograd.applies(kernel.shape, strides, dilation, (OH, OW), dtype, groups):  # xr cached
        xr = winograd.conv2d(x.astype(dtype, copy=False), kernel, (pad_h, pad_w), y)
        if epilogue is not None:
            in_image_runs(y, epilogue)
        return y, (xr, x.shape, kernel, strides, (pad_h, pad_w), dilation, groups)
    xp = _pad(x.astype(dtype, copy=False), pad_h, pad_w)
    if groups == 1:
        conv_blocks(xp, kernel, strides, dilation, y, epilogue)
    for grp in range(groups if groups > 1 else 0):
        COg = CO // groups
        part = np.empty(y.shape[:3] + (COg,), dtype)
        kg = np.ascontiguousarray(kernel[..., _group(grp, COg)])
        y[..., _group(grp, COg)] = conv_blocks(
            xp[..., _group(grp, Cg)], kg, strides, dilation, part
        )
    if groups > 1 and epilogue is not None:
        in_image_runs(y, epilogue)
    cache = (xp, x.shape, kernel, strides, (pad_h, pad_w), dilation, groups)
    return y, cache


def flipped_is_cheaper(x_shape, kernel_shape, out_size, strides):
    """Whether `input_gradient` runs a flipped-kernel convolution rather than `col2im`: at
    stride 1, where the input is not much larger than the output (see there)."""
    (_, H, W, C), CO, (OH, OW) = x_shape, kernel_shape[3], out_size
    return tuple(strides) == (1, 1) and C >= FEW_CHANNELS and H * W * CO <= 2 * OH * OW * C


def flipped(kernel):
    """A (KH, KW, C, CO) kernel turned by 180 degrees with its channel axes swapped, contiguous:
    the kernel whose stride-1 convolution of the padded output gradient is the input gradient."""
    return np.ascontiguousarray(kernel[::-1, ::-1].transpose(0, 1, 3, 2))


def input_gradient(g, kernel, x_shape, strides, pads, dilation):
    """The gradient of one group's input; `g` may stop short of the convolution's last rows
    and columns (zero gradient there). At stride 1, where the input is not much larger than
    the output, it is a valid convolution of `g`, zero-padded by each kernel span less the
    forward padding on that side, with the kernel flipped and its channel axes swapped;
    otherwise each offset's GEMM is added back by `col2im`, which copies less where the
    output is much smaller, has more channels than the input, or the input has few."""
    N, H, W, C = x_shape
    KH, KW, _, CO = kernel.shape
    OH, OW = g.shape[1:3]
    if winograd.input_applies(kernel.shape, strides, dilation, (H, W), g.dtype):  # flipped
        return winograd.input_gradient(g, kernel, pads, np.empty(x_shape, g.dtype))
    # one core: valid 3x3 from 13x13, C 32 -> 64: 11.0 vs 13.7 ms; 'same' 32 -> 32 at 14x14:
    # 7.8 vs 13.3 ms; Conv1D(64, 7) of length 494: 23 vs 32 ms (flipped vs col2im)
    if flipped_is_cheaper(x_shape, kernel.shape, (OH, OW), strides):
        span_h, span_w = (KH - 1) * dilation[0], (KW - 1) * dilation[1]
        top, left = span_h - pads[0][0], span_w - pads[1][0]
        gp = _pad(g, (top, H + pads[0][0] - OH), (left, W + pads[1][0] - OW))
        return conv_blocks(gp, flipped(kernel), (1, 1), dilation, np.empty(x_shape, g.dtype))
    gxp = np.zeros((N, H + sum(pads[0]), W + sum(pads[1]), C), g.dtype)
    col2im(gxp, g.reshape(-1, CO), kernel, OH, OW, strides, dilation)
    return _unpad(gxp, *pads)


def conv2d_backward(g, cache, need_x=True, need_kernel=True):
    """(gx, gkernel) for `conv2d_forward`; each side is skipped (None) when not needed."""
    xp, x_shape, kernel, strides, pads, dilation, groups = cache
    KH, KW, Cg, CO = kernel.shape
    COg = CO // groups
    g = np.ascontiguousarray(g, dtype=kernel.dtype)
    if winograd.applies(kernel.shape, strides, dilation, g.shape[1:3], g.dtype, groups):
        tiled = winograd.input_applies(kernel.shape, strides, dilation, x_shape[1:3], g.dtype)
        gx = np.empty(x_shape, g.dtype) if need_x and tiled else None
        gk = winograd.backward(xp, g, kernel, pads, gx, need_kernel)
        if need_x and not tiled:  # im2col's input gradient (smaller inputs, `input_applies`)
            gx = input_gradient(g, kernel, x_shape, strides, pads, dilation)
        return gx, gk
    if groups == 1:
        gk = kernel_gradient(xp, g, kernel.shape, strides, dilation) if need_kernel else None
        gx = input_gradient(g, kernel, x_shape, strides, pads, dilation) if need_x else None
        return gx, gk
    gx = np.empty(x_shape, g.dtype) if need_x else None
    gk = np.empty(kernel.shape, g.dtype) if need_kernel else None
    for grp in range(groups):
        gg = np.ascontiguousarray(g[..., _group(grp, COg)])
        kg = kernel[..., _group(grp, COg)]
        if need_kernel:
            gk[..., _group(grp, COg)] = kernel_gradient(
                xp[..., _group(grp, Cg)], gg, kg.shape, strides, dilation
            )
        if need_x:
            shape = x_shape[:3] + (Cg,)
            gx[..., _group(grp, Cg)] = input_gradient(gg, kg, shape, strides, pads, dilation)
    return gx, gk
