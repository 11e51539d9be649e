"""GaussianNoise: add zero-mean Gaussian noise during training."""

from numkeras import random
from numkeras.layers.layer import Layer


class GaussianNoise(Layer):
    """Adds noise drawn from N(0, stddev**2) during training; the identity at inference.

    Args:
        stddev: the noise's standard deviation, in [0, 1] (as Keras requires).
        seed: an int for a repeatable noise sequence.

    >>> import numpy as np
    >>> GaussianNoise(0.1)(np.ones((2, 3), "float32")).numpy().tolist()  # inference: unchanged
    [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """

    supports_masking = True  # the input's mask passes to the output, as in Keras

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        if (
            isinstance(stddev, bool)
            or not isinstance(stddev, (int, float))
            or not (0 <= stddev <= 1)
        ):
            raise ValueError(
                f"GaussianNoise: `stddev` must be a number in [0, 1], received stddev={stddev!r}."
            )
        self.stddev, self.seed = stddev, seed
        self.seed_generator = random.SeedGenerator(seed)

    def call(self, inputs, training=False):
        if training and self.stddev > 0:
            return inputs + random.normal(
                inputs.shape, stddev=self.stddev, dtype=inputs.dtype, seed=self.seed_generator
            )
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}
