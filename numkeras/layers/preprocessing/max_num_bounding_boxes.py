"""MaxNumBoundingBoxes: pad or cut each image's bounding boxes to a fixed number."""

import numpy as np

from numkeras.engine import Tensor
from numkeras.layers.preprocessing.image_data_layer import ImageDataLayer, as_array


class MaxNumBoundingBoxes(ImageDataLayer):
    """Makes the "bounding_boxes" of Keras's dict input exactly `max_number` per image: the
    first `max_number` boxes are kept and missing ones are filled with `fill_value` (boxes and
    labels alike). Images, labels and masks pass through unchanged, training or not.

    Args:
        max_number: the number of boxes per image.
        fill_value: the padding value of boxes and labels (-1).
        bounding_box_format: required with "bounding_boxes", as for Keras's image layers.

    >>> import numpy as np
    >>> layer = MaxNumBoundingBoxes(3, bounding_box_format="xyxy")
    >>> out = layer({"images": np.zeros((1, 4, 4, 3)),
    ...              "bounding_boxes": {"boxes": np.ones((1, 1, 4)), "labels": np.ones((1, 1))}})
    >>> out["bounding_boxes"]["labels"].numpy().tolist()
    [[1.0, -1.0, -1.0]]
    """

    def __init__(self, max_number, fill_value=-1, **kwargs):
        super().__init__(**kwargs)
        self.max_number = int(max_number)
        self.fill_value = int(fill_value)

    def transform_images(self, images, transformation=None, training=True):
        return Tensor(as_array(images))

    def transform_bounding_boxes(self, bounding_boxes, transformation=None, training=True):
        boxes, labels = as_array(bounding_boxes["boxes"]), as_array(bounding_boxes["labels"])
        pad = max(self.max_number - boxes.shape[1], 0)
        boxes = np.pad(
            boxes[:, : self.max_number], [(0, 0), (0, pad), (0, 0)], constant_values=self.fill_value
        )
        labels = np.pad(
            labels[:, : self.max_number], [(0, 0), (0, pad)], constant_values=self.fill_value
        )
        return {**bounding_boxes, "boxes": boxes, "labels": labels}

    def transform_segmentation_masks(self, segmentation_masks, transformation=None, training=True):
        return Tensor(as_array(segmentation_masks))

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, dict) and "bounding_boxes" in input_shape:
            extra = set(input_shape["bounding_boxes"]) - {"boxes", "labels"}
            if extra:
                raise KeyError(
                    f"There are unsupported keys in `bounding_boxes`: {list(extra)}. "
                    "Only `boxes` and `labels` are supported."
                )
            shapes = dict(input_shape["bounding_boxes"])
            for key in ("boxes", "labels"):
                shape = list(shapes[key])
                shape[1] = self.max_number
                shapes[key] = tuple(shape)
            return {**input_shape, "bounding_boxes": shapes}
        return input_shape

    def get_config(self):
        # Keras leaves fill_value out (a reload pads with -1); numkeras keeps it
        return {
            **super().get_config(),
            "max_number": self.max_number,
            "fill_value": self.fill_value,
        }
