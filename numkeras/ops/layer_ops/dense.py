"""Dense's product, bias and relu as one recorded op (the layer calls it)."""

from functools import partial

import numpy as np

from numkeras.backend import blas_threads
from numkeras.engine.tensor import Tensor
from numkeras.kernels.gemm import matmuls
from numkeras.ops.layer_ops.nn_ops import _relu


def dense(x, kernel, bias=None, relu=False):
    """`x @ kernel (+ bias) (then relu)` over the last axis of `x`, as one op: the product is one
    GEMM over all leading axes, the bias and relu run in place on its fresh output. The values
    are those of `matmul`, `add` and `relu` in turn; the VJP masks the gradient once and gets the
    input's, the kernel's and the bias's gradients as two GEMMs and a GEMV. Small products run
    on one BLAS thread (`blas_threads.matmul`): the same values on any thread count; the VJP's
    two GEMMs, when both are above SMALL_PRODUCT_MACS, side by side on the kernel threads with
    the GEMV (`kernels.gemm`), values again independent of the thread count. `x`, `kernel` and
    `bias` are tensors of one float dtype (the layer checks; it takes the unfused ops
    otherwise)."""
    k = kernel.data
    if x.shape[-1:] != k.shape[:1] or k.ndim != 2:
        raise ValueError(
            f"Op `dense`: the input's last axis must match the kernel's first, got input shape "
            f"{x.shape} and kernel shape {k.shape}."
        )
    rows = x.data.reshape(-1, k.shape[0])
    y = blas_threads.matmul(rows, k)
    if bias is not None:
        y += bias.data
    if relu:
        _relu(y, out=y)
    parents = (x, kernel) if bias is None else (x, kernel, bias)

    def vjp(g):
        gz = g.reshape(y.shape)
        if relu:
            gz = gz * (y > 0)
        wanted = (x.requires_grad, kernel.requires_grad)
        pairs = [p for p, w in zip([(gz, k.T), (rows.T, gz)], wanted) if w]
        also, gb = (), None
        if bias is not None and bias.requires_grad:  # a GEMV, on a thread the GEMMs leave free
            gb = np.empty(gz.shape[1], gz.dtype)
            also = [partial(np.matmul, np.ones(len(gz), gz.dtype), gz, out=gb)]
        done = iter(matmuls(pairs, also))
        gx, gk = (next(done) if w else None for w in wanted)
        gx = None if gx is None else gx.reshape(x.shape)
        return (gx, gk) if bias is None else (gx, gk, gb)

    return Tensor(y.reshape(x.shape[:-1] + k.shape[1:]), parents, vjp, "dense")
