"""Keras's convolution and pooling ops: `conv`, `conv_transpose` and the pools for 1-D, 2-D and
3-D inputs (3-D runs as 2-D ops over depth offsets, layer_ops/conv3d.py), depthwise and separable
convolutions (grouped `conv`), and adaptive pooling to a fixed output size (PyTorch's bins)."""

import math

import numpy as np

from numkeras.backend.config import image_data_format
from numkeras.engine import math_ops as m
from numkeras.engine.shape_ops import concatenate, getitem, reshape
from numkeras.engine.tensor import as_tensor
from numkeras.ops.layer_ops import conv as planar
from numkeras.ops.layer_ops import conv3d
from numkeras.ops.layer_ops.transpose_conv import conv_transpose as planar_conv_transpose


def _ndim(x):
    return x.ndim if hasattr(x, "ndim") else np.ndim(x)


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """N-D convolution (1-D, 2-D or 3-D) with Keras's signature; kernel (..., in/groups, out)."""
    if getattr(kernel, "ndim", None) == 5:
        return conv3d.conv3d(inputs, kernel, strides, padding, data_format, dilation_rate)
    return planar.conv(inputs, kernel, strides, padding, data_format, dilation_rate)


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
    op = conv3d.conv3d_transpose if getattr(kernel, "ndim", None) == 5 else planar_conv_transpose
    return op(inputs, kernel, strides, padding, output_padding, data_format, dilation_rate)


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Max pooling over 1-D, 2-D or 3-D windows."""
    op = conv3d.max_pool3d if _ndim(inputs) == 5 else planar.max_pool
    return op(inputs, pool_size, strides, padding, data_format)


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Average pooling over 1-D, 2-D or 3-D windows."""
    op = conv3d.average_pool3d if _ndim(inputs) == 5 else planar.average_pool
    return op(inputs, pool_size, strides, padding, data_format)


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


__all__ = [
    "adaptive_average_pool",
    "adaptive_max_pool",
    "average_pool",
    "conv",
    "conv_transpose",
    "depthwise_conv",
    "max_pool",
    "separable_conv",
]
