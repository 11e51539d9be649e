"""Convolution and pooling variants: depthwise and separable convolutions (grouped `conv`), and
adaptive pooling to a fixed output size (PyTorch's bins), built from differentiable ops."""

import math

from numkeras.backend.config import image_data_format
from numkeras.engine import math_ops as m
from numkeras.engine.conv_ops import conv
from numkeras.engine.shape_ops import concatenate, getitem, reshape
from numkeras.engine.tensor import as_tensor


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """Each input channel convolved with its own filters; kernel (*k, in, multiplier)."""
    kernel = as_tensor(kernel)
    shape = kernel.shape
    flat = reshape(kernel, shape[:-2] + (1, shape[-2] * shape[-1]))
    return conv(inputs, flat, strides, padding, data_format, dilation_rate)


def separable_conv(
    inputs,
    depthwise_kernel,
    pointwise_kernel,
    strides=1,
    padding="valid",
    data_format=None,
    dilation_rate=1,
):
    """A depthwise convolution followed by a 1x1 (pointwise) convolution."""
    depthwise = depthwise_conv(
        inputs, depthwise_kernel, strides, padding, data_format, dilation_rate
    )
    return conv(depthwise, pointwise_kernel, 1, "valid", data_format, 1)


def _adaptive(name, reduce, inputs, output_size, data_format):
    x = as_tensor(inputs)
    rank = x.ndim - 2
    if rank not in (1, 2, 3):
        raise ValueError(f"{name} supports only 1D/2D/3D")
    data_format = data_format or image_data_format()
    sizes = (output_size,) * rank if isinstance(output_size, int) else tuple(output_size)
    first = 2 if data_format == "channels_first" else 1
    for axis, out in zip(range(first, first + rank), sizes):
        length = x.shape[axis]
        bins = []
        for i in range(out):
            lo, hi = (i * length) // out, math.ceil((i + 1) * length / out)
            window = getitem(x, (slice(None),) * axis + (slice(lo, hi),))
            bins.append(reduce(window, axis=axis, keepdims=True))
        x = concatenate(bins, axis=axis)
    return x


def adaptive_average_pool(inputs, output_size, data_format=None):
    """Average over PyTorch's adaptive bins: bin i spans [floor(i L / n), ceil((i + 1) L / n))."""
    return _adaptive("adaptive_average_pool", m.mean, inputs, output_size, data_format)


def adaptive_max_pool(inputs, output_size, data_format=None):
    """Max over PyTorch's adaptive bins."""
    return _adaptive("adaptive_max_pool", m.max, inputs, output_size, data_format)


__all__ = ["adaptive_average_pool", "adaptive_max_pool", "depthwise_conv", "separable_conv"]
