"""RandomZoom: zoom each image in or out about its centre by a random amount."""

from numkeras.layers.preprocessing.augmentation_args import factor_range
from numkeras.layers.preprocessing.random_affine import BaseRandomAffine, affine_rows


class RandomZoom(BaseRandomAffine):
    """Zooms each image by random factors during training; the identity (cast to float) at
    inference.

    Args:
        height_factor: a float f in (-1, 1] or a pair (lower, upper): the vertical zoom is
            1 + a draw from [-|f|, |f|] (or [lower, upper]); positive values zoom out (the
            image shrinks), negative values zoom in.
        width_factor: the same for the horizontal zoom; None (the default) zooms both axes by
            the vertical zoom, keeping the aspect ratio.
        fill_mode: how points outside the image are filled: "reflect" (the default),
            "wrap", "constant" (with `fill_value`) or "nearest".
        interpolation: "bilinear" (the default) or "nearest".
        seed: an int for a repeatable sequence of zooms.
        fill_value: the value outside the image when `fill_mode="constant"` (0.0).
        data_format: "channels_last" or "channels_first" (default: the image data format).

    >>> import numpy as np
    >>> layer = RandomZoom((1.0, 1.0), fill_mode="constant")  # out, to half the size
    >>> layer(np.ones((3, 3, 1)), training=True)[:, :, 0].numpy().tolist()
    [[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]
    """

    def __init__(
        self,
        height_factor,
        width_factor=None,
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        data_format=None,
        **kwargs,
    ):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self.height_lower, self.height_upper = factor_range(
            self, "height_factor", height_factor, low_open=True
        )
        if width_factor is not None:
            self.width_lower, self.width_upper = factor_range(
                self, "width_factor", width_factor, low_open=True
            )

    def _transforms(self, n, height, width):
        zy = 1 + self._uniform(n, self.height_lower, self.height_upper)
        zx = (
            zy
            if self.width_factor is None
            else (1 + self._uniform(n, self.width_lower, self.width_upper))
        )
        # scale about the centre: the output pixel p reads the input at c + z (p - c)
        cx, cy = (width - 1) / 2, (height - 1) / 2
        return affine_rows(zx, 0, cx * (1 - zx), 0, zy, cy * (1 - zy), 0, 0)

    def get_config(self):
        return {
            **super().get_config(),
            "height_factor": self.height_factor,
            "width_factor": self.width_factor,
        }
