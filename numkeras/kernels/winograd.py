"""Winograd F(2x2, 3x3) convolution: 3x3 kernels at stride 1, dilation 1, one group.

Every 2x2 tile of output pixels comes from a 4x4 tile of input d: Y = A^T [U * V] A, with
V = B^T d B the input tile, U = G g G^T the kernel (both 4x4 per channel) and * summing the
channels, which is 16 GEMMs (tiles, C) @ (C, CO), one per tile cell: 16 multiplies per tile
and channel pair rather than 36. B and A hold only 0 and +-1, so the tile transforms are
adds and subtracts:

    B^T = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]
    G = [[1, 0, 0], [.5, .5, .5], [.5, -.5, .5], [0, 0, 1]]
    A^T = [[1, 1, 1, 0], [0, 1, -1, -1]]

NumPy runs a pass over a flat array several times faster than over a strided view, so the
padded input is first laid out with its even and odd rows apart (`paired_input`): each
transform step is then one flat pass with the operands shifted by a row or a column. The
price is a tile column more per tile row (the shifted passes' tails), computed and dropped.
The kernel's gradient runs the transposed products, G^T [sum of V^T dM] G with the output
gradient's tiles dM = A gY A^T. Blocks of images or of an image's tile rows, whose scratch
arrays stay in cache, run as kernels.threads tasks in kernels.conv's fixed partition, so sums
do not depend on the thread count.
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
# Below this many output rows or columns im2col is as fast or faster on two kernel threads
# (idle machine, ms im2col -> Winograd, medians of interleaved rounds: the autoencoder's 14x14
# conv + relu + pool, batch 128, forward 4.7 -> 5.8-7.7, backward 8.3-9.7 -> 11.1-14.3; plain
# 14x14 conv forward 4.4-5.2 -> 4.5-6.4) though Winograd is faster on one core (see `applies`);
# sizes 16 to 31 are unmeasured. ResNet's 32x32 convs gain on one core and break even on two.
MIN_SIZE = 32
# A block's scratch arrays hold about this much (ResNet's 32x32 convs, one core: 1 MB 18.7,
# 2 MB 15.0, 4 MB 14.8, 8 MB 17.0 ms a forward pass).
BLOCK_BYTES = 4 << 20
# `paired_input` copies the images in this many slices, the kernel threads' tasks.
PAIRING_TASKS = 4
# Scratch arrays up to this size are kept per thread for the next call.
KEEP_BYTES = 16 << 20

_G = ((1.0, 0.0, 0.0), (0.5, 0.5, 0.5), (0.5, -0.5, 0.5), (0.0, 0.0, 1.0))


def applies(kernel_shape, strides, dilation, out_size, dtype, groups=1):
    """Whether a convolution with output rows and columns `out_size` computed in `dtype` runs
    as Winograd tiles: a 3x3 kernel at stride 1, dilation 1, one group, at least MIN_CHANNELS
    input and output channels, MIN_SIZE output rows and columns, float32 or float64 (in
    float16 the transforms' rounding grows the error 2.6x, to 1e-3 of the largest output, at
    ResNet's shape). Every path that must give the same bits
    (conv and the fused conv + pool) asks this one rule. One core, ms im2col -> Winograd:
    ResNet's 32x32, 32 -> 32 channels, batch 64: forward 18.4 -> 15.1, input gradient 18.4
    -> 15.0, kernel gradient 18.4 -> 13.7; the autoencoder's 14x14 conv + relu + pool, batch
    128: 8.1 -> 7.2, 8.3 -> 7.2, 7.9 -> 6.8, but slower on two kernel threads (MIN_SIZE: the
    zoo times two). Smaller images waste more on the extra tiles (odd
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
        and min(out_size) >= MIN_SIZE
        and np.dtype(dtype) in (np.float32, np.float64)
    )


def tiles(out_size):
    """(tile rows, tile columns) covering an output of `out_size` (TH, TW), plus one each."""
    return tuple(-(-n // 2) + 1 for n in out_size)


def paired_input(x, out_size, pads):
    """The input `x` (N, H, W, C) padded by `pads` ((top, bottom), (left, right)), as (2, N,
    P, 2 Q, C): padded row r at [r % 2, :, r // 2], zero past the padding, with (P, Q) =
    `tiles(out_size)` (rows and columns no tile reads are left out); every row of the result
    is a flat run. Copied by the kernel threads, a few slices of the images each."""
    P, Q = tiles(out_size)
    top, left = pads[0][0], pads[1][0]
    x = x[:, : 2 * P - top, : 2 * Q - left]  # rows and columns past the last tile, if any
    N = x.shape[0]
    xr = np.empty((2, N, P, 2 * Q, x.shape[3]), x.dtype)
    parts = threads.even_slices(N, -(-N // PAIRING_TASKS))
    threads.run([partial(_pair, x[images], xr[:, images], top, left) for images in parts])
    return xr


def _pair(x, xr, top, left):
    """`paired_input`'s rows of the images `x` into their part `xr`."""
    W = x.shape[2]
    xr[..., :left, :] = 0
    xr[..., left + W :, :] = 0
    for parity in range(2):
        first = (parity - top) % 2  # the first row of x that lands on this parity
        rows = x[:, first::2]
        start = (first + top) // 2
        part = xr[parity, :, :, left : left + W]
        part[:, :start] = 0
        part[:, start : start + rows.shape[1]] = rows
        part[:, start + rows.shape[1] :] = 0


def _shifted(op, a, shift, out, reverse=False):
    """out[k] = op(a[k], a[k + shift]) (or op(a[k + shift], a[k])) over the flat `a`; the
    last `shift` values, which would read past the end, are zero."""
    head, tail = a[:-shift], a[shift:]
    op(*((tail, head) if reverse else (head, tail)), out=out[:-shift])
    out[-shift:] = 0


def _input_tiles(xr, images, rows, t, v):
    """The input tiles V = B^T d B of a block (images, tile rows), as (E, S, D) in the flat
    `v` (3, 4, n rows Q 2 C): tile rows first into `t` (4, n, rows 2Q C), then tile columns,
    with c a column E[c] = t[c] - t[c + 2], S[c] = t[c] + t[c + 1], D[c] = t[c + 1] - t[c]
    (S and D are needed at odd c only). Tile cell (i, j) is then a (tiles, C) view
    (`_products`)."""
    _, _, P, W2, C = xr.shape
    row = W2 * C
    x = xr[:, images].reshape(2, -1, P * row)
    top = x[:, :, rows.start * row : rows.stop * row]  # rows 2p, 2p + 1 for every tile row p
    bottom = x[:, :, (rows.start + 1) * row : (rows.stop + 1) * row]  # 2p + 2, 2p + 3
    np.subtract(top, bottom, out=t[::3])  # t0 = d0 - d2, t3 = d1 - d3
    np.add(top[1], bottom[0], out=t[1])  # d1 + d2
    np.subtract(bottom[0], top[1], out=t[2])  # d2 - d1
    flat = t.reshape(-1)
    _shifted(np.subtract, flat, 2 * C, v[0].reshape(-1))
    _shifted(np.add, flat, C, v[1].reshape(-1))
    _shifted(np.subtract, flat, C, v[2].reshape(-1), reverse=True)
    return v


def _products(v, u, m, C):
    """m[i, :, j] = V(i, j) @ u[i, j] for the 16 tile cells of `_input_tiles`' (E, S, D) `v`,
    as three stacked GEMM calls (NumPy runs each stack's GEMMs without the GIL): cells j = 0
    and 3 are E's even and odd columns, j = 1 S's odd, j = 2 D's odd."""
    E, S, D = (part.reshape(4, -1, 2, C) for part in v)
    np.matmul(E.transpose(0, 2, 1, 3), u[:, ::3], out=m[:, :, ::3].transpose(0, 2, 1, 3))
    np.matmul(S[:, :, 1], u[:, 1], out=m[:, :, 1])
    np.matmul(D[:, :, 1], u[:, 2], out=m[:, :, 2])
    return m


def _sums(m, s):
    """s = A^T m over the tiles' rows: (2, tiles, 4, CO) from the products m (4, tiles, 4, CO)."""
    np.add(m[0], m[1], out=s[0])
    s[0] += m[2]
    np.subtract(m[1], m[2], out=s[1])
    s[1] -= m[3]
    return s


def _pair_sums(s, r):
    """Both output pixels (s A)[a, :] of a block's tile rows s (n, TH, Q, 4, CO), as [s0, s1]
    + [s1, s2'] - [s2', s3] (cell 2 is negated in the kernel, `kernel_tiles`), run flat over
    all of s into the flat scratch `r`: a view (n, TH, Q, 2, CO) of the pairs."""
    CO = s.shape[-1]
    f = s.reshape(-1)
    np.add(f[:-CO], f[CO:], out=r[:-CO])
    np.subtract(r[: -2 * CO], f[2 * CO :], out=r[: -2 * CO])
    return r.reshape(s.shape[:3] + (2, 2, CO))[:, :, :, 0]


def _pixels(s, out, r):
    """The output pixels (s A)[a, :] of a block's tile rows s (n, TH, Q, 4, CO) into `out`
    (n, rows, OW, CO) by `_pair_sums` (the extra tiles dropped)."""
    n, rows, OW, CO = out.shape
    pairs = _pair_sums(s, r)[:, :rows]
    whole = OW // 2
    out[:, :, : 2 * whole].reshape(n, rows, whole, 2, CO)[...] = pairs[:, :, :whole]
    if OW % 2:
        out[:, :, -1] = pairs[:, :, whole, 0]


def kernel_tiles(kernel):
    """U = G g G^T of a (3, 3, C, CO) kernel, as (4, 4, C, CO), its cells (i, 2) negated for
    `_pair_sums`: two GEMMs with G over the kernel's rows, then its columns."""
    KH, KW, C, CO = kernel.shape
    G = np.array(_G, kernel.dtype)
    rows = (G @ kernel.reshape(3, -1)).reshape(4, 3, C * CO)
    u = np.matmul(G, rows).reshape(4, 4, C, CO)
    u[:, 2] *= -1
    return u


_kept = threading.local()


class _Scratch:
    """A task's flat scratch arrays for blocks of up to `most` tiles, cut to each block's
    shape; kept per thread for the next call (allocating and first touching them cost 15%),
    up to KEEP_BYTES each (a whole large image's, for the fused conv + pool, is not kept)."""

    def __init__(self, most, C, CO, dtype):
        sizes = {"t": 8 * most * C, "v": 24 * most * C}
        sizes.update({"m": 16 * most * max(C, CO), "s": 8 * most * max(C, CO)})
        kept = _kept.__dict__.setdefault("arrays", {})
        self.flat = {}
        for name, size in sizes.items():
            flat = kept.get((name, dtype))
            if flat is None or flat.size < size:
                flat = np.empty(size, dtype)
                if flat.nbytes <= KEEP_BYTES:
                    kept[(name, dtype)] = flat
            self.flat[name] = flat

    def __call__(self, name, shape):
        return self.flat[name][: math.prod(shape)].reshape(shape)


def _tile_runs(N, TH, Q, C, CO, itemsize):
    """Blocks (images, tile rows) of an (N, TH, Q) grid of tiles, whose scratch arrays hold
    about BLOCK_BYTES, in fixed runs (the tasks); and the most tiles a block has. Whole images
    where one fits: an even number of near-equal blocks (`threads.even_slices`), each its own
    task, so two threads finish together; else kernels.conv's runs of tile-row blocks."""
    per_tile = (32 * C + 24 * CO) * itemsize
    images = BLOCK_BYTES // (per_tile * TH * Q)
    if images >= 1:
        runs = [[(part, slice(0, TH))] for part in threads.even_slices(N, images)]
    else:
        runs = conv._runs(
            conv._blocks(N, TH, Q, max(1, per_tile * conv.BLOCK_BYTES // BLOCK_BYTES))
        )
    most = max((i.stop - i.start) * (r.stop - r.start) for run in runs for i, r in run) * Q
    return runs, most


def tile_sums(xr, u, images, rows, scratch):
    """The products of a block's tiles summed over their rows, s = A^T (U * V), as (2, n,
    rows, Q, 4, CO): `_pixels` turns each half into output pixels."""
    W2, C = xr.shape[3:]
    CO = u.shape[3]
    n, nt = images.stop - images.start, rows.stop - rows.start
    T = n * nt * W2 // 2
    t = scratch("t", (4, n, nt * W2 * C))
    v = _input_tiles(xr, images, rows, t, scratch("v", (3, 4, 2 * T * C)))
    m = _products(v, u, scratch("m", (4, T, 4, CO)), C)
    return _sums(m, scratch("s", (2, T, 4, CO))).reshape(2, n, nt, W2 // 2, 4, CO)


def conv_valid(xr, kernel, out, u=None):
    """Valid convolution of the `paired_input` `xr` with a 3x3 `kernel` (or its
    `kernel_tiles` `u`) into the C-contiguous `out` (N, OH, OW, CO), block by block over the
    kernel threads."""
    N, OH, OW, CO = out.shape
    _, _, P, W2, C = xr.shape
    u = kernel_tiles(kernel) if u is None else u
    runs, most = _tile_runs(N, P - 1, W2 // 2, C, CO, out.itemsize)

    def task(blocks):
        scratch = _Scratch(most, C, CO, out.dtype)
        for images, rows in blocks:
            s = tile_sums(xr, u, images, rows, scratch)
            r = scratch("m", (s[0].size,))
            for a in range(2):
                _pixels(s[a], out[images, 2 * rows.start + a : 2 * rows.stop : 2], r)

    threads.run([partial(task, blocks) for blocks in runs])
    return out


def pool_cells(xr, u, images, out):
    """For 2x2 pool windows, the tiles of a `paired_input` `xr` made for whole tiles: the
    conv outputs of a block of images as (4, n TH TW, CO) in `out`, cell 2a + b every tile's
    pixel (a, b), bit for bit the values `conv_valid` gives; `u` the kernel's tiles."""
    _, _, P, W2, C = xr.shape
    CO, (TH, Q) = u.shape[3], (P - 1, W2 // 2)
    n = images.stop - images.start
    scratch = _Scratch(n * TH * Q, C, CO, out.dtype)
    s = tile_sums(xr, u, images, slice(0, TH), scratch)
    r = scratch("m", (s[0].size,))
    z = out.reshape(2, 2, n, TH, Q - 1, CO)
    for a in range(2):
        pairs = _pair_sums(s[a], r)
        for b in range(2):
            z[a, b] = pairs[:, :, : Q - 1, b]
    return out


def conv2d(x, kernel, pads, out):
    """`conv_valid` of `x` padded by `pads` into `out` (N, OH, OW, CO)."""
    return conv_valid(paired_input(x, out.shape[1:3], pads), kernel, out)


def input_gradient(g, kernel, pads, out, u=None):
    """The input gradient `out` (N, H, W, C) of a 3x3 convolution with `kernel` (its
    flipped tiles `u` if given, `flipped_tiles`) padded by `pads`, for the output gradient
    `g`: a valid convolution of `g`, padded by each kernel span less the forward padding."""
    (H, W), (OH, OW) = out.shape[1:3], g.shape[1:3]
    top, left = 2 - pads[0][0], 2 - pads[1][0]
    spans = ((top, H + 2 - top - OH), (left, W + 2 - left - OW))
    u = flipped_tiles(kernel) if u is None else u
    return conv_valid(paired_input(g, (H, W), spans), None, out, u)


def flipped_tiles(kernel):
    """The `kernel_tiles` of `kernel` flipped, its channel axes swapped (`input_gradient`)."""
    return kernel_tiles(np.ascontiguousarray(kernel[::-1, ::-1].transpose(0, 1, 3, 2)))


def _along(axis, part):
    return (slice(None),) * axis + (part,)


def _combine(op, a, b, out, axis):
    """out = op(a, b), where `b` may stop short of `a` along `axis` (zero past its end)."""
    m = b.shape[axis]
    op(a[_along(axis, slice(m))], b, out=out[_along(axis, slice(m))])
    if m < a.shape[axis]:
        np.copyto(out[_along(axis, slice(m, None))], a[_along(axis, slice(m, None))])


def _place(b, out, axis):
    """out = b, where `b` may stop short of `out` along `axis` (zero past its end)."""
    m = b.shape[axis]
    np.copyto(out[_along(axis, slice(m))], b)
    out[_along(axis, slice(m, None))] = 0


def gradient_tiles(g, h, pq):
    """The output gradient's tiles dM = A gY A^T of a block's gradient `g` (n, OH, OW, CO),
    cells (3, j) and (i, 3) negated (`_SIGNS`), as stacked (tiles, CO) views: (4, 2, tiles,
    CO) of cells j = 0 and 3, (4, tiles, CO) of j = 1 and of j = 2 (as `_products`). Tile rows
    into `h` (4, n, TH, 2 Q, CO), zero outside `g`, then columns as h[c] + h[c + 1] and
    h[c] - h[c + 1] into `pq` (2, 4 n P 2Q CO), flat (only even c are used)."""
    OW, CO = g.shape[2:]
    g0, g1 = g[:, 0::2], g[:, 1::2]
    valid = h[:, :, :, :OW]
    np.copyto(valid[0], g0)
    _combine(np.add, g0, g1, valid[1], 1)
    _combine(np.subtract, g0, g1, valid[2], 1)
    _place(g1, valid[3], 1)
    h[:, :, :, OW:] = 0
    flat = h.reshape(-1)
    _shifted(np.add, flat, CO, pq[0])
    _shifted(np.subtract, flat, CO, pq[1])
    H, PP, QQ = (x.reshape(4, -1, 2, CO) for x in (h, pq[0], pq[1]))
    return H.transpose(0, 2, 1, 3), PP[:, :, 0], QQ[:, :, 0]  # cells j = (0, 3), 1, 2


# The signs `gradient_tiles` leaves off its cells.
_SIGNS = np.outer((1, 1, 1, -1), (1, 1, 1, -1))


def kernel_from_tiles(du):
    """The kernel gradient G^T dU G (3, 3, C, CO) of the tile cells' gradients (4, 4, C, CO)
    that `tile_gradient` sums (its signs put back first)."""
    C, CO = du.shape[2:]
    G = np.array(_G, du.dtype)
    du = du * _SIGNS.astype(du.dtype)[:, :, None, None]
    rows = (G.T @ du.reshape(4, -1)).reshape(3, 4, C * CO)
    return np.matmul(G.T, rows).reshape(3, 3, C, CO)


def tile_gradient(xr, g):
    """The gradient (4, 4, C, CO) of `conv_valid` of the `paired_input` `xr` for the output
    gradient `g` with respect to the kernel's tiles U (`kernel_from_tiles` makes it the
    kernel's): each run of blocks sums its 16 (C, tiles) @ (tiles, CO) products, and the runs'
    sums are added in order, whatever the thread count."""
    N, OH, OW, CO = g.shape
    _, _, P, W2, C = xr.shape
    runs, most = _tile_runs(N, P - 1, W2 // 2, C, CO, g.itemsize)
    parts = np.zeros((len(runs), 4, 4, C, CO), g.dtype)

    def task(i):
        scratch = _Scratch(most, C, CO, g.dtype)
        product = np.empty((4, 4, C, CO), g.dtype)
        for images, rows in runs[i]:
            n, nt = images.stop - images.start, rows.stop - rows.start
            T = n * nt * W2 // 2
            t, v = scratch("t", (4, n, nt * W2 * C)), scratch("v", (3, 4, 2 * T * C))
            E, S, D = (x.reshape(4, -1, 2, C) for x in _input_tiles(xr, images, rows, t, v))
            h = scratch("s", (4, n, nt, W2, CO))
            g_block = g[images, 2 * rows.start : 2 * rows.stop]
            ends, odd, even = gradient_tiles(g_block, h, scratch("m", (2, 8 * T * CO)))
            np.matmul(E.transpose(0, 2, 3, 1), ends, out=product[:, ::3])
            np.matmul(S[:, :, 1].transpose(0, 2, 1), odd, out=product[:, 1])
            np.matmul(D[:, :, 1].transpose(0, 2, 1), even, out=product[:, 2])
            parts[i] += product

    threads.run([partial(task, i) for i in range(len(runs))])
    return np.add.reduce(parts, axis=0)


def kernel_gradient(xr, g):
    """The kernel gradient (3, 3, C, CO) of `conv_valid` (see `tile_gradient`)."""
    return kernel_from_tiles(tile_gradient(xr, g))
