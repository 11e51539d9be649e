"""Keras's bounding box helpers (format conversion, clipping, affine transforms, crop and pad,
anchor deltas, IoU and CIoU), public as `numkeras.utils.bounding_boxes`.

Built from `numkeras.ops`, so the results are Tensors and gradients flow through them (a CIoU
loss, say). The formats (case-insensitive):
`"xyxy"` [left, top, right, bottom], `"yxyx"` [top, left, bottom, right],
`"xywh"` [left, top, width, height], `"center_xywh"` [centre x, centre y, width, height],
`"center_yxhw"` [centre y, centre x, height, width], and `"rel_xyxy"`, `"rel_yxyx"`,
`"rel_xywh"`, `"rel_center_xywh"`: the same as fractions of the image `height` and `width`.
"""

import math

import numpy as np

from numkeras import ops
from numkeras.backend import epsilon

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

SUPPORTED_FORMATS = (
    "xyxy",
    "yxyx",
    "xywh",
    "center_xywh",
    "center_yxhw",
    "rel_xyxy",
    "rel_yxyx",
    "rel_xywh",
    "rel_center_xywh",
)


def _columns(boxes):
    return ops.split(boxes, 4, axis=-1)


def _join(*columns):
    return ops.concatenate(list(columns), axis=-1)


def _to_xyxy(boxes, source, height, width):
    """Corners (x1, y1, x2, y2) of boxes in `source` format, in pixels unless `source` is a
    relative format whose size is None (a relative-to-relative conversion)."""
    a, b, c, d = _columns(boxes)
    relative = source.startswith("rel_")
    sx, sy = (width, height) if relative and width is not None else (1.0, 1.0)
    base = source[4:] if relative else source
    if base == "xyxy":
        x1, y1, x2, y2 = a, b, c, d
    elif base == "yxyx":
        x1, y1, x2, y2 = b, a, d, c
    elif base == "xywh":
        x1, y1, x2, y2 = a, b, a + c, b + d
    elif base == "center_xywh":
        x1, y1, x2, y2 = a - c / 2.0, b - d / 2.0, a + c / 2.0, b + d / 2.0
    else:  # center_yxhw
        x1, y1, x2, y2 = b - d / 2.0, a - c / 2.0, b + d / 2.0, a + c / 2.0
    return x1 * sx, y1 * sy, x2 * sx, y2 * sy


def _from_xyxy(corners, target, height, width):
    x1, y1, x2, y2 = corners
    relative = target.startswith("rel_")
    if relative and width is not None:
        x1, y1, x2, y2 = x1 / width, y1 / height, x2 / width, y2 / height
    base = target[4:] if relative else target
    w, h = x2 - x1, y2 - y1
    if base == "xyxy":
        return _join(x1, y1, x2, y2)
    if base == "yxyx":
        return _join(y1, x1, y2, x2)
    if base == "xywh":
        return _join(x1, y1, w, h)
    if base == "center_xywh":
        return _join(x1 + w / 2.0, y1 + h / 2.0, w, h)
    return _join(y1 + h / 2.0, x1 + w / 2.0, h, w)  # center_yxhw


def convert_format(boxes, source, target, height=None, width=None, dtype="float32"):
    """Boxes (..., 4) converted from the `source` format to the `target` format, in `dtype`.

    `boxes` may be a dict with "boxes" (and "labels"): its "boxes" entry is converted in place
    and the dict returned, as in Keras. `height` and `width` are required when either format
    is relative.

    >>> convert_format(np.array([[10, 20, 30, 40]]), "xyxy", "xywh").numpy().tolist()
    [[10.0, 20.0, 20.0, 20.0]]
    """
    if isinstance(boxes, dict):
        boxes["boxes"] = convert_format(boxes["boxes"], source, target, height, width, dtype)
        return boxes
    shape = tuple(ops.shape(boxes))
    if not shape or shape[-1] != 4:
        raise ValueError(
            f"`boxes` must be a tensor with the last dimension of 4. Received: boxes.shape={shape}"
        )
    source, target = source.lower(), target.lower()
    if source not in SUPPORTED_FORMATS or target not in SUPPORTED_FORMATS:
        raise ValueError(f"Invalid source or target format. Supported formats: {SUPPORTED_FORMATS}")
    if (source.startswith("rel_") or target.startswith("rel_")) and (
        width is None or height is None
    ):
        raise ValueError(
            "convert_format() must receive `height` and `width` transforming between "
            f"relative and absolute formats. convert_format() received source=`{source}`, "
            f"target=`{target}`, but height={height} and width={width}."
        )
    boxes = ops.cast(boxes, dtype)
    if source == target:
        return boxes
    if source.startswith("rel_") and target.startswith("rel_"):  # no pixels involved
        height = width = None
    elif height is not None and width is not None:
        height, width = ops.cast(height, dtype), ops.cast(width, dtype)
    return _from_xyxy(_to_xyxy(boxes, source, height, width), target, height, width)


