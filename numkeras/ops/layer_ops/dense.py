"""Dense's product, bias and relu as one recorded op (the layer calls it)."""

import numpy as np

from numkeras.backend.blas_threads import matmul
from numkeras.engine.tensor import Tensor
from numkeras.ops.layer_ops.nn_ops import _relu


def dense(x, kernel, bias=None, relu=False):
    """`x @ kernel (+ bias) (then relu)` over the last axis of `x`, as one op: the product is one
    GEMM over all leading axes, the bias and relu run in place on its fresh output. The values
    are those of `matmul`, `add` and `relu` in turn; the VJP masks the gradient once and gets the
    kernel's and the bias's gradients as a GEMM and a GEMV. Small products run on one BLAS
    thread (`blas_threads.matmul`): the same values on any thread count, and `matmul`'s where
    they are at most SAME_SUMS_MAX_DEPTH deep or the BLAS runs one thread anyway. `x`,
    `kernel` and `bias` are tensors of one float dtype (the layer checks; it takes the unfused
    ops otherwise)."""
    k = kernel.data
    if x.shape[-1:] != k.shape[:1] or k.ndim != 2:
        raise ValueError(
            f"Op `dense`: the input's last axis must match the kernel's first, got input shape "
            f"{x.shape} and kernel shape {k.shape}."
        )
    rows = x.data.reshape(-1, k.shape[0])
    y = matmul(rows, k)
    if bias is not None:
        y += bias.data
    if relu:
        _relu(y, out=y)
    parents = (x, kernel) if bias is None else (x, kernel, bias)

    def vjp(g):
        gz = g.reshape(y.shape)
        if relu:
            gz = gz * (y > 0)
        gx = matmul(gz, k.T).reshape(x.shape) if x.requires_grad else None
        gk = matmul(rows.T, gz) if kernel.requires_grad else None
        if bias is None:
            return gx, gk
        gb = np.ones(len(gz), gz.dtype) @ gz if bias.requires_grad else None
        return gx, gk, gb

    return Tensor(y.reshape(x.shape[:-1] + k.shape[1:]), parents, vjp, "dense")
