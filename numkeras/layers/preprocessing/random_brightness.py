"""RandomBrightness: add a random offset to every pixel of each image."""

import numpy as np

from numkeras import random
from numkeras.engine import Tensor
from numkeras.layers import args
from numkeras.layers.layer import Layer
from numkeras.layers.preprocessing.augmentation_args import factor_range, pixel_range


class RandomBrightness(Layer):
    """During training, adds `d * (max - min)` of `value_range` to every pixel of each image,
    with `d` drawn per image from the factor's range, and clips to `value_range`. The
    identity at inference.

    Integer images stay integer (as in Keras), the offset truncated towards zero.

    Args:
        factor: a float f in [-1, 1] (offsets in [-|f|, |f|]) or a pair (lower, upper).
        value_range: the (min, max) pixel values ((0, 255)); stored sorted, as a list.
        seed: an int for a repeatable sequence of offsets.
        data_format: "channels_last" or "channels_first" (kept in the config, as in Keras;
            the offset is the same for every channel).

    >>> import numpy as np
    >>> layer = RandomBrightness((0.5, 0.5), value_range=(0, 1))
    >>> layer(np.array([[[0.25], [0.75]]]), training=True)[0, :, 0].numpy().tolist()
    [0.75, 1.0]
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor_range(self, "factor", factor)
        self.value_range = sorted(pixel_range(self, value_range))
        self.seed = seed
        self.data_format = args.data_format(self, data_format)
        self.seed_generator = random.SeedGenerator(seed)

    def call(self, inputs, training=True):  # as Keras: a direct call augments
        if not training:
            return inputs
        x = inputs.data
        if x.ndim not in (3, 4):
            raise ValueError(
                f"RandomBrightness: expected an image (rank 3) or a batch of "
                f"images (rank 4), received inputs.shape={x.shape}."
            )
        shape = (len(x) if x.ndim == 4 else 1, 1, 1, 1)[4 - x.ndim :]
        low, high = self.value_range
        delta = random.uniform(shape, *self.factor, seed=self.seed_generator).data * (high - low)
        if x.dtype.kind in "iu":  # add in int64 so that a negative offset cannot wrap around
            out = x.astype(np.int64) + np.trunc(delta).astype(np.int64)
        else:
            out = x + delta.astype(x.dtype)
        return Tensor(out.clip(low, high).astype(x.dtype))

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
