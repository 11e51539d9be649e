"""3-D convolution, transposed convolution and pooling, built from the 2-D ops.

A 3-D window is a stack of 2-D windows, one per depth offset. For each depth offset the
input slices it meets (one per output depth) are folded into the batch and run through the
2-D op, and the results are summed (convolution), maxed (max pool) or averaged. Everything
is composed of differentiable ops (slicing, padding, reshaping, the 2-D convolution), so the
gradient is their VJPs chained; tests/ops/layer_ops/test_conv3d.py checks it in float64.
"""

import numpy as np

from numkeras.engine.math_ops import add, maximum, multiply
from numkeras.engine.shape_ops import pad, reshape, stack, transpose
from numkeras.engine.tensor import as_tensor
from numkeras.kernels.conv import output_size
from numkeras.ops.layer_ops import conv as planar
from numkeras.ops.layer_ops import transpose_conv

_TO_LAST, _TO_FIRST = (0, 2, 3, 4, 1), (0, 4, 1, 2, 3)


def _channels_last(x, data_format):
    return transpose(x, _TO_LAST) if data_format == "channels_first" else x


def _restore(y, data_format):
    return transpose(y, _TO_FIRST) if data_format == "channels_first" else y


def _depth_pad(x, before, after, value=0.0):
    if before == after == 0:
        return x
    return pad(x, ((0, 0), (before, after), (0, 0), (0, 0), (0, 0)), constant_values=value)


def _depth_slices(x, taps, out, stride, dilation):
    """For each depth tap i, the (N*out, H, W, C) inputs it meets at every output depth."""
    N, _, H, W, C = x.shape
    return [
        reshape(
            x[:, i * dilation : i * dilation + stride * (out - 1) + 1 : stride], (N * out, H, W, C)
        )
        for i in range(taps)
    ]


def _check(name, x, rank_name="input"):
    if x.ndim != 5:
        raise ValueError(f"Op `{name}`: expected a 5-D {rank_name}, got shape {x.shape}.")


def conv3d(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """3-D convolution; kernel `(kd, kh, kw, in/groups, out)`, Keras's padding rules."""
    x, k = as_tensor(inputs), as_tensor(kernel)
    _check("conv", x)
    data_format, padding = data_format or "channels_last", str(padding).lower()
    strides = planar._tuple(strides, 3, "strides")
    dilation = planar._tuple(dilation_rate, 3, "dilation_rate")
    x = _channels_last(x, data_format)
    N, D = x.shape[:2]
    out, (before, after) = output_size(D, k.shape[0], strides[0], padding, dilation[0])
    if out < 1:
        raise ValueError(
            f"Op `conv`: the kernel {k.shape[:3]} (dilation {dilation}) is larger than the "
            f"input {inputs.shape} with padding='valid'."
        )
    x = _depth_pad(x, before, after)
    y = None
    for i, xs in enumerate(_depth_slices(x, k.shape[0], out, strides[0], dilation[0])):
        part = planar.conv(xs, k[i], strides[1:], padding, "channels_last", dilation[1:])
        y = part if y is None else add(y, part)
    return _restore(reshape(y, (N, out) + y.shape[1:]), data_format)


def conv3d_transpose(
    inputs,
    kernel,
    strides=1,
    padding="valid",
    output_padding=None,
    data_format=None,
    dilation_rate=1,
):
    """3-D transposed convolution; kernel `(kd, kh, kw, out, in)` as in Keras.

    Each depth tap's 2-D transposed convolution lands at output depths `i * stride + tap *
    dilation` (spread by interleaving zeros, then shifted by padding); the sum is cropped to
    Keras's output length.
    """
    x, k = as_tensor(inputs), as_tensor(kernel)
    _check("conv_transpose", x)
    data_format, padding = data_format or "channels_last", str(padding).lower()
    strides = planar._tuple(strides, 3, "strides")
    dilation = planar._tuple(dilation_rate, 3, "dilation_rate")
    extra = transpose_conv._output_padding(output_padding, 3)
    x = _channels_last(x, data_format)
    N, D, H, W, CI = x.shape
    taps, stride, dil = k.shape[0], strides[0], dilation[0]
    buffer, crop, out = transpose_conv._geometry(D, taps, stride, dil, padding, extra[0])
    length = max(buffer, D * stride + (taps - 1) * dil)
    flat = reshape(x, (N * D, H, W, CI))
    total = None
    for i in range(taps):
        y = transpose_conv.conv_transpose(
            flat,
            k[i],
            strides[1:],
            padding,
            None if output_padding is None else extra[1:],
            "channels_last",
            dilation[1:],
        )
        y = reshape(y, (N, D) + y.shape[1:])
        if stride > 1:  # depth i -> i * stride: interleave stride - 1 zero slices
            zeros = y * 0.0
            y = reshape(stack([y] + [zeros] * (stride - 1), axis=2), (N, D * stride) + y.shape[2:])
        y = _depth_pad(y, i * dil, length - D * stride - i * dil)
        total = y if total is None else add(total, y)
    return _restore(total[:, crop : crop + out], data_format)


def _pool3d(name, pool_2d, combine, inputs, pool_size, strides, padding, data_format, fill):
    x = as_tensor(inputs)
    _check(name, x)
    data_format, padding = data_format or "channels_last", str(padding).lower()
    pool = planar._tuple(pool_size, 3, "pool_size")
    strides = pool if strides is None else planar._tuple(strides, 3, "strides")
    x = _channels_last(x, data_format)
    N, D = x.shape[:2]
    out, (before, after) = output_size(D, pool[0], strides[0], padding)
    if out < 1:
        raise ValueError(
            f"Op `{name}`: pool_size {pool} is larger than the input {inputs.shape} "
            "with padding='valid'."
        )
    x = _depth_pad(x, before, after, fill)
    parts = [
        pool_2d(xs, pool[1:], strides[1:], padding, "channels_last")
        for xs in _depth_slices(x, pool[0], out, strides[0], 1)
    ]
    y = combine(parts, D, out, pool[0], strides[0], before)
    return _restore(reshape(y, (N, out) + y.shape[1:]), data_format)


def _max(parts, *_):
    y = parts[0]
    for part in parts[1:]:
        y = maximum(y, part)
    return y


def _mean(parts, D, out, taps, stride, before):
    """Mean over the depth taps that fall inside the input (padding is not counted)."""
    y = parts[0]
    for part in parts[1:]:
        y = add(y, part)
    starts = np.arange(out) * stride - before
    count = sum(((starts + i >= 0) & (starts + i < D)) for i in range(taps))
    scale = np.tile(1.0 / count, y.shape[0] // out).astype(y.dtype)  # rows are (n, depth)
    return multiply(y, scale.reshape(-1, 1, 1, 1))


def max_pool3d(inputs, pool_size, strides=None, padding="valid", data_format=None):
    return _pool3d(
        "max_pool",
        planar.max_pool,
        _max,
        inputs,
        pool_size,
        strides,
        padding,
        data_format,
        -np.inf,
    )


def average_pool3d(inputs, pool_size, strides=None, padding="valid", data_format=None):
    return _pool3d(
        "average_pool",
        planar.average_pool,
        _mean,
        inputs,
        pool_size,
        strides,
        padding,
        data_format,
        0.0,
    )
