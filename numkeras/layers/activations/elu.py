"""ELU: the exponential linear unit as a layer."""

from numkeras import ops
from numkeras.layers.layer import Layer


class ELU(Layer):
    """`x` for `x > 0`, else `alpha * (exp(x) - 1)`.

    Args:
        alpha: the negative saturation value's scale (1.0).

    >>> import numpy as np
    >>> ELU()(np.array([0.0, 2.0], "float32")).numpy().tolist()
    [0.0, 2.0]
    """

    supports_masking = True  # the input's mask passes to the output, as in Keras

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)):
            raise ValueError(f"ELU: `alpha` must be a number, received alpha={alpha!r}.")
        self.alpha = alpha

    def call(self, inputs):
        return ops.elu(inputs, alpha=self.alpha)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}
