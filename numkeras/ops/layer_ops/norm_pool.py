"""Batch normalization with the batch's statistics, relu and the mean over every axis but the
first and last, as one op: a model's BatchNormalization -> relu -> global average pooling
tail (models/fusion.py finds it).

The pooled output is only (N, C), so the normalized values are never stored: the batch
statistics take one pass over x where the channels' means are small beside their deviations
(norm_fused's `_statistics`, else a second pass writes x - mean), then a chunk of whole samples
is normalized, rectified and summed while in cache, keeping relu's mask and, per sample and
channel, the count of positive values and the sum of their centred inputs. The VJP's
per-channel sums come from those (N, C) numbers without a pass, and the input's gradient is one
pass over the input. The chunks are spread over the kernel threads, their partial sums added in
order, so values do not depend on the thread count.
"""

import math

import numpy as np

from numkeras.engine.tensor import Tensor, as_tensor
from numkeras.ops.layer_ops.norm_fused import _chunks as _row_chunks
from numkeras.ops.layer_ops.norm_fused import (
    _each_chunk,
    _fold,
    _gradients,
    _parents,
    _statistics,
    _zeros,
)

# Bytes of input per chunk (whole samples; one sample where a sample is larger).
CHUNK_BYTES = 1 << 20


def _tiled(values, r, rows):
    """Per-channel `values` repeated to one sample's shape (`rows` rows of r positions), for
    ops on a chunk of samples that broadcast it over the samples, each sample one contiguous
    loop (a row of C * r values broadcast runs one loop per row: 64 channels over 494 steps
    make rows of 128 values, and a multiply over (64, 494, 64) float32 takes 0.52 ms, 0.31
    with a tile). One sample, not a chunk's worth: it is built on one thread before the
    chunks' tasks start."""
    return np.tile(values, (1, rows, r))


def _chunks(N, sample_bytes):
    step = max(1, CHUNK_BYTES // max(1, sample_bytes))
    return [slice(i, min(i + step, N)) for i in range(0, N, step)]


def batch_norm_relu_mean(inputs, gamma, beta, epsilon):
    """mean over axes 1..-2 of relu(gamma * (x - mean) / sqrt(var + epsilon) + beta), the
    statistics the batch's over every axis but the last, as one op: (output (N, C), mean,
    var), the statistics as arrays for BatchNormalization's moving averages."""
    x = as_tensor(inputs)
    if x.ndim < 3:
        raise ValueError(
            f"Op `batch_norm_relu_mean`: expected an input with steps or pixels between the "
            f"batch and channel axes, got shape {x.shape}."
        )
    N, C = x.shape[0], x.shape[-1]
    L = math.prod(x.shape[1:-1])
    r = math.gcd(L, max(1, 1024 // C))  # rows of r positions' channels, within one sample
    rows = x.data.reshape(N, L // r, C * r)
    dtype = rows.dtype
    count = dtype.type(N * L)
    chunks = _chunks(N, L * C * rows.itemsize)

    flat = rows.reshape(-1, C * r)
    mean, var, centred = _statistics(flat, _row_chunks(flat), r, count)
    inv = (1.0 / np.sqrt(var + dtype.type(epsilon))).astype(dtype)
    scale = inv if gamma is None else inv * gamma.data
    # the passes below read `base`, x less `offset`: x itself (offset the mean) after one-pass
    # statistics, else the centred x that the second statistics pass wrote (offset 0)
    base, offset = (
        (rows, mean) if centred is None else (centred.reshape(rows.shape), np.zeros_like(mean))
    )
    shift = -offset * scale if beta is None else beta.data - offset * scale
    tiled_scale = _tiled(scale, r, rows.shape[1])
    tiled_shift = _tiled(shift, r, rows.shape[1])
    zeros = _zeros(tiled_scale.shape, dtype)
    positive = np.empty(rows.shape, bool)  # relu's mask
    totals = np.empty((3, N, C * r), dtype)  # relu sums, positive counts, their `base` sums

    def normalize(s, _):
        z = np.multiply(base[s], tiled_scale)
        z += tiled_shift
        np.greater(z, 0, out=positive[s])
        np.maximum(z, zeros, out=z)
        np.add.reduce(z, axis=1, out=totals[0, s])
        np.copyto(z, positive[s])  # the mask as 0.0 and 1.0: float products and sums
        np.add.reduce(z, axis=1, out=totals[1, s])
        np.multiply(base[s], z, out=z)
        np.add.reduce(z, axis=1, out=totals[2, s])

    _each_chunk(chunks, rows, normalize)
    pooled, positives, base_sums = _fold(totals, r)
    centred_sums = base_sums - offset * positives
    y = pooled / dtype.type(L)

    def vjp(g):
        gp = g.astype(dtype, copy=False) / dtype.type(L)  # the gradient at each position
        gbeta = np.einsum("nc,nc->c", gp, positives)
        ggamma = np.einsum("nc,nc->c", gp, centred_sums) * inv  # sum(g * xhat)
        gx = None
        if x.requires_grad:  # scale * (g - mean(g) - xhat * mean(g * xhat))
            gx = np.empty_like(rows)
            k1 = scale * inv * ggamma / count
            k2 = _tiled(scale * gbeta / count - offset * k1, r, rows.shape[1])
            k1 = _tiled(k1, r, rows.shape[1])
            spread = np.tile(gp * scale, r)[:, None, :]

            def input_gradient(s, _):
                out = np.multiply(positive[s], spread[s], out=gx[s])
                out -= np.multiply(base[s], k1)
                out -= k2

            _each_chunk(chunks, rows, input_gradient)
            gx = gx.reshape(x.shape)
        return _gradients(gx, ggamma, gbeta, gamma, beta)

    return Tensor(y, _parents(x, gamma, beta), vjp, "batch_norm_relu_mean"), mean, var