def _convert(boxes, source, target, height=None, width=None):
    """`convert_format` into float32, or float64 for float64 boxes (Keras: always float32), so
    the IoU functions and the deltas can be gradient-checked in float64."""
    dtype = "float64" if ops.convert_to_tensor(boxes).dtype == "float64" else "float32"
    return convert_format(boxes, source, target, height, width, dtype)


def _area(x1, y1, x2, y2):
    return (x2 - x1) * (y2 - y1)


def clip_to_image_size(bounding_boxes, height=None, width=None, bounding_box_format="xyxy"):
    """A copy of `bounding_boxes` (a dict with "boxes" and optional "labels") whose boxes are
    clipped to the image; boxes left with no area get the label -1.

    Only "xyxy" (needs `height` and `width`) and "rel_xyxy" (clipped to [0, 1]) are supported.
    """
    if bounding_box_format not in ("xyxy", "rel_xyxy"):
        raise NotImplementedError
    if bounding_box_format == "xyxy" and (height is None or width is None):
        raise ValueError("`height` and `width` must be set if `format='xyxy'`.")
    boxes = ops.convert_to_tensor(bounding_boxes["boxes"])
    labels = bounding_boxes.get("labels", None)
    if bounding_box_format == "rel_xyxy":
        height = width = 1.0
    x1, y1, x2, y2 = _columns(boxes)
    x1, x2 = ops.clip(x1, 0, width), ops.clip(x2, 0, width)
    y1, y2 = ops.clip(y1, 0, height), ops.clip(y2, 0, height)
    result = dict(bounding_boxes)
    result["boxes"] = _join(x1, y1, x2, y2)
    if labels is not None:
        areas = ops.squeeze(_area(x1, y1, x2, y2), axis=-1)
        result["labels"] = ops.where(areas > 0, labels, -1)
    return result


def _inverse_affine_rows(params, height, width):
    """The 2x3 matrices (B, 2, 3) that move points as images transformed by these parameters
    are moved (TF's `_get_inverse_affine_matrix`; angles in degrees; the centre and the
    translations as fractions of the size)."""
    angle = np.atleast_1d(np.asarray(params[0]))
    dtype = angle.dtype if angle.dtype.kind == "f" else np.dtype(np.float32)
    angle, translate_x, translate_y, scale, shear_x, shear_y, center_x, center_y = (
        np.broadcast_to(np.asarray(v, dtype), angle.shape) for v in params
    )
    cx, cy = center_x * (width - 1), center_y * (height - 1)
    rot = -angle * (math.pi / 180.0)
    sx, sy = -shear_x * (math.pi / 180.0), -shear_y * (math.pi / 180.0)
    tx, ty = -translate_x * (width - 1), -translate_y * (height - 1)
    # rotation, then shear (no scale): a matrix of determinant 1, inverted by hand
    a = np.cos(rot - sy) / np.cos(sy)
    b = a * np.tan(sx) + np.sin(rot)
    c = -np.sin(rot - sy) / np.cos(sy)
    d = np.cos(rot) - c * np.tan(sx)
    a0, a1, b0, b1 = d * scale, -b * scale, -c * scale, a * scale
    a2 = cx - a0 * (cx + tx) - a1 * (cy + ty)
    b2 = cy - b0 * (cx + tx) - b1 * (cy + ty)
    return np.stack([a0, a1, a2, b0, b1, b2], -1).reshape(-1, 2, 3).astype(dtype)


def affine_transform(
    boxes,
    angle,
    translate_x,
    translate_y,
    scale,
    shear_x,
    shear_y,
    height,
    width,
    center_x=None,
    center_y=None,
    bounding_box_format="xyxy",
):
    """The boxes (B, N, 4) (or (N, 4) with one set of parameters) moved as the image is by
    the affine transform with these per-image parameters (B,): rotation `angle` and shears in
    degrees, translations as fractions of the size, about (`center_x`, `center_y`) (fractions,
    0.5 by default); each result is the axis-aligned hull of the four moved corners.
    Only `bounding_box_format="xyxy"` is supported, as in Keras.
    """
    if bounding_box_format != "xyxy":
        raise NotImplementedError
    center_x = 0.5 if center_x is None else center_x
    center_y = 0.5 if center_y is None else center_y
    params = (angle, translate_x, translate_y, scale, shear_x, shear_y, center_x, center_y)
    matrix = _inverse_affine_rows(params, height, width)
    boxes = ops.cast(boxes, matrix.dtype)
    single = len(ops.shape(boxes)) == 2
    if single:
        boxes = ops.expand_dims(boxes, 0)
    x1, y1, x2, y2 = (ops.squeeze(c, -1) for c in _columns(boxes))
    xs = ops.stack([x1, x2, x2, x1], -1)  # the four corners, (B, N, 4)
    ys = ops.stack([y1, y1, y2, y2], -1)
    m = matrix[:, None, None, :, :]  # (B, 1, 1, 2, 3)
    new_x = m[..., 0, 0] * xs + m[..., 0, 1] * ys + m[..., 0, 2]
    new_y = m[..., 1, 0] * xs + m[..., 1, 1] * ys + m[..., 1, 2]
    out = ops.stack(
        [ops.min(new_x, -1), ops.min(new_y, -1), ops.max(new_x, -1), ops.max(new_y, -1)], -1
    )
    return out[0] if single else out


