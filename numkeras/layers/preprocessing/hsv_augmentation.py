"""RandomHue, RandomSaturation and RandomColorJitter: colour changes made in HSV space, with
Keras 3's arguments, draws and (sometimes surprising) value-range handling."""

import numpy as np

from numkeras.backend import epsilon
from numkeras.layers.preprocessing.augmentation_args import pixel_range
from numkeras.layers.preprocessing.image_augmentation import BaseImageAugmentation, rescale
from numkeras.layers.preprocessing.image_data_layer import as_array, unit_factor
from numkeras.layers.preprocessing.random_brightness import RandomBrightness
from numkeras.layers.preprocessing.random_contrast import RandomContrast
from numkeras.ops import image as image_ops


def _hsv_planes(layer, x):
    """HSV of an RGB batch as a channels-last array, and the function mapping HSV back."""
    hsv = image_ops.rgb_to_hsv(x, data_format=layer.data_format).numpy()
    first = layer.data_format == "channels_first"
    hsv = np.moveaxis(hsv, 1, -1) if first else hsv

    def back(planes):
        rgb = image_ops.hsv_to_rgb(planes, data_format="channels_last").numpy()
        return np.moveaxis(rgb, -1, 1) if first else rgb

    return hsv, back


class RandomHue(BaseImageAugmentation):
    """Rotates the hue of each image by a random `d` in +-[f_low, f_high] / 2 (the sign a coin
    flip per image), computed in HSV on pixels mapped from `value_range` to [0, 1].

    Args:
        factor: a number in [0, 1] (drawn from [0, f]) or a (low, high) pair; 1 turns the hue
            by up to half a circle either way.
        value_range: the (low, high) range the pixels are in ((0, 255)), kept as given.
        data_format: "channels_last" or "channels_first".
        seed: an int for repeatable draws.

    >>> import numpy as np
    >>> layer = RandomHue(factor=(0.0, 0.0), value_range=(0, 1))
    >>> layer(np.array([[[1.0, 0.0, 0.0]]])).numpy().round(3).tolist()
    [[[1.0, 0.0, 0.0]]]
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format, seed, **kwargs)
        self.factor = unit_factor(self, factor)
        self.value_range = pixel_range(self, value_range)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        n = self._batch_size(data)
        invert = np.where(self._uniform((n,), 0, 1, seed) > 0.5, -1.0, 1.0)
        return {"factor": invert * self._uniform((n,), *self.factor, seed) * 0.5}

    def _transform(self, x, transformation):
        shift = as_array(transformation["factor"]).astype(x.dtype).reshape(-1, 1, 1)
        hsv, back = _hsv_planes(self, rescale(x, self.value_range, (0, 1)))
        hue = hsv[..., 0] + shift
        hue = np.where(hue > 1.0, hue - 1.0, hue)
        hsv[..., 0] = np.where(hue < 0.0, hue + 1.0, hue)
        return rescale(np.clip(back(hsv), 0, 1), (0, 1), self.value_range).astype(x.dtype)

    def get_config(self):
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": self.value_range,
            "seed": self.seed,
        }


class RandomSaturation(BaseImageAugmentation):
    """Multiplies each image's HSV saturation by `f / (1 - f)`, `f` drawn per image from
    `factor` (0.5 keeps the image, 0 makes it gray, 1 saturates it fully).

    As in Keras, the RGB to HSV conversion sees the raw pixels, and the scaled saturation is
    clipped to `value_range` (not to [0, 1]).

    Args:
        factor: a number in [-1, 1] (drawn from [-|f|, |f|]) or a (low, high) pair.
        value_range: the (low, high) pixel range ((0, 255)), stored sorted.
        data_format: "channels_last" or "channels_first".
        seed: an int for repeatable draws.
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format, seed, **kwargs)
        self.factor = unit_factor(self, factor, bounds=(-1, 1))
        self.value_range = sorted(pixel_range(self, value_range))

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        f = self._uniform((self._batch_size(data),), *self.factor, seed)
        return {"factor": f / (1 - f + epsilon())}

    def _transform(self, x, transformation):
        scale = as_array(transformation["factor"]).astype(x.dtype).reshape(-1, 1, 1)
        hsv, back = _hsv_planes(self, x)
        hsv[..., 1] = np.clip(hsv[..., 1] * scale, *self.value_range)
        return back(hsv).astype(x.dtype)

    def get_config(self):
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": self.value_range,
            "seed": self.seed,
        }


class RandomColorJitter(BaseImageAugmentation):
    """Random brightness, contrast, saturation and hue changes, in that order, each applied
    only when its factor is given (the sub-layers' arguments and draws).

    Args:
        value_range: the (low, high) pixel range ((0, 255)).
        brightness_factor, contrast_factor, saturation_factor, hue_factor: the factors of
            RandomBrightness, RandomContrast, RandomSaturation and RandomHue (None skips it).
        seed: an int for repeatable draws.
        data_format: "channels_last" or "channels_first".
    """

    def __init__(
        self,
        value_range=(0, 255),
        brightness_factor=None,
        contrast_factor=None,
        saturation_factor=None,
        hue_factor=None,
        seed=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(data_format, seed, **kwargs)
        self.value_range = value_range
        self.brightness_factor = brightness_factor
        self.contrast_factor = contrast_factor
        self.saturation_factor = saturation_factor
        self.hue_factor = hue_factor
        steps = (
            (RandomBrightness, brightness_factor),
            (RandomContrast, contrast_factor),
            (RandomSaturation, saturation_factor),
            (RandomHue, hue_factor),
        )
        self._steps = [
            cls(factor=factor, value_range=value_range, seed=seed, data_format=self.data_format)
            for cls, factor in steps
            if factor is not None
        ]
        for step in self._steps:  # one stream for all draws, as Keras's jitter
            step.seed_generator = self.seed_generator

    def _transform(self, x, transformation):
        for step in self._steps:
            x = step(x, training=True).numpy().astype(x.dtype)
        return x

    def get_config(self):
        return {
            **super().get_config(),
            "value_range": self.value_range,
            "brightness_factor": self.brightness_factor,
            "contrast_factor": self.contrast_factor,
            "saturation_factor": self.saturation_factor,
            "hue_factor": self.hue_factor,
            "seed": self.seed,
        }
