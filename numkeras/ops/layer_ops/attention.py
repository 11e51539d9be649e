"""Multi-head self-attention on packed query/key/value projections, as one recorded op.

MultiHeadAttention's common case (the same tensor as query, key and value, no mask, no dropout,
attention over the time axis) projects the inputs with one GEMM into `qkv` (batch, time,
heads * (2 key_dim + value_dim)): the query's, key's and value's (heads, dim) columns side by
side. This op takes it to the heads' outputs (batch, time, heads * value_dim), the layout the
output projection contracts, without copying the heads apart: the batched matmuls read and
write strided (batch, heads, time, dim) views. Its VJP returns the gradient in the same packed
layout, so the projections' backward is one GEMM for the inputs and one for the kernels.
The examples of the batch are split over numkeras's kernel threads.
"""

from functools import partial

import numpy as np

from numkeras.engine.tensor import Tensor, as_tensor
from numkeras.kernels import threads


def _heads(packed, heads, start, dim):
    """The (batch, heads, time, dim) view of the columns [start, start + heads * dim)."""
    B, T = packed.shape[:2]
    part = packed[:, :, start : start + heads * dim]
    return part.reshape(B, T, heads, dim).transpose(0, 2, 1, 3)


def _batch_runs(batch):
    """The batch cut into one slice per kernel thread: each example's heads are many small
    GEMMs the BLAS runs on one core, so the examples are spread over the threads instead (an
    example's values do not depend on the slice it is in)."""
    parts = min(threads.workers(), batch) or 1
    bounds = [batch * i // parts for i in range(parts + 1)]
    return [slice(s, e) for s, e in zip(bounds[:-1], bounds[1:])]


def _row_dots(a, b):
    """The dot products of a's and b's last-axis rows, keeping that axis (as length 1): one
    pass, where NumPy's reduce over a short last axis is several times slower."""
    return np.einsum("...i,...i->...", a, b)[..., None]


def packed_self_attention(qkv, num_heads, key_dim, value_dim):
    """softmax(q k^T / sqrt(key_dim)) v for each head of a packed (batch, time, heads *
    (2 key_dim + value_dim)) projection; the heads' outputs as (batch, time, heads *
    value_dim). The query is scaled before the product, as Keras does."""
    qkv = as_tensor(qkv)
    x, H = qkv.data, num_heads
    B, T, width = x.shape
    if width != H * (2 * key_dim + value_dim):
        raise ValueError(
            f"Op `packed_self_attention`: the last axis must hold {H} heads of query and key "
            f"({key_dim}) and value ({value_dim}) columns, {H * (2 * key_dim + value_dim)} "
            f"in all, received shape {x.shape}."
        )
    dtype = x.dtype
    scale = dtype.type(1.0 / np.sqrt(key_dim))
    q = _heads(x, H, 0, key_dim) * scale
    k = _heads(x, H, H * key_dim, key_dim)
    v = _heads(x, H, 2 * H * key_dim, value_dim)
    p = np.empty((B, H, T, T), dtype)  # the scores, then the probabilities
    out = np.empty((B, T, H * value_dim), dtype)
    ones = np.ones(T, dtype)

    def forward(b):
        pb = p[b]
        np.matmul(q[b], k[b].swapaxes(-1, -2), out=pb)
        pb -= pb.max(axis=-1, keepdims=True)
        np.exp(pb, out=pb)
        pb /= _row_dots(pb, ones)
        np.matmul(pb, v[b], out=_heads(out[b], H, 0, value_dim))

    threads.run([partial(forward, b) for b in _batch_runs(B)])

    def vjp(g):
        go = _heads(g, H, 0, value_dim)
        dqkv = np.empty_like(x)

        def backward(b):
            d = dqkv[b]
            np.matmul(p[b].swapaxes(-1, -2), go[b], out=_heads(d, H, 2 * H * key_dim, value_dim))
            ds = np.matmul(go[b], v[b].swapaxes(-1, -2))  # d probabilities, then d scores:
            ds -= _row_dots(ds, p[b])  # p (dp - sum(dp p))
            ds *= p[b]
            dq = _heads(d, H, 0, key_dim)
            np.matmul(ds, k[b], out=dq)
            dq *= scale
            np.matmul(ds.swapaxes(-1, -2), q[b], out=_heads(d, H, H * key_dim, key_dim))

        threads.run([partial(backward, b) for b in _batch_runs(B)])
        return (dqkv,)

    return Tensor(out, (qkv,), vjp, "packed_self_attention")
