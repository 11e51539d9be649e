"""conv_transpose: Keras's transposed convolution (1-D or 2-D), with its VJP beside it.

A transposed convolution is a convolution's input gradient: its input plays the part of the
convolution's output gradient. Its "full" output has length `(n - 1) * stride + (k - 1) *
dilation + 1` per axis, which Keras's `padding` and `output_padding` then crop, or extend with
zeros on the right. The forward pass computes the cropped output directly, each class of
outputs congruent modulo the stride as a stride-1 convolution of the input with the kernel
taps that reach it (`_phases`). The backward pass is a strided convolution of the output
gradient (zero-extended to the full output) for the input, and its kernel gradient against
the input for the kernel, both blocked kernels. The kernel is `(*kernel_size, filters,
in_channels)`, as in Keras.
"""

import itertools

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
    window = (slice(None), slice(ch, ch + oh), slice(cw, cw + ow))
    y = _forward(xd, kd, strides, dilation, (ch, cw), (oh, ow), (bh, bw))

    def vjp(g):
        g_full = np.zeros((N, bh, bw, CO), dtype)
        g_full[window] = _to_nhwc(g, data_format, rank)
        gx, gk, x_shape = None, None, (N, H, W, CI)
        if x.requires_grad and k.requires_grad:  # both from one patch matrix per block
            gx, gk = kernels.conv_and_kernel_gradient(
                g_full, kd, xd, strides, dilation, np.empty(x_shape, dtype)
            )
        elif x.requires_grad:  # a strided convolution of the output gradient
            gx = kernels.conv_blocks(g_full, kd, strides, dilation, np.empty(x_shape, dtype))
        elif k.requires_grad:
            gk = kernels.kernel_gradient(g_full, xd, kd.shape, strides, dilation)
        return (
            None if gx is None else _from_nhwc(gx, data_format, rank),
            None if gk is None else gk.reshape(k.shape),
        )

    return Tensor(_from_nhwc(y, data_format, rank), (x, k), vjp, "conv_transpose")


def _phases(n, k, stride, dilation, crop, out):
    """Along one axis, each output residue r (outputs r, r + stride, ...) as (r, count, taps,
    offset, step): those outputs are a stride-1 convolution, with dilation `step`, of the
    input shifted by `offset`, by the kernel taps `taps` (in convolution order). With stride 1
    that is every tap; with stride s (dilation 1) the taps congruent to the residue's position
    in the full output, modulo s."""
    phases = []
    for r in range(min(stride, out)):
        count, first = -(-(out - r) // stride), r + crop  # `first`: index in the full output
        if stride == 1:
            taps, base, step = list(range(k)), first, dilation
        else:
            taps, base, step = list(range(first % stride, k, stride)), first // stride, 1
        phases.append((r, count, taps[::-1], base - (len(taps) - 1) * step, step))
    return phases


def _shifted(x, offsets, lengths):
    """x[:, i + offsets[0], j + offsets[1]] for i, j below `lengths`, zero outside x: a view
    where it lies inside x, else a zero-padded copy."""
    (oh, ow), (lh, lw), (H, W) = offsets, lengths, x.shape[1:3]
    if oh >= 0 and ow >= 0 and oh + lh <= H and ow + lw <= W:
        return x[:, oh : oh + lh, ow : ow + lw]
    out = np.zeros((x.shape[0], lh, lw, x.shape[3]), x.dtype)
    rows = slice(max(oh, 0), min(oh + lh, H))
    cols = slice(max(ow, 0), min(ow + lw, W))
    if rows.start < rows.stop and cols.start < cols.stop:
        out[:, rows.start - oh : rows.stop - oh, cols.start - ow : cols.stop - ow] = x[
            :, rows, cols
        ]
    return out


def _forward(x, kernel, strides, dilation, crops, out_shape, full_shape):
    """The cropped output of the transposed convolution, one output residue class per axis
    at a time (`_phases`): each is an ordinary blocked convolution of the input with the kernel
    taps that reach it, so the work is that of the taps, with no zeros inserted and no
    scattered adds. Dilation with a stride above 1 runs `kernels.col2im` into the full output
    (`full_shape`, which the crop window lies in)."""
    N, H, W, CI = x.shape
    KH, KW, CO = kernel.shape[:3]
    (oh, ow), (ch, cw) = out_shape, crops
    if any(s > 1 and d > 1 for s, d in zip(strides, dilation)):
        full = np.zeros((N,) + full_shape + (CO,), x.dtype)
        kernels.col2im(full, x.reshape(-1, CI), kernel, H, W, strides, dilation)
        return np.ascontiguousarray(full[:, ch : ch + oh, cw : cw + ow])
    y = np.empty((N, oh, ow, CO), x.dtype)
    conv_kernel = kernel.transpose(0, 1, 3, 2)  # (KH, KW, CI, CO): contract the input channels
    rows = _phases(H, KH, strides[0], dilation[0], ch, oh)
    cols = _phases(W, KW, strides[1], dilation[1], cw, ow)
    for (rh, nh, taps_h, off_h, step_h), (rw, nw, taps_w, off_w, step_w) in itertools.product(
        rows, cols
    ):
        target = y[:, rh :: strides[0], rw :: strides[1]]
        if not taps_h or not taps_w:  # no kernel tap reaches these outputs
            target[...] = 0
            continue
        lengths = (nh + (len(taps_h) - 1) * step_h, nw + (len(taps_w) - 1) * step_w)
        part = kernels.conv_blocks(
            _shifted(x, (off_h, off_w), lengths),
            np.ascontiguousarray(conv_kernel[np.ix_(taps_h, taps_w)]),
            (1, 1),
            (step_h, step_w),
            target if strides == (1, 1) else np.empty((N, nh, nw, CO), x.dtype),
        )
        if strides != (1, 1):
            target[...] = part
    return y
