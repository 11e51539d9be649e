"""Fused ops: several layers' work as one ordinary recorded op, computed when it runs.

Each op here stands for a chain of ops that a model pass (numkeras/models/fusion.py) or a layer
chooses where the model's structure says the chain runs; its value equals the chain's and its
VJP is the chain's gradient, checked in float64 against central differences like every op.
"""

from functools import partial

import numpy as np

from numkeras.engine import autodiff
from numkeras.engine.tensor import Tensor, as_tensor
from numkeras.kernels import threads
from numkeras.kernels.conv import _geometry
from numkeras.ops.layer_ops.conv import conv_args
from numkeras.ops.layer_ops.conv_pool import conv_relu_pool_backward, conv_relu_pool_forward


def _row_dots(a, b):
    """Each row's dot product of two (rows, n) arrays (b may be one (n,) row), as (rows, 1)."""
    return np.einsum("ij,ij->i" if b.ndim == 2 else "ij,j->i", a, b)[:, None]


def pool_tiles(conv_shape, pool, strides, padding):
    """Whether max pool windows `pool` (with `strides`, `padding`) tile an NHWC conv output
    of `conv_shape` without overlap or padding: the case `conv_relu_pool` computes."""
    _, OH, OW, _ = conv_shape
    if tuple(strides) != tuple(pool) or OH < pool[0] or OW < pool[1]:
        return False
    return padding == "valid" or (OH % pool[0] == 0 and OW % pool[1] == 0)


def conv_relu_pool(inputs, kernel, bias, strides, padding, dilation_rate, pool):
    """max_pool(relu(conv(inputs, kernel) + bias), pool) for a 2-D channels_last conv whose
    output the pool windows tile (`pool_tiles`): bias and relu run on the pooled values only
    (max and relu commute; a per-channel bias is constant over a window), see conv_pool.py."""
    x, k, rank, xd, kd, _, strides, padding, dilation, groups = conv_args(
        inputs, kernel, strides, padding, "channels_last", dilation_rate
    )
    OH, OW, _, _ = _geometry(xd.shape, kd.shape[:2], strides, padding, dilation)
    pool = tuple(pool)
    if rank != 2 or groups != 1 or not pool_tiles((None, OH, OW, None), pool, pool, "valid"):
        raise ValueError(
            f"Op `conv_relu_pool`: needs a 2-D ungrouped conv whose output "
            f"({OH}, {OW}) pool windows {pool} tile; input shape {x.shape}, "
            f"kernel shape {k.shape}."
        )
    parents = (x, k)
    if bias is not None:
        bias = as_tensor(bias, k.dtype)
        if bias.shape != k.shape[-1:]:
            raise ValueError(
                f"Op `conv_relu_pool`: expected a bias of shape {k.shape[-1:]} "
                f"for kernel shape {k.shape}, got {bias.shape}."
            )
        parents = (x, k, bias)
    for_grad = autodiff.is_recording() and any(t.requires_grad for t in parents)
    y, cache = conv_relu_pool_forward(
        xd, kd, None if bias is None else bias.data, strides, padding, dilation, pool, for_grad
    )

    def vjp(g):
        need_bias = bias is not None and bias.requires_grad
        grads = conv_relu_pool_backward(g, cache, x.requires_grad, k.requires_grad, need_bias)
        return grads[: len(parents)]

    return Tensor(y, parents, vjp, "conv_relu_pool")


def _row_runs(rows):
    """Row slices, one per kernel thread, for work whose rows are independent."""
    parts = max(1, min(threads.workers(), rows // LAYER_NORM_ROWS_PER_THREAD))
    bounds = [rows * i // parts for i in range(parts + 1)]
    return [slice(s, e) for s, e in zip(bounds[:-1], bounds[1:])]


# Fewer rows than this per thread run on the calling thread (a thread hand-off costs more).
LAYER_NORM_ROWS_PER_THREAD = 256


def layer_norm(inputs, gamma, beta, epsilon, residual=None):
    """Layer normalization over the last axis as one op: gamma * (x - mean) / sqrt(var +
    epsilon) + beta with each row's statistics, and the closed-form VJP. Row sums are einsum
    dot products (NumPy's reduce over a short last axis is several times slower). Rows are
    independent, so their work is split over numkeras's kernel threads (the same bits on any
    thread count); the gamma and beta gradients sum over all rows on the calling thread.

    With `residual` (a tensor of the inputs' shape and dtype), x is `inputs + residual`: an
    Add -> LayerNormalization pair (models/fusion.py) with no array for the sum, whose rows
    are added in the normalization's own buffer; both inputs get x's gradient."""
    x = as_tensor(inputs)
    C = x.shape[-1]
    x2 = x.data.reshape(-1, C)
    if residual is not None:
        residual = as_tensor(residual)
        if residual.shape != x.shape or residual.data.dtype != x2.dtype:
            raise ValueError(
                "Op `layer_norm`: the residual must have the inputs' shape and dtype, got "
                f"{x.shape} {x.dtype} and {residual.shape} {residual.dtype}."
            )
        r2 = residual.data.reshape(-1, C)
    dtype = x2.dtype
    n = dtype.type(C)
    ones = np.ones(C, dtype)
    xhat = np.empty(x2.shape, dtype)
    inv = np.empty((x2.shape[0], 1), dtype)
    y = np.empty(x2.shape, dtype if gamma is None else np.result_type(dtype, gamma.data))

    def forward(r):
        xr, xh = x2[r], xhat[r]
        if residual is not None:  # the sum, as `add` computes it, in xhat's rows
            xr = np.add(xr, r2[r], out=xh)
        np.subtract(xr, _row_dots(xr, ones) / n, out=xh)
        var = _row_dots(xh, xh) / n
        inv[r] = (1.0 / np.sqrt(var + dtype.type(epsilon))).astype(dtype)
        xh *= inv[r]
        if gamma is None:
            y[r] = xh
        else:
            np.multiply(xh, gamma.data, out=y[r])
        if beta is not None:
            y[r] += beta.data

    threads.run([partial(forward, r) for r in _row_runs(x2.shape[0])])
    sources = [x] if residual is None else [x, residual]
    parents = sources + [t for t in (gamma, beta) if t is not None]

    def vjp(g):
        g2 = g.reshape(-1, C)
        grads = []
        if any(t.requires_grad for t in sources):
            # inv * (gxhat - mean(gxhat) - xhat * mean(gxhat * xhat))
            gx = np.empty(x2.shape, dtype)

            def backward(r):
                gxhat = g2[r] if gamma is None else g2[r] * gamma.data
                out = gx[r]
                np.multiply(xhat[r], _row_dots(gxhat, xhat[r]) / n, out=out)
                out += _row_dots(gxhat, ones) / n
                np.subtract(gxhat, out, out=out)
                out *= inv[r]

            threads.run([partial(backward, r) for r in _row_runs(x2.shape[0])])
            grads += [gx.reshape(x.shape)] * len(sources)
        else:
            grads += [None] * len(sources)
        if gamma is not None:
            grads.append(np.einsum("ij,ij->j", g2, xhat).astype(gamma.data.dtype))
        if beta is not None:
            grads.append(np.add.reduce(g2, axis=0).astype(beta.data.dtype))
        return tuple(grads)

    return Tensor(y.reshape(x.shape), tuple(parents), vjp, "layer_norm")
