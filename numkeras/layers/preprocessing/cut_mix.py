"""CutMix: paste a random rectangle of another image of the batch into each image, and mix
the labels by the areas."""

import numpy as np

from numkeras import random
from numkeras.engine import Tensor
from numkeras.layers.preprocessing.image_data_layer import ImageDataLayer, as_array, unit_factor
from numkeras.layers.preprocessing.random_erasing import patch_bounds, patch_masks


class CutMix(ImageDataLayer):
    """Replaces a random rectangle of each image by the same rectangle of another image of the
    batch (a random permutation), and mixes the labels in proportion to the areas kept.

    The kept fraction l is drawn from Beta(a, a), a drawn from `factor` (plus 1e-6); the
    rectangle's sides are sqrt(1 - l) of the image's, placed at random, and labels become
    `w * labels + (1 - w) * labels[permutation]` with w the area fraction actually kept.
    A single image (no batch) passes through; so does everything at inference (cast).

    Args:
        factor: the range of the Beta parameter a: a number in [0, 1] ([0, f]) or a pair (1.0).
        seed: an int for a repeatable sequence of mixes.
        data_format: "channels_last" or "channels_first" (default: the image data format).

    Takes images, or Keras's dict of "images", "labels" (mixed) and "segmentation_masks"
    (pasted like the images).
    """

    def __init__(self, factor=1.0, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = unit_factor(self, factor)

    def get_random_transformation(self, data, training=True, seed=None):
        """{"permutation_order": (B,), "batch_masks": the pasted pixels (as the images),
        "mix_weight": (B,) the area fraction each image keeps}."""
        images = as_array(data["images"] if isinstance(data, dict) else data)
        if not training or images.ndim == 3:
            return None
        n = len(images)
        height, width = self._size(images.shape)
        generator = self._generator(seed)
        alpha = float(self._uniform((), *self.factor, seed=seed)) + 1e-6
        kept = random.beta((n,), alpha, alpha, dtype=self.dtype, seed=generator).data
        side = np.sqrt(1.0 - kept)
        x0, x1 = patch_bounds(self, n, width, side, seed)
        y0, y1 = patch_bounds(self, n, height, side, seed)
        masks = patch_masks(self, images.shape, x0, x1, y0, y1)
        weight = 1.0 - (x1 - x0) * (y1 - y0) / (width * height)
        order = random.shuffle(np.arange(n, dtype="int32"), seed=generator).data
        return {"permutation_order": order, "batch_masks": masks, "mix_weight": weight}

    def transform_images(self, images, transformation=None, training=True):
        x = as_array(images).astype(self.dtype)
        if training and transformation is not None:
            order = as_array(transformation["permutation_order"]).astype(np.int64)
            masks = as_array(transformation["batch_masks"]).astype(bool)
            x = np.where(masks, x[order], x)
        return Tensor(x)

    def transform_labels(self, labels, transformation=None, training=True):
        y = as_array(labels)
        if training and transformation is not None:
            order = as_array(transformation["permutation_order"]).astype(np.int64)
            weight = as_array(transformation["mix_weight"]).reshape(-1, 1)
            y = weight * y + (1.0 - weight) * y[order]
        return Tensor(y)

    def transform_segmentation_masks(self, segmentation_masks, transformation=None, training=True):
        """The masks pasted like the images (Keras's patches, whatever the mask's channels)."""
        masks = as_array(segmentation_masks)
        if training and transformation is not None:
            order = as_array(transformation["permutation_order"]).astype(np.int64)
            axis = -1 if self.data_format == "channels_last" else 1
            patch = as_array(transformation["batch_masks"]).astype(bool).any(axis, keepdims=True)
            masks = np.where(patch, masks[order], masks)
        return Tensor(masks)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "seed": self.seed}
