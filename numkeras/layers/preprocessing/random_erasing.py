"""RandomErasing: replace a random rectangle of each image by a value or by noise."""

import numpy as np

from numkeras import random
from numkeras.engine import Tensor
from numkeras.layers.preprocessing.image_data_layer import ImageDataLayer, as_array, unit_factor


def patch_bounds(layer, n, length, ratio, seed):
    """(start, end) along an axis of `length` for patches of `ratio * length` pixels, each
    placed uniformly at random inside it."""
    size = (ratio * length).astype(layer.dtype)
    start = layer._uniform((n,), seed=seed) * (length - size)
    return start, start + size


def patch_masks(layer, shape, x0, x1, y0, y1):
    """(B, H, W, C) booleans (channels first as `layer.data_format`): pixel (x, y) lies in the
    image's patch when x0 <= x < x1 and y0 <= y < y1."""
    height, width = layer._size(shape)
    rows, cols = np.meshgrid(
        np.arange(height, dtype=layer.dtype), np.arange(width, dtype=layer.dtype), indexing="ij"
    )
    corner = [v[:, None, None] for v in (x0, x1, y0, y1)]
    inside = (cols >= corner[0]) & (cols < corner[1]) & (rows >= corner[2]) & (rows < corner[3])
    channels = shape[-1] if layer.data_format == "channels_last" else shape[-3]
    axis = 3 if layer.data_format == "channels_last" else 1
    return np.repeat(np.expand_dims(inside, axis), channels, axis)


class RandomErasing(ImageDataLayer):
    """Erases a random rectangle of each image, with a probability drawn from `factor`: its
    sides are sqrt(a) of the image's, each a drawn from `scale`, and its pixels become
    `fill_value` (or, with None, normal noise times `value_range[1]`), clipped to
    `value_range`. Labels, boxes and masks pass through; at inference images are cast to the
    layer's dtype.

    Args:
        factor: the probability of erasing an image: a number p in [0, 1] (probability drawn
            from [0, p] per image) or a pair (1.0).
        scale: the (low, high) range of each side's area fraction a ((0.02, 0.33)).
        fill_value: a number, three numbers (one per channel) or None for noise (None).
        value_range: the (low, high) pixel range ((0, 255)).
        seed: an int for a repeatable sequence of patches.
        data_format: "channels_last" or "channels_first" (default: the image data format).
    """

    def __init__(
        self,
        factor=1.0,
        scale=(0.02, 0.33),
        fill_value=None,
        value_range=(0, 255),
        seed=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = unit_factor(self, factor)
        self.scale = unit_factor(self, scale, "scale")
        pair = isinstance(fill_value, (tuple, list))
        if not (fill_value is None or (pair and len(fill_value) == 3)) and (
            pair or not isinstance(fill_value, (int, float))
        ):
            raise ValueError(
                "The `fill_value` argument should be a number (or a list of three numbers) "
                f"Received: fill_value={fill_value}"
            )
        self.fill_value, self.value_range = fill_value, value_range

    def get_random_transformation(self, data, training=True, seed=None):
        """{"apply_erasing": (B,) bool, "batch_masks": the patches (as the images), and
        "fill_value": the values written there (as the images)}."""
        if not training:
            return None
        images = as_array(data["images"] if isinstance(data, dict) else data)
        n = self._batch_size(images)
        height, width = self._size(images.shape)
        sides = np.sqrt(self._uniform((n, 2), *self.scale, seed=seed))
        x0, x1 = patch_bounds(self, n, width, sides[:, 0], seed)
        y0, y1 = patch_bounds(self, n, height, sides[:, 1], seed)
        masks = patch_masks(self, images.shape, x0, x1, y0, y1)
        probability = self._uniform((n,), *self.factor, seed=seed)
        apply = self._uniform((n,), seed=seed) < probability
        if self.fill_value is None:
            noise = random.normal(images.shape, seed=self._generator(seed)).data
            fill = noise * self.value_range[1]
        else:
            fill = np.broadcast_to(np.asarray(self.fill_value, self.dtype), images.shape)
        fill = np.clip(fill, *self.value_range).astype(self.dtype)
        return {"apply_erasing": apply, "batch_masks": masks, "fill_value": fill}

    def transform_images(self, images, transformation=None, training=True):
        x = as_array(images).astype(self.dtype)
        if training and transformation is not None:
            masks = as_array(transformation["batch_masks"]).astype(bool)
            erased = np.where(masks, as_array(transformation["fill_value"]), x)
            apply = as_array(transformation["apply_erasing"]).astype(bool)
            x = np.where(apply.reshape(-1, 1, 1, 1), erased, x).astype(self.dtype)
        return Tensor(x)

    def transform_bounding_boxes(self, bounding_boxes, transformation=None, training=True):
        return bounding_boxes

    def transform_segmentation_masks(self, segmentation_masks, transformation=None, training=True):
        return Tensor(as_array(segmentation_masks))

    def get_config(self):
        return {
            **super().get_config(),
            "factor": self.factor,
            "scale": self.scale,
            "fill_value": self.fill_value,
            "value_range": self.value_range,
            "seed": self.seed,
        }
