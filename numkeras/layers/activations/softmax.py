"""Softmax: the softmax activation as a layer, with an optional mask."""

from numkeras import ops
from numkeras.layers.layer import Layer


class Softmax(Layer):
    """`exp(x) / sum(exp(x))` along `axis`; masked-out positions get probability 0.

    Args:
        axis: an int or a list of ints: the axes that sum to 1 (-1).

    Call arguments:
        mask: optional booleans broadcastable to the inputs; False positions are excluded.

    >>> import numpy as np
    >>> Softmax()(np.array([[0.0, 0.0]], "float32")).numpy().tolist()
    [[0.5, 0.5]]
    """

    supports_masking = True  # the input's mask passes to the output, as in Keras

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        axes = axis if isinstance(axis, (list, tuple)) else [axis]
        if not axes or any(isinstance(a, bool) or not isinstance(a, int) for a in axes):
            raise ValueError(
                f"Softmax: `axis` must be an int or a list of ints, received axis={axis!r}."
            )
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else axis

    def call(self, inputs, mask=None):
        if mask is not None:
            mask = ops.convert_to_tensor(mask)
            if mask.dtype != "bool":
                mask = ops.greater(mask, 0.5)
            inputs = ops.where(mask, inputs, -1e9)  # Keras's large negative number
        if isinstance(self.axis, list) and len(self.axis) > 1:
            outputs = ops.exp(inputs - ops.logsumexp(inputs, axis=self.axis, keepdims=True))
        else:
            axis = self.axis[0] if isinstance(self.axis, list) else self.axis
            outputs = ops.softmax(inputs, axis=axis)
        return outputs if mask is None else ops.where(mask, outputs, 0.0)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
