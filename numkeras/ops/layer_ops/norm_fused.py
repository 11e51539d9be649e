"""Batch normalization as one op, alone, with the relu after it, or with a residual added
before that relu.

`batch_norm_train` normalizes with the batch's own statistics over every axis but the last
(BatchNormalization's training step, which also needs the statistics for its moving
averages); `batch_norm_moving_relu` normalizes with given moving statistics, then relu. With
`relu=True` the output is rectified in place and the VJP masks the upstream gradient once
before batch normalization's closed-form gradient: the pair BatchNormalization -> relu that
models/fusion.py finds (and, with `residual`, a residual block's BatchNormalization -> Add ->
relu). Both run their passes chunk by chunk while the chunk is in cache, into as few arrays
as they can, the chunks spread over the cores as the convolutions' blocks are
(kernels/threads.py).
"""

import math
from functools import lru_cache, partial

import numpy as np

from numkeras.engine.tensor import Tensor, as_tensor
from numkeras.kernels import threads

# The passes over an array run a chunk of about this many bytes at a time, all of one
# chunk's steps while it is in cache (batch norm + relu, forward and VJP, on 8 MB: 6.9 ms
# in 1 MB chunks, 7.6 in 256 kB ones, 9.5 in 64 kB ones, 7.1 whole; as separate ops 9.0).
CHUNK_BYTES = 1 << 20
# Per-channel factors are tiled to at most this many rows of a chunk's width (`_tiled`).
TILE_ROWS = 16

# Batch statistics in one pass (sums of x and x * x) where every channel's mean is within this
# many standard deviations of 0; else two passes (the mean, then the squares of x - mean).
SPREAD = 2


