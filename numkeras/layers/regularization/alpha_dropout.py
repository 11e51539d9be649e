"""AlphaDropout: dropout that keeps the mean and variance of SELU activations."""

from numkeras import random
from numkeras.layers.layer import Layer

_ALPHA = 1.6732632423543772848170429916717
_SCALE = 1.0507009873554804934193349852946


class AlphaDropout(Layer):
    """During training, sets dropped values to SELU's negative saturation `-alpha * scale`,
    then applies the affine map that restores zero mean and unit variance.

    Args:
        rate: the fraction of values to drop, in [0, 1].
        noise_shape: the mask's shape (None entries follow the input), for shared masks.
        seed: an int for a repeatable mask sequence.

    >>> import numpy as np
    >>> x = np.random.default_rng(0).standard_normal((2000, 50)).astype("float32")
    >>> y = AlphaDropout(0.2, seed=1)(x, training=True).numpy()
    >>> abs(round(float(y.mean()), 1)), round(float(y.std()), 1)
    (0.0, 1.0)
    """

    supports_masking = True

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise ValueError(
                "Invalid value received for argument `rate`. Expected a float value between 0 "
                f"and 1. Received: rate={rate}"
            )
        self.rate, self.noise_shape, self.seed = rate, noise_shape, seed
        self.seed_generator = random.SeedGenerator(seed)

    def call(self, inputs, training=False):
        if not training or self.rate <= 0:
            return inputs
        shape = (
            tuple(inputs.shape)
            if self.noise_shape is None
            else tuple(n if s is None else s for n, s in zip(inputs.shape, self.noise_shape))
        )
        kept = random.uniform(shape, dtype=inputs.dtype, seed=self.seed_generator) >= self.rate
        kept = kept.numpy().astype(inputs.dtype)
        alpha_p = -_ALPHA * _SCALE
        a = ((1 - self.rate) * (1 + self.rate * alpha_p**2)) ** -0.5
        b = -a * alpha_p * self.rate
        return (inputs * kept + alpha_p * (1 - kept)) * a + b

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "rate": self.rate,
            "seed": self.seed,
            "noise_shape": self.noise_shape,
        }
