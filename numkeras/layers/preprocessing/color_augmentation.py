"""Pixel-value augmentations: AutoContrast, RandomInvert, RandomGrayscale, Solarization,
RandomPosterization, RandomColorDegeneration, RandomSharpness and Equalization, with Keras's
arguments,
random draws and float outputs.

Each works on an image (H, W, C) or a batch (B, H, W, C) in `value_range`, internally mapped
to [0, 255] as Keras does. The random layers change images only when `training` (a direct
call trains, as for Keras's augmentation layers).
"""

import numpy as np

from numkeras import ops, random
from numkeras.backend import floatx
from numkeras.layers import args
from numkeras.layers.layer import Layer
from numkeras.layers.preprocessing.augmentation_args import pixel_range


def _rescale(x, source, target):
    """Map pixel values linearly from the `source` range to the `target` range."""
    if tuple(source) == tuple(target):
        return x
    return (x - source[0]) / (source[1] - source[0]) * (target[1] - target[0]) + target[0]


def _batch(layer, inputs):
    """(float batch (B, H, W, C), whether the input was a single image)."""
    x = np.asarray(ops.convert_to_numpy(inputs), floatx())
    if x.ndim not in (3, 4):
        raise ValueError(
            f"{type(layer).__name__}: expected an image (rank 3) or a batch of "
            f"images (rank 4), received inputs.shape={x.shape}."
        )
    return (x[None], True) if x.ndim == 3 else (x, False)


def _factor(layer, factor, bounds):
    """Keras's base-layer factor: f gives (max(-f, low), f); a pair is sorted."""
    pair = isinstance(factor, (tuple, list))
    if pair and len(factor) == 2 and not (factor[0] > bounds[1] or factor[1] < bounds[0]):
        return tuple(sorted(factor))
    if not pair and isinstance(factor, (int, float)) and bounds[0] <= factor <= bounds[1]:
        return max(-abs(factor), bounds[0]), abs(factor)
    raise ValueError(
        f"The `factor` argument should be a number (or a list of two numbers) in "
        f"the range [{bounds[0]}, {bounds[1]}]. Received: factor={factor}"
    )


def _gray(x, data_format):
    """Keras's `rgb_to_grayscale` (luma 0.2989, 0.587, 0.114), one channel kept."""
    axis = -1 if data_format == "channels_last" else 1
    weights = np.array([0.2989, 0.587, 0.114], x.dtype)
    return np.expand_dims(np.tensordot(np.moveaxis(x, axis, -1), weights, 1), axis)


class _ColorLayer(Layer):
    def __init__(self, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.value_range = sorted(pixel_range(self, value_range))
        self.seed = seed
        self.data_format = args.data_format(self, data_format)
        self.seed_generator = random.SeedGenerator(seed)

    def _uniform(self, shape, low, high):
        return random.uniform(shape, low, high, seed=self.seed_generator).numpy()

    def call(self, inputs, training=True):
        if not training and self._random:
            return inputs
        x, single = _batch(self, inputs)
        y = self._transform(x)
        return ops.convert_to_tensor(y[0] if single else y)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class AutoContrast(_ColorLayer):
    """Stretches each image's channels to the full `value_range` (min to low, max to high).

    >>> import numpy as np
    >>> AutoContrast()(np.array([[[50.0], [100.0]]])).numpy().ravel().tolist()
    [0.0, 255.0]
    """

    _random = False

    def __init__(self, value_range=(0, 255), **kwargs):
        super().__init__(value_range, **kwargs)

    def _transform(self, x):
        images = _rescale(x, self.value_range, (0, 255))
        low = images.min(axis=(1, 2), keepdims=True)
        high = images.max(axis=(1, 2), keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = 255.0 / (high - low)
            out = np.clip(images * scale - low * scale, 0.0, 255.0)
        out = _rescale(out, (0, 255), self.value_range)
        return np.where(np.isnan(out), x, out)  # a flat channel stays as it was

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range}


class RandomInvert(_ColorLayer):
    """Replaces an image by `value_range[1] - image` with a probability drawn from `factor`.

    Args:
        factor: the inversion probability, a number in [0, 1] (probability drawn from
            [0, f] per image) or a (low, high) pair (1.0).
    """

    _random = True

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(value_range, seed, data_format, **kwargs)
        self.factor = _factor(self, factor, (0, 1))
        self.value_range = tuple(value_range)  # Keras keeps this one as given

    def _transform(self, x):
        probability = self._uniform((len(x),), *self.factor)
        invert = self._uniform((len(x),), 0, 1) < probability
        return np.where(invert[:, None, None, None], self.value_range[1] - x, x)

    def get_config(self):
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": self.value_range,
            "seed": self.seed,
        }


