"""Winograd F(2x2, 3x3) convolution: 3x3 kernels at stride 1, dilation 1, one group.

Every 2x2 tile of output pixels comes from a 4x4 tile of input d: Y = A^T [U * V] A, with
V = B^T d B the input tile, U = G g G^T the kernel (both 4x4 per channel) and * summing the
channels, which is 16 GEMMs (tiles, C) @ (C, CO), one per tile cell: 16 multiplies per tile
and channel pair rather than 36. B and A hold only 0 and +-1, so the tile transforms are
adds and subtracts:

    B^T = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]
    G = [[1, 0, 0], [.5, .5, .5], [.5, -.5, .5], [0, 0, 1]]
    A^T = [[1, 1, 1, 0], [0, 1, -1, -1]]

NumPy runs a pass over a flat array several times faster than over a strided view (even
one of runs of 512 values), so the padded input is first laid out with its rows and its
columns split by parity (`paired_input`): the operands of each transform step (rows 2p + i,
columns 2q + j) are then flat planes shifted by a tile row or a tile column, and each step
is one flat pass over a block's tiles (two cells a pass where the step allows). The price
is a tile column more per tile row (the shifted passes' tails), computed and dropped. The
tiles' cells lie cell-major, so the 16 GEMMs are one stacked matmul, whose products land
tile-major for the output sums (again flat passes, `_outputs`). The kernel's gradient runs
the transposed products, G^T [sum of V^T dM] G with the output gradient's tiles dM = A gY
A^T. Blocks of images or of an image's tile rows, whose scratch arrays stay in cache, run
as kernels.threads tasks in kernels.conv's fixed partition, so sums do not depend on the
thread count; a forward pass (`conv2d`) and a backward pass (`backward`, both gradients)
are one threads.run each, the pairing's tasks first.

F(4x4, 3x3) (6x6 tiles, 2.25 multiplies per output rather than 4) was tried and lost: its
transforms take 17 and 13 NumPy passes per 1-D step (multiplies by 2 and 4 included), and
its output sums cannot be one shifted pattern, so they run over strided views; ResNet's
32x32 forward on one core took 14.4-16.6 ms against F(2x2)'s 10.9-11.9 (GEMMs 3.7 vs 5.5).
"""

import math
import threading
from functools import partial

import numpy as np

from numkeras.kernels import conv, threads

# Below this many input or output channels, or output rows or columns, the im2col
# convolution is faster (one core, measured; see `applies`). With few channels on one side the
# transforms outweigh the GEMMs: 32x32 batch 64, forward + input + kernel gradient, ms im2col
# -> Winograd: 8 -> 8 channels 9.6 -> 8.6, 8 -> 32 19.1 -> 21.1, 16 -> 16 19.5 -> 16.9,
# 16 -> 64 55.5 -> 53.9, 64 -> 16 61.3 -> 52.3.
MIN_CHANNELS = 16
# Below this many output rows or columns im2col is as fast or faster on two kernel threads,
# though Winograd is faster on one core. Batch 128, 'same' 14x14 32 -> 32 channels (the
# autoencoder's) and the tutorial CNN's 13x13 -> 11x11 'valid' 32 -> 64 (paired interleaved
# rounds, medians, ms im2col -> Winograd, 2026-12-04 with per-block views made once):
# one core, 14x14 conv + relu + pool forward 7.27 -> 6.14, backward 14.88 -> 12.77; plain
# 14x14 conv forward 6.82 -> 5.64, both gradients 13.63 -> 10.49; 11x11 conv + pool forward
# 6.09 -> 5.23, backward 13.71 -> 14.51 (12.52 with im2col's input gradient, MIN_INPUT_SIZE).
# Two threads, wall, idle machine (other processes on < 0.1 core): 14x14 conv + pool forward
# 4.67 -> 5.36 (6.07 before the per-block views were made once), backward 8.98 -> 10.92
# (13.86); 11x11 conv + pool 3.33 -> 4.16 (4.77), 7.80 -> 10.92 (12.97). The plain conv
# scales better and gains: 14x14 forward 3.59 -> 3.43, both gradients 7.20 -> 6.14, kernel
# gradient 3.58 -> 2.54; but conv and the fused conv + pool share this rule (bits). With other
# processes on 1.2-1.4 cores Winograd gained in all but the 11x11 backward (0.74-0.9x).
# Lower it (with MIN_INPUT_SIZE) to A/B the small images on an idle machine.
MIN_SIZE = 32
# The input gradient (a convolution whose output is the input) runs as Winograd tiles only for
# inputs of at least this many rows and columns (`input_applies`), else im2col / col2im, even
# where the forward and the kernel gradient run Winograd: at the tutorial CNN's 13x13 input
# Winograd's input gradient is slower even on one core (8.07 -> 9.00 ms; the 14x14 'same'
# 6.76 -> 5.60; batch 128, see MIN_SIZE).
MIN_INPUT_SIZE = 32
# A block's scratch arrays hold about this much (ResNet's 32x32 convs, `conv_valid` on one
# core, busy machine: 0.5 MB 17.3, 1 MB 14.1, 2 MB 12.7, 4 MB 12.2, 8 MB 14.7 ms; smaller
# blocks pay NumPy's cost per call, larger ones leave the cache).
BLOCK_BYTES = 4 << 20
# `paired_input` copies the images in this many slices, the kernel threads' tasks, each of at
# least PAIRING_BYTES of input (one slice for a chunk of the fused conv + pool's backward,
# which runs inside a task: every slice costs some 20 NumPy calls).
PAIRING_TASKS = 4
PAIRING_BYTES = 1 << 20
# Scratch arrays up to this size are kept per thread for the next call.
KEEP_BYTES = 16 << 20
# The views of the kept scratch arrays (`_scratch`) are kept for this many (largest block,
# channels, dtype) at most.
KEEP_SCRATCH = 16

