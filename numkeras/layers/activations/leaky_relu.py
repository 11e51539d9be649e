"""LeakyReLU: a ReLU with a small slope for negative inputs."""

import warnings

from numkeras import ops
from numkeras.layers.layer import Layer


class LeakyReLU(Layer):
    """`x` for `x >= 0`, else `negative_slope * x`.

    Args:
        negative_slope: the slope for negative inputs (>= 0; Keras 3's default is 0.3).
            The Keras 2 name `alpha` is accepted with a warning.

    >>> import numpy as np
    >>> [round(v, 3) for v in LeakyReLU()(np.array([-1.0, 2.0], "float32")).numpy().tolist()]
    [-0.3, 2.0]
    """

    supports_masking = True  # the input's mask passes to the output, as in Keras

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn("LeakyReLU: `alpha` is deprecated, use `negative_slope`.", stacklevel=2)
        super().__init__(**kwargs)
        if (
            isinstance(negative_slope, bool)
            or not isinstance(negative_slope, (int, float))
            or negative_slope < 0
        ):
            raise ValueError(
                "LeakyReLU: `negative_slope` must be a non-negative number, "
                f"received negative_slope={negative_slope!r}."
            )
        self.negative_slope = negative_slope

    def call(self, inputs):
        return ops.leaky_relu(inputs, self.negative_slope)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}
