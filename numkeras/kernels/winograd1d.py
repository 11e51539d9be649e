"""1-D Winograd convolution F(m, r): m outputs of an r-tap convolution from n = m + r - 1
products per channel pair instead of m * r (minimal filtering, Winograd; Lavin & Gray 2015).

The input is cut into tiles of n values, one every m (they overlap by r - 1). A tile's values
d become the n values BT @ d, the kernel's taps g the n values G @ g, and the m outputs are
AT @ ((G @ g) * (BT @ d)): the n points' products, summed over the input channels, are n
GEMMs (tiles, C) @ (C, CO). The matrices come exactly (fractions) from n - 1 evaluation points
and infinity. Convolutions here are valid, stride 1, dilation 1, channels last (N, L, C); the
tiles run a cache-sized block at a time, the blocks in runs spread over the cores as the
patch-matrix convolutions' are (kernels/conv.py). The kernel's gradient is the same bilinear
form with the roles swapped, G.T @ sum over tiles of (BT @ d) * (AT.T @ g), summed per run
and the runs added in order, so values do not depend on the thread count.
"""

from fractions import Fraction
from functools import cache, partial

import numpy as np
from numpy.lib.stride_tricks import as_strided

from numkeras.kernels import conv as patch_conv
from numkeras.kernels import threads

# Points per tile: r = 7 taps give F(4, 7), 2.8 times fewer multiplies than the patch
# matrix's. Float32 error against float64 (relu'd inputs, 64 channels, relative to the
# largest output): F(2, 7) 1.9e-6, F(4, 7) 5.0e-6, F(6, 7) 1.1e-5, F(8, 7) 7.8e-5; the
# patch-matrix convolution 3.7e-7. Each output's relative difference from torch's conv1d,
# 99th percentile: F(4, 7) 1.0e-4, F(6, 7) 3.0e-4, the patch matrix 1.8e-5. F(6, 7) runs
# about 10% faster (Conv1D(64, 7) at length 494, one core: forward 9.4 vs 10.4 ms).
POINTS = 10
# The finite evaluation points, in the order they are taken (with these, F(4, 7)'s error
# is 5.0e-6; with +-3 instead of +-3/4, 1.9e-5; with +-1/4, 2.7e-5).
EVALUATION = tuple(
    Fraction(p) for p in ("0", "1", "-1", "2", "-2", "1/2", "-1/2", "3/4", "-3/4", "5/4", "-5/4")
)
# The kernel widths routed here (each measured faster than the patch-matrix convolution) and
# the fewest channels for which it pays (one core, 7 taps, length 500: 16 channels 1.1x the
# patch matrix's time, 24 0.9x, 32 0.7x, 64 0.5x).
WIDTHS = range(3, 8)
MIN_CHANNELS = 24
# Bytes of tile data per tile and block (the input tiles, their transform, the products and
# the outputs stay in cache between the block's GEMMs).
BLOCK_FACTOR = 2


def tile(r):
    """The outputs per tile for an r-tap kernel."""
    return POINTS - r + 1


def applies(xp, kernel_shape, strides, dilation):
    """Whether conv.py's valid convolution of the padded (N, H, W, C) input `xp` with a
    (KH, KW, C, CO) kernel runs here: a 1-D one (H = KH = 1), stride and dilation 1, enough
    channels, a routed width, and float32 or float64 values (half precision would lose too
    much to the transforms)."""
    _, H, _, C = xp.shape
    KH, KW, _, CO = kernel_shape
    return (
        H == KH == 1
        and tuple(strides) == (1, 1)
        and tuple(dilation) == (1, 1)
        and KW in WIDTHS
        and min(C, CO) >= MIN_CHANNELS
        and xp.dtype in (np.float32, np.float64)
    )


def _solve(a, b):
    """a^-1 @ b for square lists of Fractions (Gauss-Jordan), exactly."""
    n = len(a)
    rows = [list(ra) + list(rb) for ra, rb in zip(a, b)]
    for c in range(n):
        p = next(i for i in range(c, n) if rows[i][c] != 0)
        rows[c], rows[p] = rows[p], rows[c]
        rows[c] = [v / rows[c][c] for v in rows[c]]
        for i in range(n):
            if i != c and rows[i][c] != 0:
                f = rows[i][c]
                rows[i] = [u - f * v for u, v in zip(rows[i], rows[c])]
    return [row[n:] for row in rows]


def _evaluation(points, size):
    """The (n, size) matrix evaluating a polynomial of `size` coefficients at the finite
    points and at infinity (its leading coefficient)."""
    return [[p**j for j in range(size)] for p in points] + [[0] * (size - 1) + [1]]


@cache
def matrices(m, r, dtype):
    """(AT (m, n), G (n, r), BT (n, n)) of F(m, r) in `dtype`: with E the evaluation matrix
    of n coefficients, the convolution of polynomials f (m) and g (r) is E^-1 @ ((E_m @ f) *
    (E_r @ g)), and the correlation that a convolution layer computes is its transpose."""
    n = m + r - 1
    points = EVALUATION[: n - 1]
    identity = [[Fraction(int(i == j)) for j in range(n)] for i in range(n)]
    interpolation = _solve(_evaluation(points, n), identity)
    as_array = partial(np.array, dtype=np.float64)
    AT = as_array(_evaluation(points, m)).T
    G = as_array(_evaluation(points, r))
    BT = as_array(interpolation).T
    return tuple(np.ascontiguousarray(a, dtype) for a in (AT, G, BT))


def _tiles(a, m, n, count):
    """The (N, count, n, C) view of `a` (N, L, C) whose tile t is a[:, t * m : t * m + n]."""
    N, _, C = a.shape
    s0, s1, s2 = a.strides
    return as_strided(a, (N, count, n, C), (s0, m * s1, s1, s2), writeable=False)


