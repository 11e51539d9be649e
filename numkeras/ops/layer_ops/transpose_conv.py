"""conv_transpose: Keras's transposed convolution (1-D or 2-D), with its VJP beside it.

A transposed convolution is a convolution's input gradient: its input plays the part of the
convolution's output gradient. The forward pass is therefore one `kernels.col2im` (a GEMM per
kernel offset, added into the output by strided slices) into the "full" output of length
`(n - 1) * stride + (k - 1) * dilation + 1` per axis, which Keras's `padding` and
`output_padding` then crop, or extend with zeros on the right. The backward pass is a
convolution of the output gradient: one `kernels.im2col`, then a GEMM for each operand.
The kernel is `(*kernel_size, filters, in_channels)`, as in Keras.
"""

import numpy as np

from numkeras.engine.math_ops import operands
from numkeras.engine.tensor import Tensor
from numkeras.kernels import conv as kernels
from numkeras.ops.layer_ops.conv import _from_nhwc, _to_nhwc, _tuple


def _pads(k, stride, dilation, padding, output_padding):
    """Keras's (left, right) padding of the stride-dilated input (JAX's convention)."""
    span = (k - 1) * dilation + 1
    if padding == "valid":
        extra = max(span, stride) - span if output_padding is None else output_padding
        return span - 1, span - 1 + extra
    if output_padding is None:
        total = stride + span - 2
    else:
        total = span + span % 2 - 2 + output_padding
    left = min(total // 2 + total % 2, span - 1)
    return left, total - left


def output_length(n, k, stride, padding, output_padding=None, dilation=1):
    """Keras's output length along one axis (None stays None)."""
    if n is None:
        return None
    left, right = _pads(k, stride, dilation, padding, output_padding)
    return (n - 1) * stride + 1 + left + right - (k - 1) * dilation


def _geometry(n, k, stride, dilation, padding, output_padding):
    """(buffer length, crop start, output length): the full output is cropped on the left
    and cropped or zero-extended on the right."""
    span = (k - 1) * dilation + 1
    left, right = _pads(k, stride, dilation, padding, output_padding)
    full = (n - 1) * stride + span
    out = output_length(n, k, stride, padding, output_padding, dilation)
    return max(full, full - (span - 1 - right)), span - 1 - left, out


def _output_padding(value, rank):
    if value is None:
        return (None,) * rank
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * rank
    if len(values) != rank or any(int(v) != v or v < 0 for v in values):
        raise ValueError(
            f"Op `conv_transpose`: `output_padding` must be None or {rank} non-negative "
            f"integers, got {value!r}."
        )
    return tuple(int(v) for v in values)


def conv_transpose(
    inputs,
    kernel,
    strides=1,
    padding="valid",
    output_padding=None,
    data_format=None,
    dilation_rate=1,
):
    """Transposed convolution with Keras's signature; kernel `(*kernel_size, out, in)`."""
    x, k = operands("conv_transpose", inputs, kernel)  # a bare NumPy kernel takes x's dtype
    rank = k.ndim - 2
    if rank not in (1, 2) or x.ndim != rank + 2:
        raise ValueError(
            f"Op `conv_transpose`: expected a {rank + 2}-D input for a {k.ndim}-D kernel, got "
            f"input shape {x.shape} and kernel shape {k.shape}."
        )
    data_format = data_format or "channels_last"
    channels = x.shape[-1] if data_format == "channels_last" else x.shape[1]
    if channels != k.shape[-1]:
        raise ValueError(
            f"Op `conv_transpose`: the input has {channels} channels but the kernel expects "
            f"{k.shape[-1]} (its last axis); input shape {x.shape}, kernel shape {k.shape}."
        )
    padding = str(padding).lower()
    if padding not in ("valid", "same"):
        raise ValueError(
            f"Op `conv_transpose`: `padding` must be 'valid' or 'same', got {padding!r}."
        )
    strides, dilation = (
        _tuple(strides, rank, "strides"),
        _tuple(dilation_rate, rank, "dilation_rate"),
    )
    extra = _output_padding(output_padding, rank)
    if rank == 1:  # a 1-D transposed convolution is a 2-D one of height 1
        strides, dilation, extra = (1,) + strides, (1,) + dilation, (None,) + extra
    dtype = np.result_type(x.data.dtype, k.data.dtype)
    xd = _to_nhwc(x.data, data_format, rank).astype(dtype, copy=False)
    kd = (k.data[None] if rank == 1 else k.data).astype(dtype, copy=False)
    N, H, W, CI = xd.shape
    KH, KW, CO = kd.shape[:3]
    (bh, ch, oh), (bw, cw, ow) = (
        _geometry(n, kk, s, d, padding, op)
        for n, kk, s, d, op in zip((H, W), (KH, KW), strides, dilation, extra)
    )
    if oh < 1 or ow < 1:
        raise ValueError(
            f"Op `conv_transpose`: the output would be empty for input shape {x.shape}, kernel "
            f"shape {k.shape}, padding={padding!r}, output_padding={output_padding!r}."
        )
    full = np.zeros((N, bh, bw, CO), dtype)
    kernels.col2im(full, xd.reshape(-1, CI), kd, H, W, strides, dilation)
    window = (slice(None), slice(ch, ch + oh), slice(cw, cw + ow))

    def vjp(g):
        g_full = np.zeros((N, bh, bw, CO), dtype)
        g_full[window] = _to_nhwc(g, data_format, rank)
        cols = kernels.im2col(g_full, KH, KW, H, W, strides, dilation)  # (N*H*W, KH*KW*CO)
        gx = gk = None
        if x.requires_grad:
            gx = _from_nhwc((cols @ kd.reshape(-1, CI)).reshape(N, H, W, CI), data_format, rank)
        if k.requires_grad:
            gk = (cols.T @ xd.reshape(-1, CI)).reshape(k.shape)
        return gx, gk

    y = np.ascontiguousarray(full[window])
    return Tensor(_from_nhwc(y, data_format, rank), (x, k), vjp, "conv_transpose")
