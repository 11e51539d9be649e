"""BaseRandomAffine: what RandomTranslation, RandomRotation and RandomZoom share."""

import numpy as np

from numkeras import random
from numkeras.engine import Tensor
from numkeras.layers import args
from numkeras.layers.layer import Layer
from numkeras.layers.preprocessing.affine_transform import (
    FILL_MODES,
    INTERPOLATIONS,
    affine_transform,
)


class BaseRandomAffine(Layer):
    """Resamples each image through a random transform from `_transforms` during training.

    Outputs are in the layer's float dtype, at inference too (the input cast, unchanged).
    """

    def __init__(
        self,
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        data_format=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.fill_mode = args.choice(self, "fill_mode", fill_mode, FILL_MODES)
        self.interpolation = args.choice(self, "interpolation", interpolation, INTERPOLATIONS)
        self.fill_value, self.seed = fill_value, seed
        self.data_format = args.data_format(self, data_format)
        self.seed_generator = random.SeedGenerator(seed)

    def _transforms(self, n, height, width):
        """(n, 8) transform rows, one per image, drawn from `self.seed_generator`."""
        raise NotImplementedError

    def _uniform(self, n, low, high):
        return random.uniform((n,), low, high, seed=self.seed_generator).data

    def call(self, inputs, training=True):  # as Keras: a direct call augments
        x = inputs.data.astype(self.dtype)
        if not training:
            return Tensor(x)
        if x.ndim not in (3, 4):
            raise ValueError(
                f"{type(self).__name__}: expected an image (rank 3) or a batch of "
                f"images (rank 4), received inputs.shape={x.shape}."
            )
        batch = x[None] if x.ndim == 3 else x
        height, width = (
            batch.shape[1:3] if self.data_format == "channels_last" else (batch.shape[2:4])
        )
        transforms = self._transforms(len(batch), height, width)
        out = affine_transform(
            batch, transforms, self.interpolation, self.fill_mode, self.fill_value, self.data_format
        ).astype(self.dtype)
        return Tensor(out[0] if x.ndim == 3 else out)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "fill_mode": self.fill_mode,
            "interpolation": self.interpolation,
            "seed": self.seed,
            "fill_value": self.fill_value,
            "data_format": self.data_format,
        }


def affine_rows(*columns):
    """Stack per-image columns (arrays or numbers) into (n, 8) transform rows."""
    n = max(np.size(c) for c in columns)
    return np.stack([np.broadcast_to(np.asarray(c, np.float32), (n,)) for c in columns], 1)
