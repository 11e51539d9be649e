"""Identity: returns its inputs unchanged (a placeholder layer)."""

from numkeras.layers.layer import Layer


class Identity(Layer):
    """Returns the inputs as they are; useful as a no-op in a configurable architecture.

    >>> import numpy as np
    >>> Identity()(np.array([1.0, 2.0], "float32")).numpy().tolist()
    [1.0, 2.0]
    """

    supports_masking = True  # the input's mask passes to the output, as in Keras

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape
