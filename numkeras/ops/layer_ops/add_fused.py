"""relu(x1 + x2) as one op, alone or with the mean over the pixels after it: a residual block's
Add -> relu (models/fusion.py finds the pair), and Add -> relu -> global average pooling.
"""

import math
from functools import partial

import numpy as np

from numkeras.engine.tensor import Tensor, as_tensor
from numkeras.kernels import threads
from numkeras.ops.layer_ops.norm_fused import _fold, _zeros

# The sum is rectified a chunk of about this many bytes at a time, while it is in cache.
CHUNK_BYTES = 1 << 18
# A task of the kernel threads (kernels/threads.py) runs up to this many chunks.
TASK_CHUNKS = 4
# `add_relu_mean` adds, rectifies and sums whole samples, about this many bytes a task.
SAMPLE_CHUNK_BYTES = 1 << 20


def _pieces(size, step):
    """(start, stop) element ranges of the tasks: runs of up to TASK_CHUNKS chunks of `step`
    values, shrinking toward the end (`threads.guided_slices`)."""
    chunks = -(-size // step)
    return [
        (s.start * step, min(s.stop * step, size))
        for s in threads.guided_slices(chunks, TASK_CHUNKS)
    ]


def add_relu(x1, x2):
    """relu(x1 + x2) for two tensors of one shape and dtype, computed chunk by chunk into one
    new array (no array for the sum), the chunks spread over the kernel threads; the VJP
    masks the upstream gradient once, the same way, and hands that to both inputs."""
    a, b = as_tensor(x1), as_tensor(x2)
    if a.shape != b.shape or a.dtype != b.dtype:
        raise ValueError(
            "Op `add_relu`: expected two tensors of one shape and dtype, got "
            f"{a.shape} {a.dtype} and {b.shape} {b.dtype}."
        )
    y = np.empty(a.shape, a.data.dtype)
    flat_a, flat_b, flat_y = (np.reshape(v, -1) for v in (a.data, b.data, y))
    step = max(1, CHUNK_BYTES // max(1, y.itemsize))
    zeros = np.zeros(min(step, y.size), y.dtype)
    pieces = _pieces(y.size, step)

    def forward(first, last):
        for start in range(first, last, step):
            part = slice(start, min(start + step, last))
            out = np.add(flat_a[part], flat_b[part], out=flat_y[part])
            np.maximum(out, zeros[: out.size], out=out)  # (twice as fast as against 0)

    threads.run([partial(forward, *piece) for piece in pieces])

    def vjp(g):
        gz = np.empty(y.shape, g.dtype)
        flat_g, flat_gz = np.reshape(g, -1), np.reshape(gz, -1)

        def mask(first, last):
            np.multiply(flat_g[first:last], flat_y[first:last] > 0, out=flat_gz[first:last])

        threads.run([partial(mask, *piece) for piece in pieces])
        return gz, gz

    return Tensor(y, (a, b), vjp, "add_relu")


def add_relu_mean(x1, x2):
    """The mean over axes 1..-2 of relu(x1 + x2) (a residual block's Add -> relu, then global
    average pooling) as one op, (N, C): a chunk of whole samples is added, rectified and
    summed while in cache, keeping only relu's mask (a quarter of the sum's bytes) for the
    VJP, which spreads the upstream gradient over the mask in one pass and hands that to
    both inputs. The chunks run on the kernel threads, each sample's sums within its chunk,
    so values do not depend on the thread count."""
    a, b = as_tensor(x1), as_tensor(x2)
    if a.shape != b.shape or a.dtype != b.dtype or a.ndim < 3:
        raise ValueError(
            "Op `add_relu_mean`: expected two tensors of one shape and dtype with steps or "
            f"pixels between the batch and channel axes, got {a.shape} {a.dtype} and "
            f"{b.shape} {b.dtype}."
        )
    N, C = a.shape[0], a.shape[-1]
    L = math.prod(a.shape[1:-1])
    r = math.gcd(L, max(1, 1024 // C))  # rows of r positions' channels, within one sample
    rows_a, rows_b = (v.data.reshape(N, L // r, C * r) for v in (a, b))
    dtype = rows_a.dtype
    step = max(1, SAMPLE_CHUNK_BYTES // max(1, L * C * dtype.itemsize))
    chunks = threads.guided_slices(N, step, max(1, step // 4))
    zeros = _zeros((min(step, N),) + rows_a.shape[1:], dtype)
    positive = np.empty(rows_a.shape, bool)  # relu's mask
    totals = np.empty((N, C * r), dtype)

    def forward(s):
        z = np.add(rows_a[s], rows_b[s])
        np.maximum(z, zeros[: s.stop - s.start], out=z)
        np.greater(z, 0, out=positive[s])
        np.add.reduce(z, axis=1, out=totals[s])

    threads.run([partial(forward, s) for s in chunks])
    y = _fold(totals, r) / dtype.type(L)

    def vjp(g):
        spread = np.tile(g.astype(dtype, copy=False) / dtype.type(L), r)[:, None, :]
        gz = np.empty(rows_a.shape, dtype)

        def mask(s):
            np.multiply(positive[s], spread[s], out=gz[s])

        threads.run([partial(mask, s) for s in chunks])
        gz = gz.reshape(a.shape)
        return gz, gz

    return Tensor(y, (a, b), vjp, "add_relu_mean")
