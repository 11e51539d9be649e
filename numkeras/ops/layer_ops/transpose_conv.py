"""conv_transpose: Keras's transposed convolution (1-D or 2-D), with its VJP beside it.

A transposed convolution is a convolution's input gradient: its input plays the part of the
convolution's output gradient. Its "full" output has length `(n - 1) * stride + (k - 1) *
dilation + 1` per axis, which Keras's `padding` and `output_padding` then crop, or extend with
zeros on the right. The forward pass computes the cropped output directly, each class of
outputs congruent modulo the stride as a stride-1 convolution of the input with the kernel
taps that reach it (`_phases`), all the classes from one patch matrix per block. The backward
pass is a strided convolution of the output gradient (zero-extended to the full output) for
the input, and its kernel gradient against the input for the kernel, both from one patch
matrix per block (`_gradients`). The kernel is `(*kernel_size, filters, in_channels)`, as in
Keras.
"""

import itertools
from functools import partial

import numpy as np

from numkeras.engine.math_ops import operands
from numkeras.engine.tensor import Tensor, as_tensor
from numkeras.kernels import conv as kernels
from numkeras.kernels import threads
from numkeras.ops.layer_ops.conv import _from_nhwc, _to_nhwc, _tuple
from numkeras.ops.layer_ops.nn_ops import _relu