def _tail(a, start, length):
    """a[:, start:] zero-padded (or cut) to `length` values along the sequence."""
    out = np.zeros((a.shape[0], length, a.shape[2]), a.dtype)
    part = a[:, start : start + length]
    out[:, : part.shape[1]] = part
    return out


def _block_list(N, count, n, C, CO, itemsize):
    return patch_conv._runs(
        patch_conv._blocks(N, count, 1, BLOCK_FACTOR * n * max(C, CO) * itemsize)
    )


def _block_size(run):
    return max((i.stop - i.start) * (t.stop - t.start) for i, t in run)


def _transformed(tiles, block, BT, buffers):
    """BT applied to every tile of `block`: (n, tiles, C), the tiles copied point-major into
    one buffer first, so the transform is one (n, n) @ (n, tiles * C) GEMM."""
    images, ts = block
    n, C = tiles.shape[2:]
    part = tiles[images, ts]
    k = part.shape[0] * part.shape[1]
    d = buffers[0][: n * k * C].reshape((n,) + part.shape[:2] + (C,))
    np.copyto(d, part.transpose(2, 0, 1, 3))
    v = np.matmul(BT, d.reshape(n, -1), out=buffers[1][: n * k * C].reshape(n, -1))
    return v.reshape(n, k, C)


def _forward_tiles(xp, U, AT, BT, out, count):
    """The first count * m outputs of the convolution of `xp` (N, L, C) into `out`."""
    N, _, C = xp.shape
    n, _, CO = U.shape
    m = AT.shape[0]
    tiles = _tiles(xp, m, n, count)
    outs = out[:, : count * m].reshape(N, count, m, CO)

    def task(run):
        k = _block_size(run)
        buffers = [np.empty(n * k * C, xp.dtype) for _ in range(2)]
        products = np.empty(n * k * CO, xp.dtype)
        y = np.empty(m * k * CO, xp.dtype)
        for block in run:
            v = _transformed(tiles, block, BT, buffers)
            k = v.shape[1]
            p = np.matmul(v, U, out=products[: n * k * CO].reshape(n, k, CO))
            yk = np.matmul(AT, p.reshape(n, -1), out=y[: m * k * CO].reshape(m, -1))
            images, ts = block
            shape = (m, images.stop - images.start, ts.stop - ts.start, CO)
            outs[block] = yk.reshape(shape).transpose(1, 2, 0, 3)

    runs = _block_list(N, count, n, C, CO, xp.itemsize)
    threads.run([partial(task, run) for run in runs])


def conv(xp, kernel, out):
    """Valid convolution of `xp` (N, L, C) with `kernel` (r, C, CO) into the C-contiguous
    `out` (N, L - r + 1, CO); the outputs past the last whole tile come from one zero-padded
    tile per sequence."""
    N, L, C = xp.shape
    r, _, CO = kernel.shape
    m = tile(r)
    n = m + r - 1
    AT, G, BT = matrices(m, r, np.dtype(xp.dtype))
    U = np.matmul(G, kernel.reshape(r, -1)).reshape(n, C, CO)
    count, rest = divmod(L - r + 1, m)
    if count:
        _forward_tiles(xp, U, AT, BT, out, count)
    if rest:
        last = np.empty((N, m, CO), out.dtype)
        _forward_tiles(_tail(xp, count * m, n), U, AT, BT, last, 1)
        out[:, count * m :] = last[:, :rest]
    return out


def _gradient_parts(xp, g, AT, BT, count):
    """The (runs, n, C, CO) sums over each run's tiles of (BT @ d) * (AT.T @ g)."""
    N, _, C = xp.shape
    CO = g.shape[2]
    m, n = AT.shape
    tiles, gtiles = _tiles(xp, m, n, count), _tiles(g, m, m, count)
    runs = _block_list(N, count, n, C, CO, xp.itemsize)
    parts = np.zeros((len(runs), n, C, CO), xp.dtype)

    def task(i):
        k = _block_size(runs[i])
        buffers = [np.empty(n * k * C, xp.dtype) for _ in range(2)]
        gbuffer = np.empty(m * k * CO, xp.dtype)
        w = np.empty(n * k * CO, xp.dtype)
        product = np.empty((n, C, CO), xp.dtype)
        for block in runs[i]:
            v = _transformed(tiles, block, BT, buffers)
            k = v.shape[1]
            part = gtiles[block]
            gk = gbuffer[: m * k * CO].reshape((m,) + part.shape[:2] + (CO,))
            np.copyto(gk, part.transpose(2, 0, 1, 3))
            wk = np.matmul(AT.T, gk.reshape(m, -1), out=w[: n * k * CO].reshape(n, -1))
            parts[i] += np.matmul(v.transpose(0, 2, 1), wk.reshape(n, k, CO), out=product)

    threads.run([partial(task, i) for i in range(len(runs))])
    return parts


def kernel_gradient(xp, g, r):
    """The (r, C, CO) gradient of `conv`'s kernel for the C-contiguous output gradient `g`
    (N, L - r + 1, CO)."""
    CO = g.shape[2]
    C = xp.shape[2]
    m = tile(r)
    n = m + r - 1
    AT, G, BT = matrices(m, r, np.dtype(xp.dtype))
    count, rest = divmod(g.shape[1], m)
    total = np.zeros((n, C, CO), xp.dtype)
    if count:
        total += np.add.reduce(_gradient_parts(xp, g, AT, BT, count), axis=0)
    if rest:
        tails = _tail(xp, count * m, n), _tail(g, count * m, m)
        total += np.add.reduce(_gradient_parts(*tails, AT, BT, 1), axis=0)
    return np.matmul(G.T, total.reshape(n, -1)).reshape(r, C, CO)
