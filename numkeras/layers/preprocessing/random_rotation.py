"""RandomRotation: rotate each image about its centre by a random angle."""

import numpy as np

from numkeras.layers.preprocessing.augmentation_args import factor_range
from numkeras.layers.preprocessing.random_affine import BaseRandomAffine, affine_rows


class RandomRotation(BaseRandomAffine):
    """Rotates each image by a random angle during training; the identity (cast to float)
    at inference.

    Args:
        factor: a float f in [-1, 1], for angles in [-|f|, |f|] turns (fractions of 2 pi),
            or a pair (lower, upper). Positive angles turn the image counter-clockwise.
        fill_mode: how points outside the image are filled: "reflect" (the default),
            "wrap", "constant" (with `fill_value`) or "nearest".
        interpolation: "bilinear" (the default) or "nearest".
        seed: an int for a repeatable sequence of angles.
        fill_value: the value outside the image when `fill_mode="constant"` (0.0).
        data_format: "channels_last" or "channels_first" (default: the image data format).

    >>> import numpy as np
    >>> layer = RandomRotation((0.5, 0.5))  # half a turn
    >>> layer(np.arange(4.0).reshape(2, 2, 1), training=True)[:, :, 0].numpy().round(4).tolist()
    [[3.0, 2.0], [1.0, 0.0]]
    """

    def __init__(
        self,
        factor,
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        data_format=None,
        **kwargs,
    ):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.factor = factor_range(self, "factor", factor)

    def _transforms(self, n, height, width):
        angle = np.deg2rad(self._uniform(n, self.factor[0] * 360.0, self.factor[1] * 360.0))
        cos, sin = np.cos(angle), np.sin(angle)
        cx, cy = (width - 1) / 2, (height - 1) / 2
        # the output pixel p reads the input at centre + R(angle) (p - centre)
        return affine_rows(
            cos, -sin, cx - cx * cos + cy * sin, sin, cos, cy - cx * sin - cy * cos, 0, 0
        )

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}
