"""Flatten: one vector per sample, in channels_last (H, W, C) order as Keras."""

import math

from numkeras import ops
from numkeras.layers import args
from numkeras.layers.layer import Layer


class Flatten(Layer):
    """Flattens every axis but the batch axis; channels_first inputs are moved to H, W, C."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = args.data_format(self, data_format)

    def call(self, inputs):
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = ops.moveaxis(inputs, 1, -1)
        return ops.reshape(inputs, (inputs.shape[0], -1))

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        return (input_shape[0], None if None in rest else math.prod(rest))

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}
