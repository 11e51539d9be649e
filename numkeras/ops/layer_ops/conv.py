"""Convolution and pooling ops (1-D and 2-D, either data format) on the NHWC kernels; 3-D
runs through conv3d.py, chosen by `ops.conv` and the pools in ops/convolution.py."""

from numkeras.engine.math_ops import operands
from numkeras.engine.tensor import Tensor, as_tensor
from numkeras.kernels import conv as kernels
from numkeras.kernels import narrow_conv
from numkeras.kernels import pool as pool_kernels


def _tuple(value, n, name):
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * n
    if len(values) != n or any(int(v) != v or v < 1 for v in values):
        raise ValueError(f"`{name}` must be {n} positive integers, got {value!r}.")
    return tuple(int(v) for v in values)


def _to_nhwc(x, data_format, rank):
    """View 1-D inputs as 2-D with height 1 and move channels last, returning an undo."""
    if data_format == "channels_first":
        x = x.transpose((0,) + tuple(range(2, x.ndim)) + (1,))
    if rank == 1:
        x = x[:, None]
    return x


def _from_nhwc(y, data_format, rank):
    if rank == 1:
        y = y[:, 0]
    if data_format == "channels_first":
        y = y.transpose((0, y.ndim - 1) + tuple(range(1, y.ndim - 1)))
    return y


def conv_args(inputs, kernel, strides, padding, data_format, dilation_rate):
    """Checked arguments of `conv`: tensors, rank, NHWC input array and kernel, and settings."""
    x, k = operands("conv", inputs, kernel)  # a bare NumPy kernel takes the input's dtype
    rank = k.ndim - 2
    if rank not in (1, 2) or x.ndim != rank + 2:
        raise ValueError(
            f"Op `conv`: expected a {rank + 2}-D input for a {k.ndim}-D kernel, got input "
            f"shape {x.shape} and kernel shape {k.shape}."
        )
    data_format = data_format or "channels_last"
    channels = x.shape[-1] if data_format == "channels_last" else x.shape[1]
    if channels % k.shape[-2]:
        raise ValueError(
            f"Op `conv`: input channels ({channels}) must be a multiple of the kernel's input "
            f"channels ({k.shape[-2]}); input shape {x.shape}, kernel shape {k.shape}."
        )
    groups = channels // k.shape[-2]
    if k.shape[-1] % groups:
        raise ValueError(
            f"Op `conv`: the kernel's output channels ({k.shape[-1]}) must be a multiple of "
            f"the groups ({groups} = {channels} input channels / {k.shape[-2]}); kernel shape "
            f"{k.shape}."
        )
    lead = (1,) if rank == 1 else ()  # 1-D runs as 2-D with height 1
    strides = lead + _tuple(strides, rank, "strides")
    dilation = lead + _tuple(dilation_rate, rank, "dilation_rate")
    padding = padding.lower()
    xd = _to_nhwc(x.data, data_format, rank)
    kd = k.data[None] if rank == 1 else k.data
    span = [(n - 1) * d + 1 for n, d in zip(kd.shape[:2], dilation)]
    if padding == "valid" and (span[0] > xd.shape[1] or span[1] > xd.shape[2]):
        raise ValueError(
            f"Op `conv`: the kernel (span {tuple(span[2 - rank :])}) is larger than the input "
            f"{x.shape} with padding='valid'."
        )
    return x, k, rank, xd, kd, data_format, strides, padding, dilation, groups


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """1-D or 2-D convolution with Keras's signature; kernel (..., in/groups, out)."""
    x, k, rank, xd, kd, data_format, strides, padding, dilation, groups = conv_args(
        inputs, kernel, strides, padding, data_format, dilation_rate
    )
    if narrow_conv.applies(kd.shape, groups):  # one output channel
        y, cache = narrow_conv.forward(xd, kd, strides, padding, dilation)
        backward = narrow_conv.backward
    else:
        y, cache = kernels.conv2d_forward(xd, kd, strides, padding, dilation, groups)
        backward = kernels.conv2d_backward

    def vjp(g):
        gx, gk = backward(_to_nhwc(g, data_format, rank), cache, x.requires_grad, k.requires_grad)
        return (
            None if gx is None else _from_nhwc(gx, data_format, rank),
            None if gk is None else gk.reshape(k.shape),
        )

    return Tensor(_from_nhwc(y, data_format, rank), (x, k), vjp, "conv")


def _pool(name, forward, backward, inputs, pool_size, strides, padding, data_format):
    x = as_tensor(inputs)
    rank = x.ndim - 2
    if rank not in (1, 2):
        raise ValueError(f"Op `{name}`: expected a 3-D, 4-D or 5-D input, got shape {x.shape}.")
    pool = _tuple(pool_size, rank, "pool_size")
    strides = pool if strides is None else _tuple(strides, rank, "strides")
    pool, strides = ((1,) + pool, (1,) + strides) if rank == 1 else (pool, strides)
    data_format, padding = data_format or "channels_last", padding.lower()
    xd = _to_nhwc(x.data, data_format, rank)
    if padding == "valid" and (pool[0] > xd.shape[1] or pool[1] > xd.shape[2]):
        raise ValueError(
            f"Op `{name}`: pool_size {pool[2 - rank :]} is larger than the input {x.shape} "
            "with padding='valid'."
        )
    y, cache = forward(xd, pool, strides, padding)

    def vjp(g):
        return (_from_nhwc(backward(_to_nhwc(g, data_format, rank), cache), data_format, rank),)

    return Tensor(_from_nhwc(y, data_format, rank), (x,), vjp, name)


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Window maxima (first maximum gets the gradient)."""
    return _pool(
        "max_pool",
        pool_kernels.max_pool_forward,
        pool_kernels.max_pool_backward,
        inputs,
        pool_size,
        strides,
        padding,
        data_format,
    )


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    return _pool(
        "average_pool",
        pool_kernels.average_pool_forward,
        pool_kernels.average_pool_backward,
        inputs,
        pool_size,
        strides,
        padding,
        data_format,
    )
