"""Masking: marks timesteps whose features all equal `mask_value` as padding."""

from numkeras import ops
from numkeras.layers.layer import Layer


class Masking(Layer):
    """Masks every timestep (axis 1) whose features all equal `mask_value`, as Keras does.

    The output is the input with masked timesteps set to zero, carrying the mask (True where a
    timestep is kept) to the layers after it: RNNs skip the masked steps, pooling ignores them.

    >>> import numpy as np
    >>> x = np.array([[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]]], "float32")
    >>> Masking()(x)._keras_mask.numpy().tolist()
    [[True, False, True]]
    """

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.mask_value = mask_value

    def compute_mask(self, inputs, mask=None):
        return ops.any(ops.not_equal(inputs, self.mask_value), axis=-1)

    def call(self, inputs):
        kept = ops.any(ops.not_equal(inputs, self.mask_value), axis=-1, keepdims=True)
        return inputs * ops.cast(kept, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}
