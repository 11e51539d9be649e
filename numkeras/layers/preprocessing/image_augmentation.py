"""BaseImageAugmentation: the pixel-value layers on Keras's image protocol (ImageDataLayer).

`get_random_transformation(images)` draws a layer's random parameters (a dict of arrays, one
entry per image), `transform_images(images, transformation)` applies them through the
subclass's `_transform` (a float NumPy batch in and out). Only the images change: labels,
segmentation masks and bounding boxes pass through, as Keras's colour layers leave them.
"""

import numpy as np

from numkeras.backend import floatx
from numkeras.engine import Tensor
from numkeras.layers.preprocessing.image_data_layer import ImageDataLayer, as_array


def image_batch(layer, images):
    """(float batch (B, H, W, C) or (B, C, H, W), whether the input was a single image)."""
    x = np.asarray(as_array(images), floatx())
    if x.ndim not in (3, 4):
        raise ValueError(
            f"{type(layer).__name__}: expected an image (rank 3) or a batch of "
            f"images (rank 4), received inputs.shape={x.shape}."
        )
    return (x[None], True) if x.ndim == 3 else (x, False)


def rescale(x, source, target):
    """Map pixel values linearly from the `source` range to the `target` range."""
    if tuple(source) == tuple(target):
        return x
    return (x - source[0]) / (source[1] - source[0]) * (target[1] - target[0]) + target[0]


class BaseImageAugmentation(ImageDataLayer):
    """The identity at inference (cast to float where Keras casts, `_float_at_inference`);
    a direct call trains, as in Keras."""

    _float_at_inference = False

    def __init__(self, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)

    def transform_images(self, images, transformation=None, training=True):
        """Applies `transformation` (as `get_random_transformation` returns) to `images`."""
        if not training and not self._float_at_inference:
            return Tensor(as_array(images))
        x, single = image_batch(self, images)
        if training:
            x = self._transform(x, transformation)
        return Tensor(x[0] if single else x)

    def transform_segmentation_masks(self, segmentation_masks, transformation=None, training=True):
        return Tensor(as_array(segmentation_masks))

    def transform_bounding_boxes(self, bounding_boxes, transformation=None, training=True):
        return bounding_boxes
