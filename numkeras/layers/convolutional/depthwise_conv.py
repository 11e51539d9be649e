"""Depthwise convolution: each input channel convolved with its own `depth_multiplier` filters."""

from numkeras import activations, constraints, initializers, ops, regularizers
from numkeras.layers import args
from numkeras.layers.layer import InputSpec, Layer, shape_str
from numkeras.ops.layer_ops import output_size


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """Keras's `ops.depthwise_conv`: kernel (*kernel_size, in, multiplier), output channel
    `c * multiplier + m`. It is a grouped convolution with one group per input channel."""
    shape = tuple(kernel.shape)
    flat = ops.reshape(kernel, shape[:-2] + (1, shape[-2] * shape[-1]))
    return ops.conv(inputs, flat, strides, padding, data_format, dilation_rate)


def conv_output_shape(layer, input_shape, channels):
    """The output shape of `layer`'s convolution, checking that 'valid' windows fit."""
    first = layer.data_format == "channels_first"
    spatial = input_shape[2:] if first else input_shape[1:-1]
    sizes = []
    for n, k, s, d in zip(spatial, layer.kernel_size, layer.strides, layer.dilation_rate):
        size = None if n is None else output_size(n, k, s, layer.padding, d)[0]
        if size is not None and size < 1:
            raise ValueError(
                f'Layer "{layer.name}": the kernel {shape_str(layer.kernel_size)} (dilation '
                f"{shape_str(layer.dilation_rate)}) is larger than the input "
                f"{shape_str(input_shape)} with padding='valid'."
            )
        sizes.append(size)
    if first:
        return (input_shape[0], channels) + tuple(sizes)
    return (input_shape[0],) + tuple(sizes) + (channels,)


class BaseDepthwiseConv(Layer):
    """`activation(depthwise_conv(inputs, kernel) + bias)`; kernel (*kernel_size, in, mult).

    Args:
        rank: 1 or 2, the number of spatial axes.
        depth_multiplier: the filters per input channel; the output has `in * mult` channels.
        kernel_size, strides, dilation_rate: an int or a tuple of `rank` ints.
        padding: "valid" or "same"; data_format: "channels_last" or "channels_first".
        activation, use_bias: as in Conv2D.
        depthwise_initializer, depthwise_regularizer, depthwise_constraint: for the kernel.
        bias_initializer, bias_regularizer, bias_constraint: for the bias.
    """

    def __init__(
        self,
        rank,
        depth_multiplier,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        activation=None,
        use_bias=True,
        depthwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.rank = rank
        self.depth_multiplier = args.positive_int(self, "depth_multiplier", depth_multiplier)
        self.kernel_size = args.int_tuple(self, "kernel_size", kernel_size, rank)
        self.strides = args.int_tuple(self, "strides", strides, rank)
        self.dilation_rate = args.int_tuple(self, "dilation_rate", dilation_rate, rank)
        self.padding = args.choice(self, "padding", padding, ("valid", "same"))
        self.data_format = args.data_format(self, data_format)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(ndim=rank + 2)

    def build(self, input_shape):
        axis = -1 if self.data_format == "channels_last" else 1
        channels = input_shape[axis]
        conv_output_shape(self, input_shape, channels)
        self.kernel = self.add_weight(
            shape=self.kernel_size + (channels, self.depth_multiplier),
            name="kernel",
            initializer=self.depthwise_initializer,
            regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(channels * self.depth_multiplier,),
                name="bias",
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={axis: channels})

    def call(self, inputs):
        outputs = depthwise_conv(
            inputs, self.kernel, self.strides, self.padding, self.data_format, self.dilation_rate
        )
        if self.bias is not None:
            bias = (
                self.bias
                if self.data_format == "channels_last"
                else ops.reshape(self.bias, (-1,) + (1,) * self.rank)
            )
            outputs = outputs + bias
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        channels = input_shape[-1 if self.data_format == "channels_last" else 1]
        return conv_output_shape(self, input_shape, channels * self.depth_multiplier)

    def get_config(self):
        return {
            **super().get_config(),
            "depth_multiplier": self.depth_multiplier,
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": list(self.dilation_rate),
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }


class DepthwiseConv1D(BaseDepthwiseConv):
    """Depthwise 1-D convolution over (batch, steps, channels); kernel (k, in, multiplier)."""

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1, **kwargs):
        super().__init__(1, depth_multiplier, kernel_size, strides, padding, **kwargs)


class DepthwiseConv2D(BaseDepthwiseConv):
    """Depthwise 2-D convolution; kernel (kh, kw, in, depth_multiplier).

    >>> import numpy as np
    >>> DepthwiseConv2D(3, depth_multiplier=2)(np.zeros((1, 8, 8, 3), "float32")).shape
    (1, 6, 6, 6)
    """

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1, **kwargs):
        super().__init__(2, depth_multiplier, kernel_size, strides, padding, **kwargs)
