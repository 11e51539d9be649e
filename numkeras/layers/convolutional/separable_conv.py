"""Separable convolution: a depthwise convolution, then a 1x1 (pointwise) convolution."""

from numkeras import activations, constraints, initializers, ops, regularizers
from numkeras.layers import args
from numkeras.layers.convolutional.depthwise_conv import conv_output_shape, depthwise_conv
from numkeras.layers.layer import InputSpec, Layer


class BaseSeparableConv(Layer):
    """`activation(pointwise(depthwise(inputs)) + bias)`, as Keras's SeparableConv layers.

    Weights, in Keras's order: depthwise_kernel (*kernel_size, in, depth_multiplier),
    pointwise_kernel (1, ..., in * depth_multiplier, filters), bias (filters,).

    Args:
        rank: 1 or 2, the number of spatial axes.
        filters: the number of output channels.
        kernel_size, strides, dilation_rate: an int or a tuple of `rank` ints (depthwise step).
        padding: "valid" or "same"; data_format: "channels_last" or "channels_first".
        depth_multiplier: depthwise filters per input channel.
        activation, use_bias: as in Conv2D.
        {depthwise,pointwise,bias}_{initializer,regularizer,constraint}: per weight.
    """

    def __init__(
        self,
        rank,
        depth_multiplier,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        activation=None,
        use_bias=True,
        depthwise_initializer="glorot_uniform",
        pointwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        pointwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        pointwise_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.rank = rank
        self.depth_multiplier = args.positive_int(self, "depth_multiplier", depth_multiplier)
        self.filters = args.positive_int(self, "filters", filters)
        self.kernel_size = args.int_tuple(self, "kernel_size", kernel_size, rank)
        self.strides = args.int_tuple(self, "strides", strides, rank)
        self.dilation_rate = args.int_tuple(self, "dilation_rate", dilation_rate, rank)
        self.padding = args.choice(self, "padding", padding, ("valid", "same"))
        self.data_format = args.data_format(self, data_format)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        for kind, init, reg, con in (
            ("depthwise", depthwise_initializer, depthwise_regularizer, depthwise_constraint),
            ("pointwise", pointwise_initializer, pointwise_regularizer, pointwise_constraint),
            ("bias", bias_initializer, bias_regularizer, bias_constraint),
        ):
            setattr(self, f"{kind}_initializer", initializers.get(init))
            setattr(self, f"{kind}_regularizer", regularizers.get(reg))
            setattr(self, f"{kind}_constraint", constraints.get(con))
        self.input_spec = InputSpec(ndim=rank + 2)

    def _weight(self, kind, shape, name):
        return self.add_weight(
            shape=shape,
            name=name,
            initializer=getattr(self, f"{kind}_initializer"),
            regularizer=getattr(self, f"{kind}_regularizer"),
            constraint=getattr(self, f"{kind}_constraint"),
        )

    def build(self, input_shape):
        axis = -1 if self.data_format == "channels_last" else 1
        channels = input_shape[axis]
        conv_output_shape(self, input_shape, self.filters)
        self.depthwise_kernel = self._weight(
            "depthwise", self.kernel_size + (channels, self.depth_multiplier), "depthwise_kernel"
        )
        self.pointwise_kernel = self._weight(
            "pointwise",
            (1,) * self.rank + (channels * self.depth_multiplier, self.filters),
            "pointwise_kernel",
        )
        self.bias = self._weight("bias", (self.filters,), "bias") if self.use_bias else None
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={axis: channels})

    def call(self, inputs):
        outputs = depthwise_conv(
            inputs,
            self.depthwise_kernel,
            self.strides,
            self.padding,
            self.data_format,
            self.dilation_rate,
        )
        outputs = ops.conv(outputs, self.pointwise_kernel, 1, "valid", self.data_format)
        if self.bias is not None:
            bias = (
                self.bias
                if self.data_format == "channels_last"
                else ops.reshape(self.bias, (self.filters,) + (1,) * self.rank)
            )
            outputs = outputs + bias
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        return conv_output_shape(self, input_shape, self.filters)

    def get_config(self):
        config = {
            **super().get_config(),
            "depth_multiplier": self.depth_multiplier,
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": list(self.dilation_rate),
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
        }
        for kind in ("depthwise", "pointwise", "bias"):
            config[f"{kind}_initializer"] = initializers.serialize(
                getattr(self, f"{kind}_initializer")
            )
        for kind in ("depthwise", "pointwise", "bias"):
            config[f"{kind}_regularizer"] = regularizers.serialize(
                getattr(self, f"{kind}_regularizer")
            )
        config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        for kind in ("depthwise", "pointwise", "bias"):
            config[f"{kind}_constraint"] = constraints.serialize(
                getattr(self, f"{kind}_constraint")
            )
        return config


class SeparableConv1D(BaseSeparableConv):
    """Separable 1-D convolution over (batch, steps, channels)."""

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        depth_multiplier=1,
        **kwargs,
    ):
        super().__init__(
            1,
            depth_multiplier,
            filters,
            kernel_size,
            strides,
            padding,
            data_format,
            dilation_rate,
            **kwargs,
        )


class SeparableConv2D(BaseSeparableConv):
    """Separable 2-D convolution: per-channel spatial filters, then a 1x1 mix of channels.

    >>> import numpy as np
    >>> SeparableConv2D(16, 3, padding="same")(np.zeros((1, 8, 8, 3), "float32")).shape
    (1, 8, 8, 16)
    """

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        depth_multiplier=1,
        **kwargs,
    ):
        super().__init__(
            2,
            depth_multiplier,
            filters,
            kernel_size,
            strides,
            padding,
            data_format,
            dilation_rate,
            **kwargs,
        )


SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D
