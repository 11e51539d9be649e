"""Fused ops: several layers' work as one ordinary recorded op, computed when it runs.

Each op here stands for a chain of ops that a model pass (numkeras/models/fusion.py) or a layer
chooses where the model's structure says the chain runs; its value equals the chain's and its
VJP is the chain's gradient, checked in float64 against central differences like every op.
"""

import numpy as np

from numkeras.engine import autodiff
from numkeras.engine.tensor import Tensor, as_tensor
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


def layer_norm(inputs, gamma, beta, epsilon):
    """Layer normalization over the last axis as one op: gamma * (x - mean) / sqrt(var +
    epsilon) + beta with each row's statistics, and the closed-form VJP. Row sums are einsum
    dot products (NumPy's reduce over a short last axis is several times slower)."""
    x = as_tensor(inputs)
    C = x.shape[-1]
    x2 = x.data.reshape(-1, C)
    n = x2.dtype.type(C)
    ones = np.ones(C, x2.dtype)
    xhat = x2 - _row_dots(x2, ones) / n
    var = _row_dots(xhat, xhat) / n
    inv = (1.0 / np.sqrt(var + x2.dtype.type(epsilon))).astype(x2.dtype)
    xhat *= inv
    y = xhat.copy() if gamma is None else xhat * gamma.data
    if beta is not None:
        y += beta.data
    parents = [x] + [t for t in (gamma, beta) if t is not None]

    def vjp(g):
        g2 = g.reshape(-1, C)
        grads = []
        if x.requires_grad:  # inv * (gxhat - mean(gxhat) - xhat * mean(gxhat * xhat))
            gxhat = g2 if gamma is None else g2 * gamma.data
            gx = xhat * (_row_dots(gxhat, xhat) / n)
            gx += _row_dots(gxhat, ones) / n
            np.subtract(gxhat, gx, out=gx)
            gx *= inv
            grads.append(gx.reshape(x.shape))
        else:
            grads.append(None)
        if gamma is not None:
            grads.append(np.einsum("ij,ij->j", g2, xhat).astype(gamma.data.dtype))
        if beta is not None:
            grads.append(np.add.reduce(g2, axis=0).astype(beta.data.dtype))
        return tuple(grads)

    return Tensor(y.reshape(x.shape), tuple(parents), vjp, "layer_norm")