def _pads(k, stride, dilation, padding, output_padding):
    """Keras's (left, right) padding of the stride-dilated input (JAX's convention)."""
    span = (k - 1) * dilation + 1
    if padding == "valid":
        extra = max(span, stride) - span if output_padding is None else output_padding
        return span - 1, span - 1 + extra
    if output_padding is None:
        total = stride + span - 2
    else:
        total = span + span % 2 - 2 + output_padding
    left = min(total // 2 + total % 2, span - 1)
    return left, total - left


def output_length(n, k, stride, padding, output_padding=None, dilation=1):
    """Keras's output length along one axis (None stays None)."""
    if n is None:
        return None
    left, right = _pads(k, stride, dilation, padding, output_padding)
    return (n - 1) * stride + 1 + left + right - (k - 1) * dilation


def _geometry(n, k, stride, dilation, padding, output_padding):
    """(buffer length, crop start, output length): the full output is cropped on the left
    and cropped or zero-extended on the right."""
    span = (k - 1) * dilation + 1
    left, right = _pads(k, stride, dilation, padding, output_padding)
    full = (n - 1) * stride + span
    out = output_length(n, k, stride, padding, output_padding, dilation)
    return max(full, full - (span - 1 - right)), span - 1 - left, out


def _output_padding(value, rank):
    if value is None:
        return (None,) * rank
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * rank
    if len(values) != rank or any(int(v) != v or v < 0 for v in values):
        raise ValueError(
            f"Op `conv_transpose`: `output_padding` must be None or {rank} non-negative "
            f"integers, got {value!r}."
        )
    return tuple(int(v) for v in values)


def conv_transpose(
    inputs,
    kernel,
    strides=1,
    padding="valid",
    output_padding=None,
    data_format=None,
    dilation_rate=1,
):
    """Transposed convolution with Keras's signature; kernel `(*kernel_size, out, in)`."""
    x, k = operands("conv_transpose", inputs, kernel)  # a bare NumPy kernel takes x's dtype
    settings = (strides, padding, output_padding, data_format, dilation_rate)
    return _transposed("conv_transpose", x, k, None, *settings)


def conv_transpose_bias_relu(
    inputs, kernel, bias, strides=1, padding="valid", output_padding=None, dilation_rate=1
):
    """relu(conv_transpose(inputs, kernel) + bias), channels_last, as one op: the bias and
    relu run on each block of the output while it is in cache, instead of a pass over the
    whole output, and the VJP masks each block of the output gradient as it builds it (values,
    input and kernel gradients: the separate ops' bits; the bias's is summed by blocks)."""
    x, k = operands("conv_transpose_bias_relu", inputs, kernel)
    b = as_tensor(bias, k.dtype)
    if b.shape != k.shape[-2:-1]:
        raise ValueError(
            f"Op `conv_transpose_bias_relu`: expected a bias of shape {k.shape[-2:-1]} for "
            f"kernel shape {k.shape}, got {b.shape}."
        )
    settings = (strides, padding, output_padding, "channels_last", dilation_rate)
    return _transposed("conv_transpose_bias_relu", x, k, b, *settings)


def _transposed(name, x, k, b, strides, padding, output_padding, data_format, dilation_rate):
    """The op `name`: conv_transpose of tensors `x` and `k`, then relu(y + b) if `b` is given."""
    rank = k.ndim - 2
    if rank not in (1, 2) or x.ndim != rank + 2:
        raise ValueError(
            f"Op `{name}`: expected a {rank + 2}-D input for a {k.ndim}-D kernel, got "
            f"input shape {x.shape} and kernel shape {k.shape}."
        )
    data_format = data_format or "channels_last"
    channels = x.shape[-1] if data_format == "channels_last" else x.shape[1]
    if channels != k.shape[-1]:
        raise ValueError(
            f"Op `{name}`: the input has {channels} channels but the kernel expects "
            f"{k.shape[-1]} (its last axis); input shape {x.shape}, kernel shape {k.shape}."
        )
    padding = str(padding).lower()
    if padding not in ("valid", "same"):
        raise ValueError(f"Op `{name}`: `padding` must be 'valid' or 'same', got {padding!r}.")
    strides, dilation = (
        _tuple(strides, rank, "strides"),
        _tuple(dilation_rate, rank, "dilation_rate"),
    )
    extra = _output_padding(output_padding, rank)
    if rank == 1:  # a 1-D transposed convolution is a 2-D one of height 1
        strides, dilation, extra = (1,) + strides, (1,) + dilation, (None,) + extra
    dtype = np.result_type(x.data.dtype, k.data.dtype)
    xd = _to_nhwc(x.data, data_format, rank).astype(dtype, copy=False)
    kd = (k.data[None] if rank == 1 else k.data).astype(dtype, copy=False)
    bd = None if b is None else b.data.astype(dtype, copy=False)
    N, H, W, CI = xd.shape
    KH, KW, CO = kd.shape[:3]
    (bh, ch, oh), (bw, cw, ow) = (
        _geometry(n, kk, s, d, padding, op)
        for n, kk, s, d, op in zip((H, W), (KH, KW), strides, dilation, extra)
    )
    if oh < 1 or ow < 1:
        raise ValueError(
            f"Op `{name}`: the output would be empty for input shape {x.shape}, kernel "
            f"shape {k.shape}, padding={padding!r}, output_padding={output_padding!r}."
        )
    y = _forward(xd, kd, strides, dilation, (ch, cw), (oh, ow), (bh, bw), bd)

    def vjp(g):
        need = {
            "x": x.requires_grad,
            "kernel": k.requires_grad,
            "bias": b is not None and b.requires_grad,
        }
        gx, gk, gb = _gradients(
            np.ascontiguousarray(_to_nhwc(g, data_format, rank), dtype),
            None if b is None else y,
            xd,
            kd,
            strides,
            dilation,
            (ch, cw),
            (bh, bw),
            need,
        )
        grads = (
            None if gx is None else _from_nhwc(gx, data_format, rank),
            None if gk is None else gk.reshape(k.shape),
        )
        return grads if b is None else grads + (None if gb is None else gb.astype(b.dtype),)

    parents = (x, k) if b is None else (x, k, b)
    return Tensor(_from_nhwc(y, data_format, rank), parents, vjp, name)


def _balanced_runs(N, rows, cols, row_bytes):
    """`kernels._runs` of `kernels._blocks`, except that blocks of whole images are cut again
    into evened-out blocks, as many as the runs share equally (the nearest multiple of
    `kernels.TASKS`, or an even number below it), so that no run is twice another's size
    (the autoencoder's 28x28 output: 13 blocks of 10 images in 12 runs, one of 20 images,
    left one of two kernel threads up to 15% more work)."""
    blocks = kernels._blocks(N, rows, cols, row_bytes)
    if blocks[0][1] == slice(0, rows) and len(blocks) > 1:
        count, tasks = len(blocks), kernels.TASKS
        count = max(tasks, round(count / tasks) * tasks) if count > tasks else count + count % 2
        bounds = [N * i // min(count, N) for i in range(min(count, N) + 1)]
        blocks = [(slice(a, b), slice(0, rows)) for a, b in zip(bounds, bounds[1:])]
    return kernels._runs(blocks)


def _gradients(g, y, x, kernel, strides, dilation, crops, full_shape, need):
    """(gx, gkernel, gbias) of a transposed convolution for its output gradient `g`, each
    None unless `need` asks for it: the input gradient is a strided convolution of the full
    output's gradient (`g` zero-extended to `full_shape`, `g` at `crops`) by the kernel, the
    kernel gradient that convolution's kernel gradient against the input, both from one patch
    matrix per block. Each block builds the rows of that full gradient it reads in a buffer
    in cache, masked by `y > 0` when relu's output `y` is given, and adds the rows it owns
    to its run's bias gradient; runs' sums are added in order, whatever the thread count."""
    N, H, W, CI = x.shape
    KH, KW, CO = kernel.shape[:3]
    (ch, cw), (bh, bw), (oh, ow) = crops, full_shape, g.shape[1:3]
    span = (KH - 1) * dilation[0] + 1
    k2 = kernel.reshape(-1, CI)
    runs = _balanced_runs(N, H, W, k2.shape[0] * g.itemsize)
    gx = np.empty(x.shape, g.dtype) if need["x"] else None
    gk = np.zeros((len(runs),) + k2.shape, g.dtype) if need["kernel"] else None
    gb = np.zeros((len(runs), CO), g.dtype) if need["bias"] else None
    ones = np.ones(bh * bw, g.dtype)

    def rows_read(rows):
        """Full rows [top, bottom) that feed a block's patches, and [top, end) that it owns
        for the bias; the last block also holds the rows past the patches' reach."""
        top, end = rows.start * strides[0], rows.stop * strides[0] if rows.stop < H else bh
        return top, max((rows.stop - 1) * strides[0] + span, end), end

    def task(i):
        product = np.empty(k2.shape, g.dtype)
        image_sums = np.empty((max(im.stop - im.start for im, _ in runs[i]), CO), g.dtype)
        spans = [(im.stop - im.start, rows_read(r)) for im, r in runs[i]]
        buffer = np.empty(
            max(n * (bottom - top) for n, (top, bottom, _) in spans) * bw * CO, g.dtype
        )
        for images, rows in runs[i]:
            top, bottom, end = rows_read(rows)
            slab = buffer[: (images.stop - images.start) * (bottom - top) * bw * CO]
            slab = slab.reshape(images.stop - images.start, bottom - top, bw, CO)
            lo, hi = max(top - ch, 0), min(bottom - ch, oh)  # the rows of g among them
            if lo >= hi:
                slab.fill(0)
            else:  # zeros around the rows and columns of g
                slab[:, : lo + ch - top] = 0
                slab[:, hi + ch - top :] = 0
                slab[:, lo + ch - top : hi + ch - top, :cw] = 0
                slab[:, lo + ch - top : hi + ch - top, cw + ow :] = 0
                target = slab[:, lo + ch - top : hi + ch - top, cw : cw + ow]
                if y is None:
                    target[...] = g[images, lo:hi]
                else:  # relu's mask
                    np.multiply(g[images, lo:hi], y[images, lo:hi] > 0, out=target)
                if gb is not None:  # image by image: the owned rows are contiguous in each
                    owned = slab[:, max(lo + ch, top) - top : min(hi + ch, end) - top]
                    owned = owned.reshape(len(owned), -1, CO)
                    sums = np.matmul(ones[: owned.shape[1]], owned, out=image_sums[: len(owned)])
                    gb[i] += np.add.reduce(sums, axis=0)
            if gx is None and gk is None:
                continue
            block = [(slice(0, images.stop - images.start), slice(0, rows.stop - rows.start))]
            for _, cols in kernels._patch_blocks(
                slab, block, KH, KW, rows.stop - rows.start, W, strides, dilation
            ):
                if gx is not None:
                    np.matmul(cols, k2, out=gx[images, rows].reshape(-1, CI))
                if gk is not None:
                    gk[i] += np.matmul(cols.T, x[images, rows].reshape(-1, CI), out=product)

    threads.run([partial(task, i) for i in range(len(runs))])
    return (
        gx,
        None if gk is None else np.add.reduce(gk, axis=0).reshape(kernel.shape),
        None if gb is None else np.add.reduce(gb, axis=0),
    )


def _phases(n, k, stride, dilation, crop, out):
    """Along one axis, each output residue r (outputs r, r + stride, ...) as (r, count, taps,
    offset, step): those outputs are a stride-1 convolution, with dilation `step`, of the
    input shifted by `offset`, by the kernel taps `taps` (in convolution order). With stride 1
    that is every tap; with stride s (dilation 1) the taps congruent to the residue's position
    in the full output, modulo s."""
    phases = []
    for r in range(min(stride, out)):
        count, first = -(-(out - r) // stride), r + crop  # `first`: index in the full output
        if stride == 1:
            taps, base, step = list(range(k)), first, dilation
        else:
            taps, base, step = list(range(first % stride, k, stride)), first // stride, 1
        phases.append((r, count, taps[::-1], base - (len(taps) - 1) * step, step))
    return phases


def _padded(x, phases):
    """`x` with zeros around it wide enough for every phase's shifted input (`x` itself when
    none reaches outside), and the (top, left) margin to add to the phases' offsets."""
    margins = []
    for axis, n in ((0, x.shape[1]), (1, x.shape[2])):
        reached = [phase[axis] for phase in phases if phase[0][2] and phase[1][2]]
        spans = [
            (off, off + count + (len(taps) - 1) * step) for _, count, taps, off, step in reached
        ]
        margins.append((max([0] + [-a for a, _ in spans]), max([0] + [b - n for _, b in spans])))
    return kernels._pad(x, *margins), (margins[0][0], margins[1][0])


def _union(phases):
    """(first offset, positions, step) of the input positions an axis's phases read, in
    steps (their tapless ones aside), and each phase's first position among them."""
    read = [(off, len(taps), step) for _, _, taps, off, step in phases if taps]
    first, step = min(off for off, _, _ in read), read[0][2]
    last = max(off + (n - 1) * step for off, n, step in read)
    return (first, (last - first) // step + 1, step), [(p[3] - first) // step for p in phases]


def _phase_kernels(kernel, phases_h, phases_w, starts_h, starts_w, positions_w):
    """Per row phase, per column phase: its GEMMs as (first, matrix) pairs, each a span of
    the shared patch matrix's columns from `first` (in input positions of CI columns) and the
    kernel taps as a matrix over that span; one span where the phase's taps are contiguous
    there, else one per row of taps, whose products are added (no zero taps: no more
    products than the taps, and an input no tap reads is never multiplied). None for a
    phase no tap reaches."""
    CO = kernel.shape[2]
    conv_kernel = kernel.transpose(0, 1, 3, 2)  # (KH, KW, CI, CO): contract the input channels
    work = []
    for (_, _, taps_h, _, _), a in zip(phases_h, starts_h):
        row = []
        for (_, _, taps_w, _, _), b in zip(phases_w, starts_w):
            if not taps_h or not taps_w:
                row.append(None)
                continue
            taps = conv_kernel[np.ix_(taps_h, taps_w)]
            if len(taps_h) == 1 or len(taps_w) == positions_w:  # one contiguous span
                row.append([(a * positions_w + b, taps.reshape(-1, CO))])
            else:
                row.append(
                    [((a + r) * positions_w + b, t.reshape(-1, CO)) for r, t in enumerate(taps)]
                )
        work.append(row)
    return work


def _forward(x, kernel, strides, dilation, crops, out_shape, full_shape, bias=None):
    """The cropped output of the transposed convolution. Its outputs congruent modulo the
    stride along both axes (a phase, `_phases`) are a stride-1 convolution of the input with
    the kernel taps that reach them, so the work is that of the taps, with no zeros inserted
    and no scattered adds. The phases read overlapping input windows: a block of input
    pixels copies one patch matrix over all the positions any phase reads, and each phase
    multiplies the spans of its columns that hold its taps' inputs (`_phase_kernels`), the
    column phases of a row phase into side-by-side columns of one buffer, as they lie in the
    output's rows (the autoencoder's stride 2, 3x3: one patch copy instead of four, and
    stores of whole output rows instead of 32 values; its two layers, one core, in train
    steps: 13.1 vs 14.1 ms a step). The buffer gets relu(buffer + bias), when a bias is
    given, while in cache, as it is stored. Dilation with a stride above 1 runs
    `kernels.col2im` into the full output (`full_shape`, which the crop window lies in)."""
    N, H, W, CI = x.shape
    KH, KW, CO = kernel.shape[:3]
    (oh, ow), (ch, cw) = out_shape, crops
    if any(s > 1 and d > 1 for s, d in zip(strides, dilation)):
        full = np.zeros((N,) + full_shape + (CO,), x.dtype)
        kernels.col2im(full, x.reshape(-1, CI), kernel, H, W, strides, dilation)
        y = np.ascontiguousarray(full[:, ch : ch + oh, cw : cw + ow])
        if bias is not None:
            y += bias
            _relu(y, out=y)
        return y
    # whole phases: the output rounded up to a multiple of the stride, cropped at the end
    (sh, sw), whole = strides, tuple(s * -(-o // s) for s, o in zip(strides, out_shape))
    phases_h, phases_w = (
        _phases(n, k, s, d, c, o)
        for n, k, s, d, c, o in zip((H, W), (KH, KW), strides, dilation, crops, whole)
    )
    (first_h, positions_h, step_h), starts_h = _union(phases_h)
    (first_w, positions_w, step_w), starts_w = _union(phases_w)
    rows, cols = whole[0] // sh, whole[1] // sw  # every phase's output rows and columns
    xp, (top, left) = _padded(x, list(itertools.product(phases_h, phases_w)))
    source = xp[
        :,
        top + first_h : top + first_h + rows + (positions_h - 1) * step_h,
        left + first_w : left + first_w + cols + (positions_w - 1) * step_w,
    ]
    work = _phase_kernels(kernel, phases_h, phases_w, starts_h, starts_w, positions_w)
    y = np.empty((N,) + whole + (CO,), x.dtype)
    y_rows = y.reshape(N, rows, sh, cols * sw * CO)  # [:, :, rh]: row phase rh's output rows
    # the bias along whole output rows (a NumPy add over 64-value rows ran 30% slower)
    row_bias = None if bias is None else np.tile(bias, cols * sw)

    def task(blocks):
        largest = max((i.stop - i.start) * (r.stop - r.start) for i, r in blocks) * cols
        buffer = np.empty(largest * sw * CO, x.dtype)
        more = np.empty(largest * CO, x.dtype)  # the products of a phase's further taps rows
        for (images, block_rows), patches in kernels._patch_blocks(
            source, blocks, positions_h, positions_w, rows, cols, (1, 1), (step_h, step_w)
        ):
            out = buffer[: len(patches) * sw * CO].reshape(len(patches), sw, CO)
            for rh, row in enumerate(work):
                for rw, phase in enumerate(row):
                    if phase is None:
                        out[:, rw] = 0
                        continue
                    for k, (first, matrix) in enumerate(phase):
                        span = patches[:, first * CI : first * CI + len(matrix)]
                        if k == 0:
                            np.matmul(span, matrix, out=out[:, rw])
                        else:
                            part = more[: len(patches) * CO].reshape(-1, CO)
                            out[:, rw] += np.matmul(span, matrix, out=part)
                target = y_rows[images, block_rows, rh]
                if row_bias is None:
                    target[...] = out.reshape(target.shape)
                else:
                    whole_rows = out.reshape(-1, len(row_bias))
                    np.add(whole_rows, row_bias, out=whole_rows)
                    _relu(out.reshape(target.shape), out=target)

    runs = _balanced_runs(N, rows, cols, positions_h * positions_w * CI * x.itemsize)
    threads.run([partial(task, blocks) for blocks in runs])
    return y if whole == (oh, ow) else np.ascontiguousarray(y[:, :oh, :ow])
