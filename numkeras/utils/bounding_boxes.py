"""`numkeras.utils.bounding_boxes`: Keras's bounding box helpers, public here as in Keras
(written beside the image layers that use them, numkeras/layers/preprocessing/bounding_boxes.py)."""

from numkeras.layers.preprocessing.bounding_boxes import (
    affine_transform,
    clip_to_image_size,
    compute_ciou,
    compute_iou,
    convert_format,
    crop,
    decode_deltas_to_boxes,
    encode_box_to_deltas,
    pad,
)

__all__ = [
    "affine_transform",
    "clip_to_image_size",
    "compute_ciou",
    "compute_iou",
    "convert_format",
    "crop",
    "decode_deltas_to_boxes",
    "encode_box_to_deltas",
    "pad",
]
