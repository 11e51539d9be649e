"""relu(x1 + x2) as one op: a residual block's Add -> relu (models/fusion.py finds the pair)."""

import numpy as np

from numkeras.engine.tensor import Tensor, as_tensor

# The sum is rectified a chunk of about this many bytes at a time, while it is in cache.
CHUNK_BYTES = 1 << 18


def add_relu(x1, x2):
    """relu(x1 + x2) for two tensors of one shape and dtype, computed chunk by chunk into one
    new array (no array for the sum); the VJP masks the upstream gradient once and hands
    that to both inputs."""
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
    for start in range(0, y.size, step):
        part = np.add(
            flat_a[start : start + step],
            flat_b[start : start + step],
            out=flat_y[start : start + step],
        )
        np.maximum(part, zeros[: part.size], out=part)  # (twice as fast as against 0)

    def vjp(g):
        gz = np.multiply(g, y > 0)
        return gz, gz

    return Tensor(y, (a, b), vjp, "add_relu")
