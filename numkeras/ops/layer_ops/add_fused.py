"""relu(x1 + x2) as one op: a residual block's Add -> relu (models/fusion.py finds the pair)."""

from functools import partial

import numpy as np

from numkeras.engine.tensor import Tensor, as_tensor
from numkeras.kernels import threads

# The sum is rectified a chunk of about this many bytes at a time, while it is in cache.
CHUNK_BYTES = 1 << 18
# A task of the kernel threads (kernels/threads.py) runs up to this many chunks.
TASK_CHUNKS = 4


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
