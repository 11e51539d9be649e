"""RandomTranslation: shift each image by a random fraction of its height and width."""

from numkeras.layers.preprocessing.augmentation_args import factor_range
from numkeras.layers.preprocessing.random_affine import BaseRandomAffine, affine_rows


class RandomTranslation(BaseRandomAffine):
    """Shifts each image by random fractions of its size during training; the identity
    (cast to float) at inference.

    Args:
        height_factor: a float f in [-1, 1] (shifts in [-|f|, |f|] of the height) or a pair
            (lower, upper); positive shifts move the image down.
        width_factor: the same for horizontal shifts; positive shifts move the image right.
        fill_mode: how points outside the image are filled: "reflect" (the default),
            "wrap", "constant" (with `fill_value`) or "nearest".
        interpolation: "bilinear" (the default) or "nearest".
        seed: an int for a repeatable sequence of shifts.
        fill_value: the value outside the image when `fill_mode="constant"` (0.0).
        data_format: "channels_last" or "channels_first" (default: the image data format).

    >>> import numpy as np
    >>> layer = RandomTranslation((0.5, 0.5), 0.0, fill_mode="constant")
    >>> layer(np.arange(4.0).reshape(2, 2, 1), training=True)[:, :, 0].numpy().tolist()
    [[0.0, 0.0], [0.0, 1.0]]
    """

    def __init__(
        self,
        height_factor,
        width_factor,
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        data_format=None,
        **kwargs,
    ):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self.height_lower, self.height_upper = factor_range(self, "height_factor", height_factor)
        self.width_lower, self.width_upper = factor_range(self, "width_factor", width_factor)

    def _transforms(self, n, height, width):
        dy = self._uniform(n, self.height_lower, self.height_upper) * height
        dx = self._uniform(n, self.width_lower, self.width_upper) * width
        # the output pixel (x, y) reads the input at (x - dx, y - dy)
        return affine_rows(1, 0, -dx, 0, 1, -dy, 0, 0)

    def get_config(self):
        return {
            **super().get_config(),
            "height_factor": self.height_factor,
            "width_factor": self.width_factor,
        }
