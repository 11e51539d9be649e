"""Activation: apply an activation function as its own layer."""

from numkeras import activations
from numkeras.layers.layer import Layer


class Activation(Layer):
    """Applies `activation` (a name such as 'relu', or a callable) elementwise."""

    supports_masking = True  # the input's mask passes to the output, as in Keras

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}
