"""BaseConvTranspose: transposed ("de-") convolution; Conv1DTranspose and Conv2DTranspose."""

from numkeras import activations, ops
from numkeras.layers import args
from numkeras.layers.kernel_bias import add_kernel_bias, kernel_bias_config, set_kernel_bias_args
from numkeras.layers.layer import InputSpec, Layer, shape_str
from numkeras.ops.layer_ops import output_length
from numkeras.ops.layer_ops.transpose_conv import conv_transpose_bias_relu


class BaseConvTranspose(Layer):
    """`activation(conv_transpose(inputs, kernel) + bias)`; kernel (*kernel_size, filters, in).

    Args:
        rank: 1, 2 or 3, the number of spatial axes.
        filters: the number of output channels.
        kernel_size, strides, dilation_rate: an int or a tuple of `rank` ints.
        padding: "valid" (output `(n - 1) * stride + max(kernel, stride)`) or "same"
            (output `n * stride`).
        output_padding: None, or extra rows/columns on the output's right side, each smaller
            than its stride.
        data_format: "channels_last" (the default) or "channels_first".
        activation, use_bias, *_initializer, *_regularizer, *_constraint: as in Conv2D.
    """

    def __init__(
        self,
        rank,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        output_padding=None,
        data_format=None,
        dilation_rate=1,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.rank = rank
        self.filters = args.positive_int(self, "filters", filters)
        self.kernel_size = args.int_tuple(self, "kernel_size", kernel_size, rank)
        self.strides = args.int_tuple(self, "strides", strides, rank)
        self.dilation_rate = args.int_tuple(self, "dilation_rate", dilation_rate, rank)
        self.padding = args.choice(self, "padding", padding, ("valid", "same"))
        self.output_padding = (
            None
            if output_padding is None
            else args.int_tuple(self, "output_padding", output_padding, rank, allow_zero=True)
        )
        name = type(self).__name__
        if self.output_padding is not None and any(
            p >= s for p, s in zip(self.output_padding, self.strides)
        ):
            raise ValueError(
                f"{name}: `output_padding` must be smaller than `strides` on every axis, "
                f"received output_padding={output_padding!r} and strides={strides!r}."
            )
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{name}: `strides` > 1 is not supported together with `dilation_rate` > 1, "
                f"received strides={strides!r} and dilation_rate={dilation_rate!r}."
            )
        self.data_format = args.data_format(self, data_format)
        set_kernel_bias_args(
            self,
            activation,
            use_bias,
            kernel_initializer,
            bias_initializer,
            kernel_regularizer,
            bias_regularizer,
            kernel_constraint,
            bias_constraint,
        )
        self.input_spec = InputSpec(ndim=rank + 2)

    def _channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def build(self, input_shape):
        channels = input_shape[self._channel_axis()]
        if channels is None:
            raise ValueError(
                f'Layer "{self.name}": the input channel count must be known; '
                f"input shape {shape_str(input_shape)}."
            )
        add_kernel_bias(self, self.kernel_size + (self.filters, channels), self.filters)
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis(): channels})

    def call(self, inputs):
        if (
            self.rank < 3
            and self.bias is not None
            and self.activation is activations.relu
            and self.data_format == "channels_last"
        ):  # one op: bias and relu on each block of the output while it is in cache
            return conv_transpose_bias_relu(
                inputs,
                self.kernel,
                self.bias,
                self.strides,
                self.padding,
                self.output_padding,
                self.dilation_rate,
            )
        outputs = ops.conv_transpose(
            inputs,
            self.kernel,
            self.strides,
            self.padding,
            self.output_padding,
            self.data_format,
            self.dilation_rate,
        )
        if self.bias is not None:
            bias = (
                self.bias
                if self.data_format == "channels_last"
                else ops.reshape(self.bias, (self.filters,) + (1,) * self.rank)
            )
            outputs = outputs + bias
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        first = self.data_format == "channels_first"
        spatial = input_shape[2:] if first else input_shape[1:-1]
        extra = self.output_padding or (None,) * self.rank
        sizes = tuple(
            output_length(n, k, s, self.padding, p, d)
            for n, k, s, p, d in zip(
                spatial, self.kernel_size, self.strides, extra, self.dilation_rate
            )
        )
        if first:
            return (input_shape[0], self.filters) + sizes
        return (input_shape[0],) + sizes + (self.filters,)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "output_padding": None if self.output_padding is None else list(self.output_padding),
            "data_format": self.data_format,
            "dilation_rate": list(self.dilation_rate),
            **kernel_bias_config(self),
        }


class Conv1DTranspose(BaseConvTranspose):
    """Transposed 1-D convolution over (batch, steps, channels); kernel (k, filters, in)."""

    def __init__(self, filters, kernel_size, **kwargs):
        super().__init__(1, filters, kernel_size, **kwargs)


class Conv2DTranspose(BaseConvTranspose):
    """Transposed 2-D convolution (an upsampling conv); kernel (kh, kw, filters, in).

    >>> import numpy as np
    >>> Conv2DTranspose(8, 3, strides=2, padding="same")(np.zeros((1, 7, 7, 4), "float32")).shape
    (1, 14, 14, 8)
    """

    def __init__(self, filters, kernel_size, **kwargs):
        super().__init__(2, filters, kernel_size, **kwargs)


class Conv3DTranspose(BaseConvTranspose):
    """Transposed 3-D convolution over volumes; kernel (kd, kh, kw, filters, in)."""

    def __init__(self, filters, kernel_size, **kwargs):
        super().__init__(3, filters, kernel_size, **kwargs)


Convolution1DTranspose, Convolution2DTranspose = Conv1DTranspose, Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
