"""MixUp: blend each image (and its label) with another image of the batch."""

import numpy as np

from numkeras import random
from numkeras.engine import Tensor
from numkeras.layers.preprocessing.image_data_layer import ImageDataLayer, as_array


class MixUp(ImageDataLayer):
    """Blends each image with another of the batch (a random permutation):
    `w * images + (1 - w) * images[permutation]`, w drawn from Beta(alpha, alpha) per image;
    labels and segmentation masks are blended with the same weights, and bounding boxes (with
    their labels) of the two images are concatenated. At inference everything passes through.

    Args:
        alpha: the Beta distribution's parameter (0.2): small values mix little.
        data_format: "channels_last" or "channels_first" (default: the image data format).
        seed: an int for a repeatable sequence of mixes.

    >>> import numpy as np
    >>> t = {"mix_weight": np.array([0.75, 0.25]), "permutation_order": np.array([1, 0])}
    >>> MixUp().transform_labels(np.eye(2), t).numpy().tolist()
    [[0.75, 0.25], [0.75, 0.25]]
    """

    def __init__(self, alpha=0.2, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.alpha = alpha

    def get_random_transformation(self, data, training=True, seed=None):
        """{"mix_weight": (B,) weights of the images themselves, "permutation_order": (B,)}."""
        n = self._batch_size(data)
        generator = self._generator(seed)
        order = random.shuffle(np.arange(n, dtype="int64"), seed=generator).data
        weight = random.beta((n,), self.alpha, self.alpha, seed=generator).data
        return {"mix_weight": weight, "permutation_order": order}

    def _mix(self, x, transformation, shape):
        order = as_array(transformation["permutation_order"]).astype(np.int64)
        weight = as_array(transformation["mix_weight"]).reshape(shape)
        return weight * x + (1.0 - weight) * x[order]

    def transform_images(self, images, transformation=None, training=True):
        x = as_array(images)
        if training and transformation is not None:
            x = self._mix(x.astype(self.dtype), transformation, (-1, 1, 1, 1)).astype(self.dtype)
        return Tensor(x)

    def transform_labels(self, labels, transformation=None, training=True):
        y = as_array(labels)
        if training and transformation is not None:
            y = self._mix(y, transformation, (-1, 1))
        return Tensor(y)

    def transform_bounding_boxes(self, bounding_boxes, transformation=None, training=True):
        """Each image's boxes followed by its partner's: (B, 2N, 4) boxes, (B, 2N) labels."""
        if not training or transformation is None:
            return bounding_boxes
        order = as_array(transformation["permutation_order"]).astype(np.int64)
        boxes, labels = as_array(bounding_boxes["boxes"]), as_array(bounding_boxes["labels"])
        return {
            "boxes": np.concatenate([boxes, boxes[order]], 1),
            "labels": np.concatenate([labels, labels[order]], 1),
        }

    def transform_segmentation_masks(self, segmentation_masks, transformation=None, training=True):
        masks = as_array(segmentation_masks)
        if training and transformation is not None:
            masks = self._mix(masks, transformation, (-1, 1, 1, 1))
        return Tensor(masks)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha, "seed": self.seed}