def crop(boxes, top, left, height, width, bounding_box_format="xyxy"):
    """The boxes in the frame of the crop at (`top`, `left`) of size `height` x `width`,
    clipped to it ("xyxy" only).

    >>> crop(np.array([[10.0, 20, 50, 60]]), top=10, left=20, height=40, width=30).numpy()
    array([[ 0., 10., 30., 40.]])
    """
    if bounding_box_format != "xyxy":
        raise NotImplementedError
    x1, y1, x2, y2 = _columns(ops.convert_to_tensor(boxes))
    return _join(
        ops.clip(x1 - left, 0, width),
        ops.clip(y1 - top, 0, height),
        ops.clip(x2 - left, 0, width),
        ops.clip(y2 - top, 0, height),
    )


def pad(boxes, top, left, height=None, width=None, bounding_box_format="xyxy"):
    """The boxes shifted by the padding added above (`top`) and left of the image ("xyxy"
    only; `height` and `width` are accepted and unused, as in Keras)."""
    if bounding_box_format != "xyxy":
        raise NotImplementedError
    x1, y1, x2, y2 = _columns(ops.convert_to_tensor(boxes))
    return _join(x1 + left, y1 + top, x2 + left, y2 + top)


def _variance(variance):
    if variance is None:
        return None
    variance = ops.convert_to_tensor(np.asarray(variance, "float32"))
    if variance.shape[-1] != 4:
        raise ValueError(f"`variance` must be length 4, got {variance}")
    return variance


def _size(image_shape):
    return (None, None) if image_shape is None else tuple(image_shape)[:2]


def encode_box_to_deltas(
    anchors,
    boxes,
    anchor_format,
    box_format,
    encoding_format="center_yxhw",
    variance=None,
    image_shape=None,
):
    """The deltas that take each anchor (N, 4) to its box ((N, 4) or (B, N, 4)): centre offsets
    over the anchor's size, then log size ratios, in `encoding_format` order, divided by
    `variance` if given. `image_shape` (height, width, channels) is for relative formats."""
    variance = _variance(variance)
    if encoding_format not in ("center_xywh", "center_yxhw"):
        raise ValueError(
            "`encoding_format` should be one of 'center_xywh' or "
            f"'center_yxhw', got {encoding_format}"
        )
    height, width = _size(image_shape)
    anchors = _convert(anchors, anchor_format, encoding_format, height, width)
    boxes = _convert(boxes, box_format, encoding_format, height, width)
    anchor_size = ops.maximum(anchors[..., 2:], epsilon())
    box_size = ops.maximum(boxes[..., 2:], epsilon())
    deltas = ops.concatenate(
        [(boxes[..., :2] - anchors[..., :2]) / anchor_size, ops.log(box_size / anchor_size)],
        axis=-1,
    )
    return deltas if variance is None else deltas / variance


def decode_deltas_to_boxes(
    anchors,
    boxes_delta,
    anchor_format,
    box_format,
    encoded_format="center_yxhw",
    variance=None,
    image_shape=None,
):
    """The boxes, in `box_format`, that `encode_box_to_deltas` turned into `boxes_delta`.

    `anchors` and `boxes_delta` may both be dicts of levels: the result is then a dict too.
    """
    variance = _variance(variance)
    if encoded_format not in ("center_xywh", "center_yxhw"):
        raise ValueError(
            "`encoded_format` should be 'center_xywh' or 'center_yxhw', "
            f"but got '{encoded_format}'."
        )
    height, width = _size(image_shape)

    def decode(anchor, delta):
        anchor = _convert(anchor, anchor_format, encoded_format, height, width)
        delta = ops.convert_to_tensor(delta)
        if variance is not None:
            delta = delta * variance
        box = ops.concatenate(
            [
                delta[..., :2] * anchor[..., 2:] + anchor[..., :2],
                ops.exp(delta[..., 2:]) * anchor[..., 2:],
            ],
            axis=-1,
        )
        return _convert(box, encoded_format, box_format, height, width)

    if isinstance(anchors, dict) and isinstance(boxes_delta, dict):
        return {level: decode(anchor, boxes_delta[level]) for level, anchor in anchors.items()}
    return decode(anchors, boxes_delta)


