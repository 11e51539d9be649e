"""relu(conv(x, kernel) + bias) as one op, channels last: a Conv1D or Conv2D layer's
`activation="relu"` with a bias.

The bias and relu run on each block of the convolution's output right after its GEMM, on
the kernel threads (kernels/conv.py's `epilogue`), and the VJP masks the gradient and sums the
bias gradient a few images a task there too, the parts added in order, so values do not
depend on the thread count. The separate bias + relu op ran these passes on one core
(Conv1D(64, 7) of (64, 500, 3), one thread: forward and VJP 1 and 2 ms of 3 and 4.5; the same
CPU time fused). The forward values are the separate ops' bit for bit.
"""

from functools import partial

import numpy as np

from numkeras.engine.tensor import Tensor, as_tensor
from numkeras.kernels import conv as kernels
from numkeras.kernels import narrow_conv, threads
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
        backward = narrow_conv.backward
    else:
        y, cache = kernels.conv2d_forward(xd, kd, strides, padding, dilation, groups, epilogue)
        backward = kernels.conv2d_backward

    def vjp(g):
        gm, gb = _masked(_to_nhwc(np.asarray(g, dtype), "channels_last", rank), y)
        gx, gk = backward(gm, cache, x.requires_grad, k.requires_grad)
        return (
            None if gx is None else _from_nhwc(gx, "channels_last", rank),
            None if gk is None else gk.reshape(k.shape),
            gb.astype(b.dtype, copy=False),
        )

    return Tensor(_from_nhwc(y, "channels_last", rank), (x, k, b), vjp, "conv_bias_relu")


def _masked(g, y):
    """(g where y > 0 else 0, its sum over every axis but the last), about BLOCK_BYTES of
    images a task on the kernel threads, the tasks' sums added in order."""
    gm = np.empty(y.shape, y.dtype)
    rows, grows = gm.reshape(len(gm), -1, gm.shape[-1]), g.reshape(len(g), -1, g.shape[-1])
    yrows = y.reshape(rows.shape)
    size = max(1, kernels.BLOCK_BYTES // max(1, rows[0].nbytes))
    pieces = threads.even_slices(len(rows), size)
    sums = np.empty((len(pieces), rows.shape[2]), y.dtype)
    ones = np.ones(size * rows.shape[1], y.dtype)

    def task(i):
        part = np.multiply(grows[pieces[i]], yrows[pieces[i]] > 0, out=rows[pieces[i]])
        part = part.reshape(-1, rows.shape[2])
        np.matmul(ones[: len(part)], part, out=sums[i])

    threads.run([partial(task, i) for i in range(len(pieces))])
    return gm, np.add.reduce(sums, axis=0)