class RandomGrayscale(_ColorLayer):
    """Converts an RGB image to grayscale (kept as 3 equal channels) with probability
    `factor`; luma weights 0.2989, 0.587, 0.114 as Keras's `rgb_to_grayscale`."""

    _random = True

    def __init__(self, factor=0.5, data_format=None, seed=None, **kwargs):
        if not 0 <= factor <= 1:
            raise ValueError(f"`factor` should be between 0 and 1. Received: factor={factor}")
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor

    def _transform(self, x):
        apply = self._uniform((len(x),), 0, 1) < self.factor
        return np.where(apply[:, None, None, None], _gray(x, self.data_format), x)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class Solarization(_ColorLayer):
    """Adds a random `addition` to the pixels (clipped), then inverts (`255 - x`) the pixels at
    or above a random `threshold`, both drawn per image as Keras draws them:
    `uniform(f_low, f_high * 255)` for `addition_factor` and `threshold_factor`."""

    _random = True

    def __init__(
        self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255), seed=None, **kwargs
    ):
        super().__init__(value_range, seed, **kwargs)
        self.addition_factor = self._check(addition_factor, "addition_factor")
        self.threshold_factor = self._check(threshold_factor, "threshold_factor")

    def _check(self, factor, name):
        pair = isinstance(factor, (tuple, list))
        values = list(factor) if pair else [factor]
        if (pair and len(values) != 2) or not all(
            isinstance(v, (int, float)) and 0 <= v <= 1 for v in values
        ):
            raise ValueError(
                f"The `{name}` argument should be a number (or a list of two "
                f"numbers) in the range [0, 1]. Received: {name}={factor}"
            )
        return tuple(sorted(values)) if pair else (0, factor)

    def _transform(self, x):
        shape = (len(x), 1, 1, 1)
        additions = self._uniform(shape, self.addition_factor[0], self.addition_factor[1] * 255)
        thresholds = self._uniform(shape, self.threshold_factor[0], self.threshold_factor[1] * 255)
        images = np.clip(_rescale(x, self.value_range, (0, 255)) + additions, 0, 255)
        images = np.where(images < thresholds, images, 255 - images)
        return _rescale(images, (0, 255), self.value_range)

    def get_config(self):
        return {
            **super().get_config(),
            "value_range": self.value_range,
            "addition_factor": self.addition_factor,
            "threshold_factor": self.threshold_factor,
            "seed": self.seed,
        }


class RandomPosterization(_ColorLayer):
    """Keeps only the top `bits` bits of each 8-bit pixel value, `bits` drawn per image from
    `factor` (an int in [1, 8]: bits in [1, factor]; or a (low, high) pair)."""

    _random = True

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(value_range, seed, data_format, **kwargs)
        self.factor = _factor(self, factor, (1, 8))

    def _transform(self, x):
        low, high = self.factor
        if low != high:
            bits = random.randint((len(x),), low, high, seed=self.seed_generator).numpy()
        else:
            bits = np.full((len(x),), low)
        shift = (8 - bits.astype(np.uint8)).reshape(-1, 1, 1, 1)
        images = _rescale(x, self.value_range, (0, 255)).astype(np.uint8)
        images = ((images >> shift) << shift).astype(x.dtype)
        return _rescale(images, (0, 255), self.value_range)

    def get_config(self):
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": self.value_range,
            "seed": self.seed,
        }


class RandomColorDegeneration(_ColorLayer):
    """Blends each image towards its grayscale version: `x + f (gray - x)`, `f` drawn per
    image from `factor` (a number in [-1, 1] or a pair), clipped to `value_range`."""

    _random = True

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(value_range, seed, data_format, **kwargs)
        self.factor = _factor(self, factor, (-1, 1))

    def _transform(self, x):
        f = self._uniform((len(x), 1, 1, 1), *self.factor).astype(x.dtype)
        return np.clip(x + f * (_gray(x, self.data_format) - x), *self.value_range)

    def get_config(self):
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": self.value_range,
            "seed": self.seed,
        }


class RandomSharpness(_ColorLayer):
    """Blends each image with a 3x3 smoothed copy (weights 1/13, centre 5/13, zero padded):
    `x + (1 - 2 f) (smooth - x)`, `f` drawn per image from `factor` in [0, 1]; f > 0.5
    sharpens, f < 0.5 blurs."""

    _random = True

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(value_range, seed, data_format, **kwargs)
        self.factor = _factor(self, factor, (0, 1))

    def _transform(self, x):
        f = self._uniform((len(x),), *self.factor).astype(x.dtype).reshape(-1, 1, 1, 1)
        last = self.data_format == "channels_last"
        images = x if last else np.swapaxes(x, -3, -1)
        padded = np.pad(images, ((0, 0), (1, 1), (1, 1), (0, 0)))
        h, w = images.shape[1:3]
        total = sum(padded[:, i : i + h, j : j + w] for i in range(3) for j in range(3))
        smooth = (total + 4 * images) / 13  # every tap 1/13, the centre 5/13
        out = np.clip(images + (1 - 2 * f) * (smooth - images), *self.value_range)
        return out if last else np.swapaxes(out, -3, -1)

    def get_config(self):
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": self.value_range,
            "seed": self.seed,
        }


class Equalization(_ColorLayer):
    """Histogram equalization of each channel over the whole batch (as Keras computes it):
    values are binned into `bins` bins of [0, 255], and each maps through the rounded
    normalized cumulative histogram. A channel with one occupied bin is left as it is.
    Applied when `training` (a direct call), like the other augmentation layers.

    >>> import numpy as np
    >>> Equalization()(np.array([[[0.0], [10.0], [10.0], [20.0]]])).numpy().ravel().tolist()
    [0.0, 170.0, 170.0, 255.0]
    """

    _random = True

    def __init__(self, value_range=(0, 255), bins=256, data_format=None, **kwargs):
        super().__init__(value_range, data_format=data_format, **kwargs)
        self.bins = bins

    def _equalize(self, channel):
        channel = _rescale(channel, self.value_range, (0, 255))
        index = np.clip((channel * (self.bins - 1) / 255).astype(np.int32), 0, self.bins - 1)
        hist = np.bincount(index.ravel(), minlength=self.bins)
        if np.count_nonzero(hist) > 1:
            cdf = np.cumsum(hist)
            low = cdf[np.nonzero(cdf)[0][0]]
            table = np.clip(np.round((cdf - low) * 255 / max(cdf[-1] - low, 1)), 0, 255)
            channel = table[index].astype(channel.dtype)
        return _rescale(channel, (0, 255), self.value_range)

    def _transform(self, x):
        axis = -1 if self.data_format == "channels_last" else 1
        return np.stack([self._equalize(c) for c in np.moveaxis(x, axis, 0)], axis=axis)

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range, "bins": self.bins}