def _swap_last(x):
    return ops.swapaxes(x, -1, -2)


def compute_iou(
    boxes1, boxes2, bounding_box_format, use_masking=False, mask_val=-1, image_shape=None
):
    """The pairwise IoU table of `boxes1` (M, 4) or (B, M, 4) and `boxes2` (N, 4) or (B, N, 4):
    (M, N), or (B, M, N) when either is batched.

    With `use_masking`, pairs where either box has all coordinates below 0 (padding) get
    `mask_val`.
    """
    rank1, rank2 = len(ops.shape(boxes1)), len(ops.shape(boxes2))
    for name, rank in (("boxes1", rank1), ("boxes2", rank2)):
        if rank not in (2, 3):
            raise ValueError(
                f"compute_iou() expects {name} to be batched, or to be unbatched. "
                f"Received len(boxes1.shape)={rank1}, len(boxes2.shape)={rank2}. Expected "
                f"either len({name}.shape)=2 AND or len({name}.shape)=3."
            )
    if "rel" in bounding_box_format and image_shape is None:
        raise ValueError(
            "When using relative bounding box formats (e.g. `rel_yxyx`) the `image_shape` "
            f"argument must be provided.Received `image_shape`: {image_shape}"
        )
    height, width = _size(image_shape)
    boxes1 = _convert(boxes1, bounding_box_format, "yxyx", height, width)
    boxes2 = _convert(boxes2, bounding_box_format, "yxyx", height, width)
    top1, left1, bottom1, right1 = _columns(boxes1)  # (..., M, 1)
    top2, left2, bottom2, right2 = (_swap_last(c) for c in _columns(boxes2))  # (..., 1, N)
    inter_h = ops.maximum(ops.minimum(bottom1, bottom2) - ops.maximum(top1, top2), 0.0)
    inter_w = ops.maximum(ops.minimum(right1, right2) - ops.maximum(left1, left2), 0.0)
    intersection = inter_h * inter_w
    union = (bottom1 - top1) * (right1 - left1) + (bottom2 - top2) * (right2 - left2)
    iou = intersection / (union - intersection + epsilon())
    if not use_masking:
        return iou
    background = ops.logical_or(
        ops.max(boxes1, axis=-1, keepdims=True) < 0.0,
        _swap_last(ops.max(boxes2, axis=-1, keepdims=True) < 0.0),
    )
    return ops.where(background, ops.cast(mask_val, iou.dtype), iou)


def compute_ciou(boxes1, boxes2, bounding_box_format, image_shape=None):
    """The Complete IoU of matching boxes (..., 4): IoU minus the squared centre distance over
    the squared diagonal of the enclosing box, minus an aspect-ratio term. Shape (...)."""
    if "rel" in bounding_box_format:
        raise ValueError(
            "When using relative bounding box formats (e.g. `rel_yxyx`) the `image_shape` "
            f"argument must be provided.Received `image_shape`: {image_shape}"
        )
    height, width = _size(image_shape)
    x1a, y1a, x2a, y2a = _columns(_convert(boxes1, bounding_box_format, "xyxy"))
    x1b, y1b, x2b, y2b = _columns(_convert(boxes2, bounding_box_format, "xyxy"))
    eps = epsilon()
    w1, h1 = x2a - x1a, y2a - y1a + eps
    w2, h2 = x2b - x1b, y2b - y1b + eps
    intersection = ops.maximum(ops.minimum(x2a, x2b) - ops.maximum(x1a, x1b), 0) * ops.maximum(
        ops.minimum(y2a, y2b) - ops.maximum(y1a, y1b), 0
    )
    union = w1 * h1 + w2 * h2 - intersection + eps
    iou = ops.squeeze(intersection / (union + eps), -1)
    hull_w = ops.maximum(x2a, x2b) - ops.minimum(x1a, x1b)
    hull_h = ops.maximum(y2a, y2b) - ops.minimum(y1a, y1b)
    diagonal2 = ops.squeeze(hull_w**2 + hull_h**2 + eps, -1)
    centres2 = ops.squeeze(
        ((x1a + x2a) / 2 - (x1b + x2b) / 2) ** 2 + ((y1a + y2a) / 2 - (y1b + y2b) / 2) ** 2, -1
    )
    v = ops.squeeze((4 / math.pi**2) * (ops.arctan(w2 / h2) - ops.arctan(w1 / h1)) ** 2, -1)
    alpha = v / (v - iou + (1 + eps))
    return iou - (centres2 / diagonal2 + v * alpha)
