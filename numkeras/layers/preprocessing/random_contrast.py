"""RandomContrast: scale each image's deviations from its mean by a random factor."""

from numkeras import random
from numkeras.engine import Tensor
from numkeras.layers import args
from numkeras.layers.layer import Layer
from numkeras.layers.preprocessing.augmentation_args import factor_range, pixel_range


class RandomContrast(Layer):
    """During training, maps each channel of each image to `(x - mean) * c + mean`, clipped
    to `value_range`; `mean` is the channel's mean over the image and `c` is drawn per image
    from [1 - lower, 1 + upper]. The identity at inference.

    Args:
        factor: a float f in [0, 1], read as (lower, upper) = (0, f) as Keras 3 does, or a pair
            (lower, upper) of numbers in [0, 1].
        value_range: the (min, max) pixel values that outputs are clipped to ((0, 255)).
        seed: an int for a repeatable sequence of contrast factors.
        data_format: "channels_last" or "channels_first" (default: the image data format).

    >>> import numpy as np
    >>> layer = RandomContrast((1.0, 1.0), value_range=(0, 1))  # c in [0, 2]
    >>> out = layer(np.full((2, 2, 1), 0.5), training=True)  # a flat image has no contrast
    >>> out[:, :, 0].numpy().tolist()
    [[0.5, 0.5], [0.5, 0.5]]
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor_range(self, "factor", factor, low=0.0)
        self.value_range = pixel_range(self, value_range)
        self.seed = seed
        self.data_format = args.data_format(self, data_format)
        self.seed_generator = random.SeedGenerator(seed)

    def call(self, inputs, training=True):  # as Keras: a direct call augments
        if not training:
            return inputs
        x = inputs.data.astype(self.dtype)
        if x.ndim not in (3, 4):
            raise ValueError(
                f"RandomContrast: expected an image (rank 3) or a batch of images "
                f"(rank 4), received inputs.shape={x.shape}."
            )
        shape = (len(x) if x.ndim == 4 else 1, 1, 1, 1)[4 - x.ndim :]
        contrast = random.uniform(
            shape,
            1.0 - self.factor[0],
            1.0 + self.factor[1],
            dtype=self.dtype,
            seed=self.seed_generator,
        ).data
        spatial = (-3, -2) if self.data_format == "channels_last" else (-2, -1)
        mean = x.mean(axis=spatial, keepdims=True)
        out = (x - mean) * contrast + mean
        return Tensor(out.clip(*self.value_range).astype(self.dtype))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": self.value_range,
            "seed": self.seed,
            "data_format": self.data_format,
        }
