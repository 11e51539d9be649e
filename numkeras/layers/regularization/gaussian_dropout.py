"""GaussianDropout: multiply by Gaussian noise of mean 1 during training."""

import math

from numkeras import random
from numkeras.layers.layer import Layer


class GaussianDropout(Layer):
    """Multiplies by noise from N(1, rate / (1 - rate)) during training; identity otherwise.

    The noise has the same mean and variance as inverted Dropout's keep mask, without zeros.

    Args:
        rate: the equivalent dropout rate, in [0, 1).
        seed: an int for a repeatable noise sequence.

    >>> import numpy as np
    >>> y = GaussianDropout(0.5, seed=0)(np.ones((1000, 10), "float32"), training=True)
    >>> round(float(y.numpy().mean()), 1), round(float(y.numpy().std()), 1)
    (1.0, 1.0)
    """

    supports_masking = True  # the input's mask passes to the output, as in Keras

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
            raise ValueError(
                f"GaussianDropout: `rate` must be a number in [0, 1), received rate={rate!r}."
            )
        self.rate, self.seed = rate, seed
        self.seed_generator = random.SeedGenerator(seed)

    def call(self, inputs, training=False):
        if training and self.rate > 0:
            stddev = math.sqrt(self.rate / (1.0 - self.rate))
            return inputs * random.normal(
                inputs.shape, mean=1.0, stddev=stddev, dtype=inputs.dtype, seed=self.seed_generator
            )
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}