_G = ((1.0, 0.0, 0.0), (0.5, 0.5, 0.5), (0.5, -0.5, 0.5), (0.0, 0.0, 1.0))


def applies(kernel_shape, strides, dilation, out_size, dtype, groups=1, least=None):
    """Whether a convolution with output rows and columns `out_size` computed in `dtype` runs
    as Winograd tiles: a 3x3 kernel at stride 1, dilation 1, one group, at least MIN_CHANNELS
    input and output channels, MIN_SIZE (or `least`) output rows and columns, float32 or float64 (in
    float16 the transforms' rounding grows the error 2.6x, to 1e-3 of the largest output, at
    ResNet's shape). Every path that must give the same bits
    (conv and the fused conv + pool) asks this one rule. One core, ms im2col -> Winograd:
    ResNet's 32x32, 32 -> 32 channels, batch 64: forward 17.8 -> 13.4, both gradients 36.5
    -> 24.2 (busy machine, the flat-pass transforms); the autoencoder's 14x14 conv + relu +
    pool, batch 128: 8.1 -> 7.2, 8.3 -> 7.2, 7.9 -> 6.8, but slower on two kernel threads
    (MIN_SIZE: the zoo times two). Smaller images waste more on the extra tiles (odd
    sizes' half tiles, and a column of tiles a tile row computed and dropped): the tutorial
    CNN's 11x11 conv + pool breaks even, its input gradient (13x13) runs 8.0 -> 11.1. Large
    images gain (64 -> 64 channels, forward: 64x64 batch 8 30.1 -> 24.8, 224x224 45.5 -> 30.7).
    """
    KH, KW, C, CO = kernel_shape
    return (
        (KH, KW) == (3, 3)
        and tuple(strides) == (1, 1)
        and tuple(dilation) == (1, 1)
        and groups == 1
        and min(C, CO) >= MIN_CHANNELS
        and min(out_size) >= (MIN_SIZE if least is None else least)
        and np.dtype(dtype) in (np.float32, np.float64)
    )


def input_applies(kernel_shape, strides, dilation, in_size, dtype, groups=1):
    """Whether the input gradient of a convolution with input rows and columns `in_size` runs
    as Winograd tiles (`input_gradient`): `applies` with MIN_INPUT_SIZE for the input's size."""
    return applies(kernel_shape, strides, dilation, in_size, dtype, groups, MIN_INPUT_SIZE)


