"""Dropout: zero a random fraction of inputs during training (inverted scaling)."""

from numkeras import ops
from numkeras.layers.layer import Layer
from numkeras.random import SeedGenerator


class Dropout(Layer):
    """Keeps each input with probability `1 - rate` and scales it by `1/(1 - rate)`.

    Active only when called with `training=True` (as `fit` does); the identity otherwise.

    Args:
        rate: the fraction of inputs to drop, in [0, 1].
        noise_shape: the shape of the keep mask, broadcast over the inputs (None axes follow
            the input).
        seed: an int for a repeatable mask sequence.
    """

    supports_masking = True  # the input's mask passes to the output, as in Keras

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise ValueError(f"Dropout: `rate` must be a number in [0, 1], received rate={rate!r}.")
        if noise_shape is not None and (
            not isinstance(noise_shape, (list, tuple))
            or any(
                d is not None and (isinstance(d, bool) or not isinstance(d, int) or d < 1)
                for d in noise_shape
            )
        ):
            raise ValueError(
                "Dropout: `noise_shape` must be None or a tuple of positive "
                f"integers or None, received noise_shape={noise_shape!r}."
            )
        self.rate, self.noise_shape, self.seed = rate, noise_shape, seed
        self.seed_generator = SeedGenerator(seed)

    def call(self, inputs, training=False):
        noise = self.noise_shape
        if noise is not None and (
            len(noise) != inputs.ndim
            or any(n is not None and n not in (1, d) for n, d in zip(noise, inputs.shape))
        ):
            raise ValueError(
                f'Layer "{self.name}": noise_shape={tuple(noise)} does not fit the input shape '
                f"{inputs.shape}: it needs one entry per axis, each None, 1 or the size."
            )
        if training and self.rate > 0:
            return ops.dropout(inputs, self.rate, self.noise_shape, seed=self.seed_generator)
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "rate": self.rate,
            "seed": self.seed,
            "noise_shape": self.noise_shape,
        }
