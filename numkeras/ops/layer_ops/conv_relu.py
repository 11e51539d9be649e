"""relu(conv(x, kernel) + bias) as one op, channels last: a Conv1D or Conv2D layer's
`activation="relu"` with a bias.

The bias and relu run on each block of the convolution's output right after its GEMM, on
the kernel threads (kernels/conv.py's `epilogue`). The VJP masks the gradient and sums the
bias gradient on the kernel threads too: inside the kernel gradient's block loop where the
input needs no gradient (a model's first conv; no pass writing the masked gradient), else a
few images a task; the parts are added in order, so values do not depend on the thread count.
The separate bias + relu op ran these passes on one core (Conv1D(64, 7) of (64, 500, 3), one
thread: 1 ms of the forward's 3, 2 of the VJP's 4.5). The forward values are the separate
ops' bit for bit.
"""

import numpy as np

from numkeras.engine.tensor import Tensor, as_tensor
from numkeras.kernels import conv as kernels
from numkeras.kernels import narrow_conv
from numkeras.ops.layer_ops.conv import _from_nhwc, _to_nhwc, conv_args


def conv_bias_relu(inputs, kernel, bias, strides=1, padding="valid", dilation_rate=1):
    """relu(conv(inputs, kernel) + bias) for channels-last 1-D or 2-D inputs, with Keras's
    conv arguments; `bias` has one value per output channel."""
    x, k, rank, xd, kd, _, strides, padding, dilation, groups = conv_args(
        inputs, kernel, strides, padding, "channels_last", dilation_rate
    )
    b = as_tensor(bias)
    CO = kd.shape[-1]
    if b.shape != (CO,):
        raise ValueError(
            f"Op `conv_bias_relu`: expected a bias of shape ({CO},) for kernel shape "
            f"{k.shape}, got {b.shape}."
        )
    dtype = np.result_type(xd.dtype, kd.dtype)
    epilogue = kernels.BiasRelu(b.data, CO, dtype)
    if narrow_conv.applies(kd.shape, groups):  # one output channel
        y, cache = narrow_conv.forward(xd, kd, strides, padding, dilation)
        kernels.in_image_runs(y, epilogue)

        def backward(g):
            gm, gb = kernels.relu_masked(g, y)
            return (*narrow_conv.backward(gm, cache, x.requires_grad, k.requires_grad), gb)
    else:
        y, cache = kernels.conv2d_forward(xd, kd, strides, padding, dilation, groups, epilogue)

        def backward(g):
            return kernels.conv2d_relu_backward(g, y, cache, x.requires_grad, k.requires_grad)

    def vjp(g):
        gx, gk, gb = backward(_to_nhwc(np.asarray(g, dtype), "channels_last", rank))
        return (
            None if gx is None else _from_nhwc(gx, "channels_last", rank),
            None if gk is None else gk.reshape(k.shape),
            gb.astype(b.dtype, copy=False),
        )

    return Tensor(_from_nhwc(y, "channels_last", rank), (x, k, b), vjp, "conv_bias_relu")