def tiles(out_size):
    """(tile rows, tile columns) covering an output of `out_size` (TH, TW)."""
    return tuple(-(-n // 2) for n in out_size)


def paired_input(x, out_size, pads):
    """The input `x` (N, H, W, C) padded by `pads` ((top, bottom), (left, right)), as (2, N,
    2, TH + 1, TW + 1, C): padded pixel (r, c) at [r % 2, :, c % 2, r // 2, c // 2], zero
    past the padding, with (TH, TW) = `tiles(out_size)` (rows and columns no tile reads are
    left out). Copied by the kernel threads, a few slices of the images each."""
    xr, tasks = _pairing(x, out_size, pads)
    threads.run([task for _, task in tasks])
    return xr


def _pairing(x, out_size, pads):
    """`paired_input`'s array, not yet filled, and the (images, task) pairs that fill it."""
    TH, TW = tiles(out_size)
    N, C = x.shape[0], x.shape[3]
    xr = np.empty((2, N, 2, TH + 1, TW + 1, C), x.dtype)
    top, left = pads[0][0], pads[1][0]
    least = -(-PAIRING_BYTES // max(1, x[:1].nbytes))
    parts = threads.even_slices(N, max(least, -(-N // PAIRING_TASKS)))
    return xr, [(i, partial(_pair, x[i], xr[:, i], top, left)) for i in parts]


def _valid(start, size, count):
    """For padded positions 2k + `start` - (the padding) of an axis of `size` data values,
    `start` the first one's data index: (first k, end k, data index of the first k), k <
    `count`, the ks that land on data."""
    lo = max(0, -(start // 2))
    hi = max(lo, min(count, (size - 1 - start) // 2 + 1))
    return lo, hi, 2 * lo + start


def _pair(x, xr, top, left):
    """`paired_input`'s pixels of the images `x` into their part `xr`."""
    P1, Q1 = xr.shape[3:5]
    H, W = x.shape[1:3]
    for a in range(2):
        r0, r1, row = _valid(a - top, H, P1)
        for b in range(2):
            c0, c1, column = _valid(b - left, W, Q1)
            part = xr[a, :, b]
            part[:, :r0] = 0
            part[:, r1:] = 0
            part[:, r0:r1, :c0] = 0
            part[:, r0:r1, c1:] = 0
            if c1 > c0:
                pixels = x[:, row::2, column::2][:, : r1 - r0, : c1 - c0]
                _copy(part[:, r0:r1, c0:c1], pixels)


def _copy(out, a):
    """out[...] = a, moving a pixel's channels (the last axis) as one item where both hold
    them contiguously: NumPy copies a view strided by pixels ~30% faster that way than C
    values at a time."""
    if out.strides[-1] == a.strides[-1] == a.itemsize and out.shape[-1] == a.shape[-1]:
        out, a = _pixel_items(out), _pixel_items(a)
    np.copyto(out, a)


def _input_tiles(xr, images, rows, scratch):
    """The input tiles V = B^T d B of a block (images, tile rows) of the `_Paired` `xr` as
    (4, 4, tiles, C) [j, i], a tile for every column of `paired_input`
    (the last of a tile row is computed and dropped): tile rows first into t (4, 2, n, rows,
    TW + 1, C), its even and odd columns te, to apart, then tile columns, each step one flat
    pass: V[:, 0] = te[q] - te[q + 1] and V[:, 3] = to[q] - to[q + 1] in one, V[:, 1] = to[q]
    + te[q + 1], V[:, 2] = te[q + 1] - to[q] (zero where q + 1 would read past the end). The
    scratch views of a block's shape are made once (`_input_plan`), so that little but the
    NumPy passes runs holding the GIL, and the zero tail is written only when the shape
    changes."""
    n, nt = images.stop - images.start, rows.stop - rows.start
    key = ("in", n, nt, xr.Q1, xr.C)
    plan = scratch.plan(key, _input_plan)
    row03, row1, row2, t_ends, t_next, v_ends, odd, even, v1, v2, tail, v = plan
    d1, d2 = xr.top[1, images, :, rows], xr.bottom[0, images, :, rows]
    np.subtract(xr.top[:, images, :, rows], xr.bottom[:, images, :, rows], out=row03)
    np.add(d1, d2, out=row1)  # t0 = d0 - d2, t3 = d1 - d3 above; t1 = d1 + d2, t2 = d2 - d1
    np.subtract(d2, d1, out=row2)
    np.subtract(t_ends, t_next, out=v_ends)
    np.add(odd, even, out=v1)
    np.subtract(even, odd, out=v2)
    if scratch.tail[1] != key:  # no pass writes there: zero until another shape's block
        tail[...] = 0
        scratch.tail[1] = key
    return v


class _Paired:
    """A `paired_input` array's views that every block reads (rows 2p, 2p + 1 of each tile
    row p in `top`, 2p + 2, 2p + 3 in `bottom`), made once a call."""

    def __init__(self, xr):
        self.Q1, self.C = xr.shape[4], xr.shape[5]
        self.top, self.bottom = xr[:, :, :, :-1], xr[:, :, :, 1:]


def _input_plan(scratch, n, nt, Q1, C):
    """`_input_tiles`' scratch views for blocks of n images' nt tile rows."""
    t = scratch("t", (4, 2, n, nt, Q1, C))
    parities = t.transpose(0, 2, 1, 3, 4, 5)  # i, n, column parity, ...
    X = n * nt * Q1 * C
    t = t.reshape(4, 2, X)
    v = scratch("v", (4, 4, X))
    ends = v[::3].transpose(1, 0, 2)  # i, (j = 0, j = 3)
    even, odd = t[:, 0], t[:, 1]
    return (
        parities[::3],
        parities[1],
        parities[2],
        t[:, :, : X - C],
        t[:, :, C:],
        ends[:, :, : X - C],
        odd[:, : X - C],
        even[:, C:],
        v[1, :, : X - C],
        v[2, :, : X - C],
        v[:, :, X - C :],
        v.reshape(4, 4, -1, C),
    )


def _outputs(xr, u, images, rows, scratch):
    """The output pixels A^T M A of a block's products M = U * V (one stacked GEMM, which
    NumPy runs without the GIL, into m (4, tiles, 4, CO) [i, tile, j]), as the block's
    `_output_plan`, the pixels in its view (2 output rows, tiles, 2 output columns, CO).
    Cells i = 2 and j = 2 are negated in the kernel (`kernel_tiles`), so A^T's rows are [1,
    1, -1, 0] and [0, 1, 1, -1], one pattern shifted: s = [m0, m1] + [m1, m2] - [m2, m3] over
    i (two passes over both rows), then both pixels of an output row (s A)[a, :] as [s0, s1] +
    [s1, s2] - [s2, s3], a flat pass over all of s (the pair at cells 2 and 3 of each tile is
    computed and dropped)."""
    v = _input_tiles(xr, images, rows, scratch)
    n, nt = images.stop - images.start, rows.stop - rows.start
    plan = scratch.plan(("out", n, nt, xr.Q1, u.shape[3]), _output_plan)
    m, m01, m12, m23, s, s0, s1, s2, r0, r01 = plan[:10]
    np.matmul(v, u, out=m)
    np.add(m01, m12, out=s)
    s -= m23
    np.add(s0, s1, out=r0)
    np.subtract(r01, s2, out=r01)
    return plan


def _output_plan(scratch, n, nt, Q1, CO):
    """`_outputs`' scratch views for blocks of n images' nt tile rows, then the pixels as
    (2, n, nt, Q1, 2, CO) [a, ..., b] and, where a pixel's channels are one item
    (`_pixel_items`), its output pixel pairs (n, nt, 2, TW)."""
    T = n * nt * Q1
    m = scratch("m", (4, T, 4, CO))
    s = scratch("s", (2, T * 4 * CO))
    r = scratch("y", (2, T * 4 * CO))
    flat = m.reshape(4, -1)
    y = r.reshape(2, n, nt, Q1, 4, CO)[:, :, :, :, :2]
    pairs = _pixel_items(r.reshape(2, n, nt, Q1, 4 * CO)[:, :, :, : Q1 - 1, : 2 * CO])
    return (
        m.transpose(2, 0, 1, 3),
        flat[:2],
        flat[1:3],
        flat[2:],
        s,
        s[:, :-CO],
        s[:, CO:],
        s[:, 2 * CO :],
        r[:, :-CO],
        r[:, : -2 * CO],
        y,
        pairs.transpose(1, 2, 0, 3),
    )


def _pixel_items(a):
    """`a` with its last axis (a pixel's channels, contiguous) as one NumPy item: NumPy
    copies a view strided by pixels ~30% faster that way than C values at a time."""
    return a.view(np.dtype((np.void, a.shape[-1] * a.itemsize)))[..., 0]


def kernel_tiles(kernel):
    """U = G g G^T of a (3, 3, C, CO) kernel, as (4, 4, C, CO) [j, i] (the order of
    `_input_tiles`' cells), its cells (2, i) and (j, 2) negated for `_outputs`: two GEMMs with
    G over the kernel's rows, then its columns."""
    KH, KW, C, CO = kernel.shape
    G = np.array(_G, kernel.dtype)
    rows = (G @ kernel.reshape(3, -1)).reshape(4, 3, C, CO)  # [i, b]
    columns = np.matmul(G, rows.transpose(1, 0, 2, 3).reshape(3, -1))  # [j, i]
    u = columns.reshape(4, 4, C, CO)
    u[2] *= -1
    u[:, 2] *= -1
    return u


_kept = threading.local()


class _Scratch:
    """A task's flat scratch arrays for blocks of up to `most` tiles, cut to each block's
    shape; kept per thread for the next call (allocating and first touching them cost 15%),
    up to KEEP_BYTES each (a whole large image's, for the fused conv + pool, is not kept)."""

    def __init__(self, most, C, CO, dtype):
        big = max(C, CO)
        sizes = {"t": 8 * most * C, "v": 16 * most * C, "m": 16 * most * big}
        sizes.update({"s": 8 * most * CO, "y": 8 * most * CO})
        kept = _kept.__dict__.setdefault("arrays", {})
        self.flat, self.plans, self.kept = {}, {}, True
        for name, size in sizes.items():
            flat = kept.get((name, dtype))
            if flat is None or flat.size < size:
                flat = np.empty(size, dtype)
                if flat.nbytes <= KEEP_BYTES:
                    kept[(name, dtype)] = flat
                    _kept.__dict__.setdefault("scratch", {}).clear()  # their arrays are old
                else:
                    self.kept = False
            self.flat[name] = flat
        v, tails = self.flat["v"], _kept.__dict__.setdefault("tails", {})
        self.tail = tails.get(v.dtype)  # [v, the `_input_tiles` block shape whose tail is 0]
        if self.tail is None or self.tail[0] is not v:
            self.tail = [v, None]
            if v.nbytes <= KEEP_BYTES:
                tails[v.dtype] = self.tail

    def __call__(self, name, shape):
        return self.flat[name][: math.prod(shape)].reshape(shape)

    def plan(self, key, make):
        """The views `make`(self, *key[1:]) of a block shape's scratch, made once."""
        views = self.plans.get(key)
        if views is None:
            views = self.plans[key] = make(self, *key[1:])
        return views


def _scratch(most, C, CO, dtype):
    """A `_Scratch` for blocks of up to `most` tiles, kept per thread with its views for the
    next task and call where its arrays are (every block then sets up only its input
    views and the NumPy passes); at most KEEP_SCRATCH of them, the rest dropped when full."""
    key = (most, C, CO, np.dtype(dtype))
    scratch = _kept.__dict__.setdefault("scratch", {}).get(key)
    if scratch is None:
        scratch = _Scratch(most, C, CO, dtype)
        if len(_kept.scratch) >= KEEP_SCRATCH:
            _kept.scratch.clear()
        if scratch.kept:
            _kept.scratch[key] = scratch
    return scratch


def _tile_runs(N, TH, TW, C, CO, itemsize):
    """Blocks (images, tile rows) of an (N, TH, TW) grid of tiles, whose scratch arrays hold
    about BLOCK_BYTES, in fixed runs (the tasks); and the most tiles a block has. Whole images
    where one fits: an even number of near-equal blocks (`threads.even_slices`), each its own
    task, so two threads finish together; else kernels.conv's runs of tile-row blocks."""
    per_tile = (24 * C + 28 * CO) * itemsize
    images = BLOCK_BYTES // (per_tile * TH * TW)
    if images >= 1:
        runs = [[(part, slice(0, TH))] for part in threads.even_slices(N, images)]
    else:
        runs = conv._runs(
            conv._blocks(N, TH, TW, max(1, per_tile * conv.BLOCK_BYTES // BLOCK_BYTES))
        )
    most = max((i.stop - i.start) * (r.stop - r.start) for run in runs for i, r in run)
    return runs, most * (TW + 1)


def conv_valid(xr, kernel, out, u=None):
    """Valid convolution of the `paired_input` `xr` with a 3x3 `kernel` (or its
    `kernel_tiles` `u`) into the C-contiguous `out` (N, OH, OW, CO), block by block over the
    kernel threads."""
    u = kernel_tiles(kernel) if u is None else u
    threads.run([task for _, task in _conv_tasks(xr, u, out)])
    return out


def _conv_tasks(xr, u, out):
    """`conv_valid`'s tasks, as (images read, task) pairs: a run of blocks each."""
    N, OH, OW, CO = out.shape
    _, _, _, P1, Q1, C = xr.shape
    TH, TW = P1 - 1, Q1 - 1
    runs, most = _tile_runs(N, TH, TW, C, CO, out.itemsize)
    xr = _Paired(xr)
    pairs = None  # the output's pixel pairs (N, TH, 2, TW) where its tiles are whole
    if (OH, OW) == (2 * TH, 2 * TW) and out.flags.c_contiguous:
        pairs = _pixel_items(out.reshape(N, TH, 2, TW, 2 * CO))

    def task(blocks):
        scratch = _scratch(most, C, CO, out.dtype)
        for images, rows in blocks:
            y = _outputs(xr, u, images, rows, scratch)
            if pairs is not None:
                np.copyto(pairs[images, rows], y[11])
                continue
            r0, r1 = 2 * rows.start, min(OH, 2 * rows.stop)
            for a in range(2):
                for b in range(2):
                    part = out[images, r0 + a : r1 : 2, b:OW:2]
                    _copy(part, y[10][a, :, :, : part.shape[2], b][:, : part.shape[1]])

    spans = [slice(run[0][0].start, run[-1][0].stop) for run in runs]
    return [(images, partial(task, blocks)) for images, blocks in zip(spans, runs)]


def pool_cells(xr, u, images, out):
    """For 2x2 pool windows, the tiles of a `paired_input` `xr` made for whole tiles: the
    conv outputs of a block of images as (4, n TH TW, CO) in `out`, cell 2a + b every tile's
    pixel (a, b), bit for bit the values `conv_valid` gives; `u` the kernel's tiles."""
    _, _, _, P1, Q1, C = xr.shape
    CO, (TH, TW) = u.shape[3], (P1 - 1, Q1 - 1)
    n = images.stop - images.start
    scratch = _scratch(n * TH * Q1, C, CO, out.dtype)
    y = _outputs(_Paired(xr), u, images, slice(0, TH), scratch)[10][:, :, :, :TW]
    _copy(out.reshape(2, 2, n, TH, TW, CO), y.transpose(0, 4, 1, 2, 3, 5))
    return out


def conv2d(x, kernel, pads, out):
    """`conv_valid` of `x` padded by `pads` into `out` (N, OH, OW, CO), the pairing of `x`
    and the blocks in one threads.run (each block after the pairing of its images); returns
    the `paired_input` (the backward's)."""
    xr, pairing = _pairing(x, out.shape[1:3], pads)
    first, then = _after(pairing, _conv_tasks(xr, kernel_tiles(kernel), out))
    threads.run(first + then)
    return xr


def input_gradient(g, kernel, pads, out, u=None):
    """The input gradient `out` (N, H, W, C) of a 3x3 convolution with `kernel` (its
    flipped tiles `u` if given, `flipped_tiles`) padded by `pads`, for the output gradient
    `g`: a valid convolution of `g`, padded by each kernel span less the forward padding."""
    u = flipped_tiles(kernel) if u is None else u
    return conv_valid(paired_input(g, out.shape[1:3], _spans(g, out, pads)), None, out, u)


def _spans(g, out, pads):
    """The padding of the output gradient `g` whose valid convolution is the input gradient
    `out` of a convolution padded by `pads`: each kernel span less the forward padding."""
    (H, W), (OH, OW) = out.shape[1:3], g.shape[1:3]
    top, left = 2 - pads[0][0], 2 - pads[1][0]
    return ((top, H + 2 - top - OH), (left, W + 2 - left - OW))


def flipped_tiles(kernel):
    """The `kernel_tiles` of `kernel` flipped, its channel axes swapped (`input_gradient`)."""
    return kernel_tiles(conv.flipped(kernel))


class _Gradient:
    """An output gradient `g` (N, OH, OW, CO) with, where its columns are whole tiles, its
    pixels as items (`_pixel_items`) by row and column parity (2, 2, N, OH // 2, OW // 2),
    made once a call."""

    def __init__(self, g):
        self.array, (N, OH, OW, self.CO) = g, g.shape
        self.pixels = None
        if OW % 2 == 0 and g.flags.c_contiguous:
            even = g[:, : OH - OH % 2].reshape(N, OH // 2, 2, OW // 2, 2, self.CO)
            self.pixels = _pixel_items(even).transpose(2, 4, 0, 1, 3)


def _tile_products(xr, g, images, rows, scratch, out=None):
    """The 16 products V^T dM (4, 4, C, CO) [j, i] (into `out` if given) of a block (images,
    tile rows) of the `_Paired` `xr` and the `_Gradient` `g`: the output gradient's tiles dM =
    A gY A^T, cells (3, j) and (i, 3) negated (`_SIGNS`), in `_input_tiles`' tiles (zero past
    `g`'s end), are the pixels of each row and column parity in h[0] and h[3] (4, 2, n, rows,
    Q1, CO), rows' sums h[1] and differences h[2], then the columns' (cells j = 1 and 2); the
    block's views are made once (`_gradient_plan`)."""
    v = _input_tiles(xr, images, rows, scratch)
    n, nt = images.stop - images.start, rows.stop - rows.start
    plan = scratch.plan(("grad", n, nt, xr.Q1, xr.C, g.CO), _gradient_plan)
    h, pixels, fill, h0, h3, h1, h2, even, odd, middle, ends, product = plan
    product = product if out is None else out
    OH, OW = g.array.shape[1:3]
    r0, r1 = 2 * rows.start, min(OH, 2 * rows.stop)
    if g.pixels is not None and r1 - r0 == 2 * nt:  # whole tiles: one copy, one fill
        np.copyto(pixels, g.pixels[:, :, images, rows])
        fill[...] = 0
    else:
        for a in range(2):
            for b in range(2):
                part = g.array[images, r0 + a : r1 : 2, b:OW:2]
                dest = h[3 * a, b]
                dest[:, : part.shape[1], : part.shape[2]] = part
                dest[:, part.shape[1] :] = 0
                dest[:, : part.shape[1], part.shape[2] :] = 0
    np.add(h0, h3, out=h1)
    np.subtract(h0, h3, out=h2)
    np.add(even, odd, out=middle[0])
    np.subtract(even, odd, out=middle[1])
    vt = v.transpose(0, 1, 3, 2)
    np.matmul(vt[::3], ends, out=product[::3])
    np.matmul(vt[1:3], middle, out=product[1:3])
    return product


def _gradient_plan(scratch, n, nt, Q1, C, CO):
    """`_tile_products`' views for blocks of n images' nt tile rows, and its product."""
    h = scratch("s", (4, 2, n, nt, Q1, CO))
    TW = Q1 - 1
    flat = h.reshape(4, 2, -1, CO)
    middle = scratch("m", (2, 4, flat.shape[2], CO))
    return (
        h,
        _pixel_items(h[::3, :, :, :, :TW]),
        h[::3, :, :, :, TW:],
        h[0],
        h[3],
        h[1],
        h[2],
        flat[:, 0],
        flat[:, 1],
        middle,
        flat.transpose(1, 0, 2, 3),  # cells j = 0, 3
        np.empty((4, 4, C, CO), scratch.flat["t"].dtype),
    )


# The signs `_tile_products` leaves off its cells, [j, i].
_SIGNS = np.outer((1, 1, 1, -1), (1, 1, 1, -1))


def kernel_from_tiles(du):
    """The kernel gradient G^T dU G (3, 3, C, CO) of the tile cells' gradients (4, 4, C, CO)
    [j, i] that `tile_gradient` sums (its signs put back first)."""
    C, CO = du.shape[2:]
    G = np.array(_G, du.dtype)
    du = du * _SIGNS.astype(du.dtype)[:, :, None, None]
    columns = (G.T @ du.reshape(4, -1)).reshape(3, 4, C * CO)  # [b, i]
    rows = np.matmul(G.T, columns.transpose(1, 0, 2).reshape(4, -1))  # [a, b]
    return rows.reshape(3, 3, C, CO)


def tile_gradient(xr, g):
    """The gradient (16, C, CO) of `conv_valid` of the `paired_input` `xr` for the output
    gradient `g` with respect to the kernel's tiles U (`kernel_from_tiles` makes it the
    kernel's): each run of blocks sums its 16 (C, tiles) @ (tiles, CO) products, and the runs'
    sums are added in order, whatever the thread count."""
    tasks, parts = _gradient_tasks(xr, g)
    threads.run(tasks)
    return np.add.reduce(parts, axis=0)


def _gradient_tasks(xr, g):
    """`tile_gradient`'s tasks, and the array (tasks, 16, C, CO) of their sums."""
    N, OH, OW, CO = g.shape
    _, _, _, P1, Q1, C = xr.shape
    runs, most = _tile_runs(N, P1 - 1, Q1 - 1, C, CO, g.itemsize)
    parts = np.empty((len(runs), 16, C, CO), g.dtype)

    xr, g = _Paired(xr), _Gradient(g)

    def task(i):  # the run's first products land in its sum (no zero fill, no first add)
        scratch = _scratch(most, C, CO, g.array.dtype)
        (images, rows), rest = runs[i][0], runs[i][1:]
        _tile_products(xr, g, images, rows, scratch, parts[i].reshape(4, 4, C, CO))
        for images, rows in rest:
            parts[i] += _tile_products(xr, g, images, rows, scratch).reshape(16, C, CO)

    return [partial(task, i) for i in range(len(runs))], parts


def kernel_gradient(xr, g):
    """The kernel gradient (3, 3, C, CO) of `conv_valid` (see `tile_gradient`)."""
    du = tile_gradient(xr, g)
    return kernel_from_tiles(du.reshape((4, 4) + du.shape[1:]))


def backward(xr, g, kernel, pads, gx=None, need_kernel=True):
    """The input gradient into `gx` (unless None) and the kernel gradient (None unless
    `need_kernel`) of the convolution of the `paired_input` `xr` with `kernel` padded by
    `pads`, for the output gradient `g`, in one threads.run: the pairing of `g`, the kernel
    gradient's blocks, then the input gradient's, each after the pairing of its images (done
    by then, unless a thread lags), so no core idles between them. The same values as
    `kernel_gradient` and `input_gradient`."""
    C, CO = kernel.shape[2:]
    tasks, parts = _gradient_tasks(xr, g) if need_kernel else ([], None)
    first, then = [], []
    if gx is not None:
        gr, pairing = _pairing(g, gx.shape[1:3], _spans(g, gx, pads))
        first, then = _after(pairing, _conv_tasks(gr, flipped_tiles(kernel), gx))
    threads.run(first + tasks + then)
    if parts is None:
        return None
    return kernel_from_tiles(np.add.reduce(parts, axis=0).reshape(4, 4, C, CO))


def _after(first, then):
    """The tasks of the (images, task) pairs `first` and `then`, each of `then`'s waiting
    for those of `first` that share its images. Run in one threads.run with every `first`
    task ahead of any `then` one, none waits for a task not yet taken."""
    events = [threading.Event() for _ in first]

    def mark(task, event):
        try:
            task()
        finally:
            event.set()

    def wait(images, task):
        for (part, _), event in zip(first, events):
            if part.start < images.stop and images.start < part.stop:
                event.wait()
        task()

    marked = [partial(mark, task, event) for (_, task), event in zip(first, events)]
    return marked, [partial(wait, images, task) for images, task in then]
