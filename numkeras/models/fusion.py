"""The fusion pass: where a model's layer sequence is known, pairs of layers run as one fused op.

`run_stack` runs a Sequential model's layers in order; where a rule matches a layer and the
next one (by their types and settings) and the input is one the pair would take as is (built
layers, a tensor of the layers' dtype, no mask), it runs the rule's fused op
(ops/layer_ops/fused.py) instead of the two calls. The fused op is an ordinary recorded op
computed when it runs, so every output is a plain tensor; anything a rule does not cover runs
layer by layer.
"""

from numkeras import activations
from numkeras.engine.tensor import Tensor
from numkeras.kernels import narrow_conv
from numkeras.ops.layer_ops import conv_relu_pool, pool_tiles


class ConvReluMaxPool:
    """Conv2D(activation="relu", channels_last) then MaxPooling2D whose windows tile its output."""

    def matches(self, conv, pool):
        from numkeras.layers.convolutional.base_conv import BaseConv
        from numkeras.layers.pooling.base_pooling import BasePooling

        return (
            isinstance(conv, BaseConv)
            and type(conv).__name__ == "Conv2D"
            and conv.activation is activations.relu
            and conv.groups == 1
            and conv.data_format == "channels_last"
            and getattr(conv, "activity_regularizer", None) is None
            and isinstance(pool, BasePooling)
            and type(pool).__name__ == "MaxPooling2D"
            and pool.data_format == "channels_last"
        )

    def applies(self, conv, pool, x):
        if len(x.shape) != 4 or x.shape[-1] != conv.kernel.shape[-2]:
            return False
        if narrow_conv.applies(conv.kernel.shape, conv.groups):  # ops.conv's own kernels
            return False
        shape = conv.compute_output_shape(tuple(x.shape))
        return all(shape[1:3]) and pool_tiles(shape, pool.pool_size, pool.strides, pool.padding)

    def run(self, conv, pool, x):
        conv._check_spatial(x.shape)
        return conv_relu_pool(
            x,
            conv.kernel,
            conv.bias,
            conv.strides,
            conv.padding,
            conv.dilation_rate,
            pool.pool_size,
        )


RULES = (ConvReluMaxPool(),)


def _plain(layer, x):
    """Whether `x` reaches `layer` as its `__call__` would pass it on unchanged."""
    return (
        layer.built
        and isinstance(x, Tensor)
        and x.dtype == layer.dtype
        and getattr(x, "_keras_mask", None) is None
    )


def run_stack(layers, x, training=None):
    """Call `layers` in sequence on `x`, fused pairs as one op."""
    i, n = 0, len(layers)
    while i < n:
        layer = layers[i]
        if i + 1 < n and _plain(layer, x) and layers[i + 1].built:
            rule = next((r for r in RULES if r.matches(layer, layers[i + 1])), None)
            if rule is not None and rule.applies(layer, layers[i + 1], x):
                x = rule.run(layer, layers[i + 1], x)
                i += 2
                continue
        x = layer(x, training=training)
        i += 1
    return x
