"""RandomGaussianBlur: blur some images of a batch with a randomly drawn Gaussian kernel."""

import numpy as np

from numkeras.layers.preprocessing.augmentation_args import pixel_range
from numkeras.layers.preprocessing.image_augmentation import BaseImageAugmentation
from numkeras.layers.preprocessing.image_data_layer import as_array, unit_factor
from numkeras.ops import image as image_ops


def _odd_sizes(layer, value, name):
    """Keras's kernel-size pair (lower, upper) from an odd number or a pair of odd numbers."""
    pair = isinstance(value, (tuple, list))
    if pair and len(value) != 2:
        raise ValueError(
            f"The `{name}` argument should be a number (or a list of two numbers) "
            f"Received: {name}={value}"
        )
    values = tuple(value) if pair else (value, value)
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values) or any(
        v % 2 == 0 for v in values
    ):
        raise ValueError(f"{name} must be an odd number. Received: {name}={value}")
    return values


class RandomGaussianBlur(BaseImageAugmentation):
    """Blurs each image with probability `p` (drawn per image from `factor`) by a Gaussian
    kernel of size `kernel_size` and standard deviations (sigma_x, sigma_y) drawn once per
    batch from `sigma`; zero padding keeps the size, and outputs are clipped to
    `value_range`.

    Args:
        factor: the blur probability: a number in [0, 1] (drawn from [0, f]) or a pair (1.0).
        kernel_size: an odd int, or a pair of odd ints (width, height) (3).
        sigma: a number in [0, 1] (drawn from [0, s]) or a pair (1.0).
        value_range: the (low, high) pixel range ((0, 255)).
        data_format: "channels_last" or "channels_first".
        seed: an int for repeatable draws.
    """

    _float_at_inference = True

    def __init__(
        self,
        factor=1.0,
        kernel_size=3,
        sigma=1.0,
        value_range=(0, 255),
        data_format=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(data_format, seed, **kwargs)
        self.factor = unit_factor(self, factor)
        self.kernel_size = _odd_sizes(self, kernel_size, "kernel_size")
        self.sigma = unit_factor(self, sigma, "sigma")
        self.value_range = pixel_range(self, value_range)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        n = self._batch_size(data)
        probability = self._uniform((n,), *self.factor, seed)
        return {
            "should_apply_blur": self._uniform((n,), 0, 1, seed) < probability,
            "blur_factor": self._uniform((2,), *self.sigma, seed) + 1e-6,
        }

    def _transform(self, x, transformation):
        if transformation is None:
            return x
        blurred = image_ops.gaussian_blur(
            x,
            kernel_size=self.kernel_size,
            sigma=tuple(as_array(transformation["blur_factor"]).astype(float)),
            data_format=self.data_format,
        ).numpy()
        apply = as_array(transformation["should_apply_blur"]).astype(bool)
        return np.clip(np.where(apply[:, None, None, None], blurred, x), *self.value_range)

    def get_config(self):
        return {
            **super().get_config(),
            "factor": self.factor,
            "kernel_size": self.kernel_size,
            "sigma": self.sigma,
            "value_range": self.value_range,
            "seed": self.seed,
        }
