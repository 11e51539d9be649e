"""BaseConv: the shared N-D convolution layer; Conv1D, Conv2D and Conv3D only fix the rank."""

from numkeras import activations, ops
from numkeras.layers import args
from numkeras.layers.kernel_bias import add_kernel_bias, kernel_bias_config, set_kernel_bias_args
from numkeras.layers.layer import InputSpec, Layer, shape_str
from numkeras.ops.layer_ops import bias_relu, conv_bias_relu, output_size


class BaseConv(Layer):
    """`activation(conv(inputs, kernel) + bias)`; kernel (*kernel_size, in/groups, filters)."""

    def __init__(
        self,
        rank,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        groups=1,
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
        self.groups = args.positive_int(self, "groups", groups)
        if self.filters % self.groups:
            raise ValueError(
                f"{type(self).__name__}: `filters` ({filters}) must be divisible by `groups` "
                f"({groups})."
            )
        self.kernel_size = args.int_tuple(self, "kernel_size", kernel_size, rank)
        self.strides = args.int_tuple(self, "strides", strides, rank)
        self.dilation_rate = args.int_tuple(self, "dilation_rate", dilation_rate, rank)
        self.padding = args.choice(self, "padding", padding, ("valid", "same"))
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
        if channels is None or channels % self.groups:
            raise ValueError(
                f'Layer "{self.name}": the input channel count ({channels}) must be known and '
                f"divisible by groups={self.groups}; input shape {shape_str(input_shape)}."
            )
        self._check_spatial(input_shape)
        add_kernel_bias(
            self, self.kernel_size + (channels // self.groups, self.filters), self.filters
        )
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis(): channels})

    def _spatial(self, input_shape):
        return input_shape[1:-1] if self.data_format == "channels_last" else input_shape[2:]

    def _check_spatial(self, input_shape):
        if self.padding != "valid":
            return
        for n, k, d in zip(self._spatial(input_shape), self.kernel_size, self.dilation_rate):
            if n is not None and (k - 1) * d + 1 > n:
                raise ValueError(
                    f'Layer "{self.name}": the kernel {shape_str(self.kernel_size)} (dilation '
                    f"{shape_str(self.dilation_rate)}) is larger than the input "
                    f"{shape_str(input_shape)} with padding='valid'. Use padding='same' or a "
                    "smaller kernel_size."
                )

    def call(self, inputs):
        self._check_spatial(inputs.shape)
        fused = (
            self.bias is not None
            and self.activation is activations.relu
            and self.data_format == "channels_last"
        )
        if fused and self.rank < 3:  # bias and relu on each block of the conv while in cache
            return conv_bias_relu(
                inputs, self.kernel, self.bias, self.strides, self.padding, self.dilation_rate
            )
        outputs = ops.conv(
            inputs, self.kernel, self.strides, self.padding, self.data_format, self.dilation_rate
        )
        if fused:
            # in place on the conv's fresh output, which nothing else holds
            return bias_relu(outputs, self.bias, overwrite_x=True)
        if self.bias is not None:
            bias = (
                self.bias
                if self.data_format == "channels_last"
                else ops.reshape(self.bias, (self.filters,) + (1,) * self.rank)
            )
            outputs = outputs + bias
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        self._check_spatial(input_shape)
        spatial = tuple(
            None if n is None else output_size(n, k, s, self.padding, d)[0]
            for n, k, s, d in zip(
                self._spatial(input_shape), self.kernel_size, self.strides, self.dilation_rate
            )
        )
        if self.data_format == "channels_last":
            return (input_shape[0],) + spatial + (self.filters,)
        return (input_shape[0], self.filters) + spatial

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": list(self.dilation_rate),
            "groups": self.groups,
            **kernel_bias_config(self),
        }


class Conv1D(BaseConv):
    """1-D convolution over (batch, steps, channels)."""

    def __init__(self, filters, kernel_size, **kwargs):
        super().__init__(1, filters, kernel_size, **kwargs)


class Conv2D(BaseConv):
    """2-D convolution over (batch, height, width, channels); kernel (kh, kw, in, filters).

    >>> import numpy as np
    >>> Conv2D(32, 3, activation="relu")(np.zeros((1, 28, 28, 1), "float32")).shape
    (1, 26, 26, 32)
    """

    def __init__(self, filters, kernel_size, **kwargs):
        super().__init__(2, filters, kernel_size, **kwargs)


class Conv3D(BaseConv):
    """3-D convolution over (batch, depth, height, width, channels); kernel (kd, kh, kw, in,
    filters).

    >>> import numpy as np
    >>> Conv3D(4, 3, padding="same")(np.zeros((1, 5, 6, 7, 2), "float32")).shape
    (1, 5, 6, 7, 4)
    """

    def __init__(self, filters, kernel_size, **kwargs):
        super().__init__(3, filters, kernel_size, **kwargs)


Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D