def _rows(a, C):
    """`a` (m, C) viewed as rows of C * r values, r dividing m, about 1,024 values a row, so
    that per-channel broadcasts and column sums run over long rows rather than C values
    ((65536, 32) float32: sums 0.2 vs 1.0 ms, x - mean 0.6 vs 0.8 ms); and r."""
    r = math.gcd(a.shape[0], max(1, 1024 // C))
    return a.reshape(-1, C * r), r


def _chunks(rows):
    """Slices of `rows` (a `_rows` view) of up to about CHUNK_BYTES each, the last ones
    shrinking to a quarter of that (`threads.guided_slices`): the kernel threads then finish
    close together, whenever the second one starts. Each is whole `_tile_rows` groups of
    rows, so a chunk meets a `_tiled` array as one broadcast (`_grouped`)."""
    k = _tile_rows(rows.shape[0])
    step = max(1, CHUNK_BYTES // max(1, k * rows.shape[1] * rows.itemsize))
    units = threads.guided_slices(rows.shape[0] // k, step, max(1, step // 4))
    return [slice(k * s.start, k * s.stop) for s in units]


def _tile_rows(n):
    """Rows of a `_tiled` array for `n` rows: the largest divisor of n up to TILE_ROWS."""
    return max((d for d in range(1, min(n, TILE_ROWS) + 1) if n % d == 0), default=1)


def _tiled(values, r, rows):
    """Per-channel `values` repeated to `_tile_rows` rows of r positions, for the chunks of
    `rows` (`_grouped`): an elementwise op between a chunk and an array of its own shape runs
    as one contiguous loop, where a broadcast row runs one per row ((256, 1024) float32 times
    a row: 52-59 us, times a whole tile: 33-41, times 16 rows broadcast over the rest: 39);
    a few rows are built in a few microseconds, where a chunk's (1 MB) took ~100 us before
    any kernel thread could start, four times an op."""
    return np.tile(values, (_tile_rows(rows.shape[0]), r))


def _grouped(a, k):
    """A chunk `a` (n, width) of a `_rows` view as (n / k, k, width), k a `_tiled` array's
    rows, for a broadcast against it (a view where `a` is contiguous)."""
    return a.reshape(-1, k, a.shape[-1])


def _zeros(shape, dtype):
    """A read-only array of zeros (relu's `maximum` runs twice as fast against an array of
    zeros as against the scalar 0), shared by the calls asking for its shape and dtype."""
    return _zeros_cached(tuple(shape), np.dtype(dtype))


@lru_cache(maxsize=16)
def _zeros_cached(shape, dtype):
    zeros = np.zeros(shape, dtype)
    zeros.flags.writeable = False
    return zeros


def _fold(row_sums, r):
    """Per-channel totals of (..., C * r) sums over rows of r positions' channels."""
    return np.add.reduce(row_sums.reshape(row_sums.shape[:-1] + (r, -1)), axis=-2)


def _parents(x, gamma, beta):
    return tuple([x] + [t for t in (gamma, beta) if t is not None])


def _gradients(gx, ggamma, gbeta, gamma, beta):
    """A VJP's result for `_parents(x, gamma, beta)`: x's gradient, then gamma's and beta's
    where the op has them, each in its parameter's dtype."""
    grads = [gx]
    if gamma is not None:
        grads.append(ggamma.astype(gamma.data.dtype))
    if beta is not None:
        grads.append(gbeta.astype(beta.data.dtype))
    return tuple(grads)


def _upstream(g, y, relu):
    """(g, whether relu's mask is still to apply): a gradient that is not C-contiguous (a
    pooling's broadcast) is masked by relu's output `y` in one pass from where it is, rather
    than copied into rows first and masked after."""
    if relu and not g.flags.c_contiguous:
        return np.multiply(g, y.reshape(g.shape) > 0), False
    return g, relu


def _masked(g, y, out):
    """relu's VJP: g where the relu's output y is positive, else 0, into `out`."""
    return np.multiply(g, y > 0, out=out)


def _each_chunk(chunks, rows, task, sums=0):
    """Run `task(s, partial)` for every chunk `s` of `rows` on the kernel threads
    (kernels/threads.py), each task writing only its own chunk and its (sums, width) partial
    sums; returns the partial sums added in chunk order, whatever the thread count."""
    partials = np.zeros((len(chunks), sums, rows.shape[-1]), rows.dtype)
    threads.run([partial(task, s, part) for s, part in zip(chunks, partials)])
    return np.add.reduce(partials, axis=0)


def _statistics(rows, chunks, r, m):
    """(mean, var, centred) of `rows`' channels. One pass sums x and x * x, and var is
    E[x^2] - mean^2 where no channel's mean exceeds SPREAD standard deviations (the
    difference then loses under 2.3 bits to cancellation), with `centred` None; elsewhere a
    second pass sums the squares of x - mean, kept as `centred` for the VJP."""

    def moments(s, out):
        np.add.reduce(rows[s], axis=0, out=out[0])
        np.einsum("ij,ij->j", rows[s], rows[s], out=out[1])

    sums, squares = _each_chunk(chunks, rows, moments, 2)
    mean = _fold(sums, r) / m
    var = _fold(squares, r) / m - mean * mean
    if np.all(mean * mean <= SPREAD**2 * var):  # (False for a constant channel or NaN)
        return mean, var, None
    shift = np.tile(mean, r)
    centred = np.empty_like(rows)

    def centred_squares(s, out):
        c = np.subtract(rows[s], shift, out=centred[s])
        np.einsum("ij,ij->j", c, c, out=out[0])

    return mean, _fold(_each_chunk(chunks, rows, centred_squares, 1)[0], r) / m, centred


def batch_norm_train(inputs, gamma, beta, epsilon, relu=False, residual=None):
    """gamma * (x - mean) / sqrt(var + epsilon) + beta with the batch's mean and (biased)
    variance over every axis but the last, plus `residual` (a tensor of x's shape and dtype)
    where given, relu'd when `relu`, as one op: (output, mean, var), the statistics as
    arrays for the moving averages. The VJP is the closed form (two passes over x) instead
    of the graph of a dozen broadcast ops. Where the mean is within SPREAD deviations,
    x - mean is never stored: the output is x * scale + (beta - mean * scale) and the VJP
    subtracts mean's share from its sums. With a residual (a residual block's
    BatchNormalization -> Add -> relu) the sum is formed in the normalizing pass, and the
    residual's gradient is the masked upstream gradient the first VJP pass writes."""
    x = as_tensor(inputs)
    C = x.shape[-1]
    res = None if residual is None else as_tensor(residual)
    if res is not None and (res.shape != x.shape or res.dtype != x.dtype):
        raise ValueError(
            "Op `batch_norm_train`: expected a residual of the input's shape and dtype "
            f"{x.shape} {x.dtype}, got {res.shape} {res.dtype}."
        )
    rows, r = _rows(x.data.reshape(-1, C), C)
    dtype = rows.dtype.type
    m = dtype(x.data.size // C)
    chunks = _chunks(rows)
    mean, var, centred = _statistics(rows, chunks, r, m)
    inv = (1.0 / np.sqrt(var + dtype(epsilon))).astype(rows.dtype)
    scale = inv if gamma is None else inv * gamma.data
    offset = -mean * scale if centred is None else np.zeros_like(mean)
    if beta is not None:
        offset = offset + beta.data
    tiled_scale = _tiled(scale, r, rows)
    tiled_offset = _tiled(offset, r, rows) if beta is not None or centred is None else None
    k = tiled_scale.shape[0]
    zeros = _zeros(tiled_scale.shape, rows.dtype) if relu else None
    xs = rows if centred is None else centred  # x, or x - mean
    added = None if res is None else res.data.reshape(rows.shape)
    y = np.empty_like(rows)

    def normalize(s, _):
        out = np.multiply(_grouped(xs[s], k), tiled_scale, out=_grouped(y[s], k))
        if tiled_offset is not None:
            out += tiled_offset
        if added is not None:
            out += _grouped(added[s], k)
        if relu:
            np.maximum(out, zeros, out=out)

    _each_chunk(chunks, rows, normalize)

    def vjp(g):
        g, pending = _upstream(g, y, relu)  # relu's VJP masks g once: here or in the chunks
        g2 = g.reshape(rows.shape)
        gz = np.empty_like(rows) if pending else g2

        def gradient_sums(s, out):
            part = _masked(g2[s], y[s], gz[s]) if pending else g2[s]
            np.add.reduce(part, axis=0, out=out[0])
            np.einsum("ij,ij->j", part, xs[s], out=out[1])

        gbeta, gdot = _each_chunk(chunks, rows, gradient_sums, 2)
        gbeta, gdot = _fold(gbeta, r), _fold(gdot, r)
        if centred is None:
            gdot = gdot - mean * gbeta  # sum(g * (x - mean))
        ggamma = gdot * inv  # sum(g * xhat)
        gx = None
        if x.requires_grad:  # scale * (g - mean(g) - xhat * mean(g * xhat))
            gx = gz if relu and res is None else np.empty_like(rows)
            k1, k2 = scale * inv * ggamma / m, scale * gbeta / m
            if centred is None:
                k2 = k2 - mean * k1  # (x - mean) * k1 + k2 = x * k1 + (k2 - mean * k1)
            k1, k2 = _tiled(k1, r, rows), _tiled(k2, r, rows)

            def input_gradient(s, _):
                out = np.multiply(_grouped(gz[s], k), tiled_scale, out=_grouped(gx[s], k))
                out -= np.multiply(_grouped(xs[s], k), k1)
                out -= k2

            _each_chunk(chunks, rows, input_gradient)
            gx = gx.reshape(x.shape)
        grads = _gradients(gx, ggamma, gbeta, gamma, beta)
        return grads if res is None else grads[:1] + (gz.reshape(x.shape),) + grads[1:]

    name = "batch_norm_relu" if relu else "batch_norm_train"
    parents = _parents(x, gamma, beta)
    if res is not None:
        name, parents = f"batch_norm_add{'_relu' * relu}", parents[:1] + (res,) + parents[1:]
    return Tensor(y.reshape(x.shape), parents, vjp, name), mean, var


def batch_norm_moving_relu(inputs, gamma, beta, moving_mean, moving_variance, epsilon):
    """relu(x * a + b) with a = gamma / sqrt(moving_variance + epsilon) and b = beta -
    moving_mean * a over the last axis (BatchNormalization outside training, then relu) as
    one op; the moving statistics are arrays (constants), as the layer's are state."""
    x = as_tensor(inputs)
    C = x.shape[-1]
    rows, r = _rows(x.data.reshape(-1, C), C)
    dtype = rows.dtype.type
    chunks = _chunks(rows)
    inv = 1 / np.sqrt(moving_variance.astype(rows.dtype) + dtype(epsilon))
    scale = inv if gamma is None else inv * gamma.data
    mean = moving_mean.astype(rows.dtype)
    offset = -mean * scale
    if beta is not None:
        offset = offset + beta.data
    tiled_scale, tiled_offset = _tiled(scale, r, rows), _tiled(offset, r, rows)
    k = tiled_scale.shape[0]
    zeros = _zeros(tiled_scale.shape, rows.dtype)
    y = np.empty_like(rows)

    def normalize(s, _):
        out = np.multiply(_grouped(rows[s], k), tiled_scale, out=_grouped(y[s], k))
        out += tiled_offset
        np.maximum(out, zeros, out=out)

    _each_chunk(chunks, rows, normalize)

    def vjp(g):
        g, pending = _upstream(g, y, True)
        g2 = g.reshape(rows.shape)
        gz = np.empty_like(rows) if pending else g2

        def gradients(s, out):
            part = _masked(g2[s], y[s], gz[s]) if pending else g2[s]
            np.add.reduce(part, axis=0, out=out[0])
            np.einsum("ij,ij->j", part, rows[s], out=out[1])
            if x.requires_grad:  # gz becomes x's gradient
                np.multiply(_grouped(part, k), tiled_scale, out=_grouped(part, k))

        gbeta, gdot = _each_chunk(chunks, rows, gradients, 2)
        gbeta = _fold(gbeta, r)
        ggamma = (_fold(gdot, r) - mean * gbeta) * inv  # sum(g * xhat)
        gx = gz.reshape(x.shape) if x.requires_grad else None
        return _gradients(gx, ggamma, gbeta, gamma, beta)

    return Tensor(y.reshape(x.shape), _parents(x, gamma, beta), vjp, "batch_norm_relu")
