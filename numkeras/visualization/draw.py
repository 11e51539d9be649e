"""`draw_bounding_boxes` and `draw_segmentation_masks`: annotate a batch of images in NumPy.

Box outlines are rasterized as OpenCV's `cv2.rectangle` does (which Keras calls): the
one-pixel outline of the integer box, thickened by a disc; class names are written with
Pillow (the `image` extra), imported only when there is text to write.
"""

import numpy as np

from numkeras import ops
from numkeras.backend import image_data_format
from numkeras.layers.preprocessing.bounding_boxes import convert_format


def _batch(images):
    images = np.asarray(ops.convert_to_numpy(images))
    if images.ndim != 4:
        raise ValueError(
            f"`images` must be batched 4D tensor. Received: images.shape={images.shape}"
        )
    return images


def _as_uint8(images):
    """Keras's pixel mapping: floats up to 1 are scaled by 255, others clipped to [0, 255]."""
    if images.dtype.kind == "f" and images.size > 0:
        images = np.clip(images, 0, 1) * 255 if images.max() <= 1.0 else np.clip(images, 0, 255)
    return images.astype("uint8")


def box_outline(height, width, x1, y1, x2, y2, thickness):
    """(height, width) booleans: the outline of the box with corners (x1, y1), (x2, y2)
    (inclusive, any order), `thickness` pixels wide, as `cv2.rectangle` draws it."""
    radius = 0 if thickness <= 1 else (thickness + 1) // 2
    pad = radius + 1
    canvas = np.zeros((height + 2 * pad, width + 2 * pad), bool)
    (x1, x2), (y1, y2) = sorted((x1, x2)), sorted((y1, y2))
    # the one-pixel outline, clipped to the padded canvas (coordinates shifted by pad)
    left, right = np.clip([x1 + pad, x2 + pad + 1], 0, canvas.shape[1])
    top, bottom = np.clip([y1 + pad, y2 + pad + 1], 0, canvas.shape[0])
    for y in (y1, y2):
        if 0 <= y + pad < canvas.shape[0]:
            canvas[y + pad, left:right] = True
    for x in (x1, x2):
        if 0 <= x + pad < canvas.shape[1]:
            canvas[top:bottom, x + pad] = True
    if radius:  # thicken: every pixel within `radius` (a disc) of the outline
        thick = np.zeros_like(canvas)
        for dy in range(-radius, radius + 1):
            for dx in range(-radius, radius + 1):
                if dx * dx + dy * dy <= radius * radius:
                    thick |= np.roll(np.roll(canvas, dy, 0), dx, 1)
        canvas = thick
    return canvas[pad : pad + height, pad : pad + width]


def _text_location(x, y, font_scale, thickness):
    """Where Keras writes a label: above the box if there is room, else inside it."""
    font_height = int(font_scale * 12)
    if y - 8 - 2 * font_height > 0:
        return x, y - 8
    return x + 3, y + 2 * font_height + thickness + 3


def _write(image, text, origin, color, font_scale):
    """Writes `text` on `image` (H, W, C uint8) with its baseline starting at `origin`."""
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError as e:
        raise ImportError(
            "draw_bounding_boxes writes class names with Pillow, which numkeras installs only "
            "with the `image` extra: pip install 'numkeras[image]' (or pip install pillow)."
        ) from e
    channels = image.shape[-1]
    picture = Image.fromarray(image[..., 0] if channels == 1 else image[..., :3])
    font = ImageFont.load_default(size=max(1, round(22 * font_scale)))
    fill = tuple(int(c) for c in color)
    fill = fill[0] if channels == 1 else fill[:3]
    ImageDraw.Draw(picture).text(origin, text, fill=fill, font=font, anchor="ls")
    drawn = np.asarray(picture)
    image[..., : min(channels, 3)] = drawn[..., None] if channels == 1 else drawn


def draw_bounding_boxes(
    images,
    bounding_boxes,
    bounding_box_format,
    class_mapping=None,
    color=(128, 128, 128),
    line_thickness=2,
    text_thickness=1,
    font_scale=1.0,
    data_format=None,
):
    """The images (uint8, as given or channels first) with their boxes outlined in `color`.

    Args:
        images: a batch (B, H, W, C); floats up to 1 are read as [0, 1], others as [0, 255].
        bounding_boxes: a dict with "boxes" (B, N, 4) in `bounding_box_format`, "labels"
            (B, N) (boxes labelled -1 are padding, not drawn) and optionally "confidences".
        class_mapping: {label: name}; boxes whose label is here get the name (and the
            confidence) written above them.
        line_thickness: the outline's width in pixels (2).

    >>> images = np.zeros((1, 5, 6, 1))
    >>> boxes = {"boxes": np.array([[[1, 1, 4, 3]]]), "labels": np.array([[0]])}
    >>> draw_bounding_boxes(images, boxes, "xyxy", color=(1,), line_thickness=1)[0, ..., 0]
    array([[0, 0, 0, 0, 0, 0],
           [0, 1, 1, 1, 1, 0],
           [0, 1, 0, 0, 1, 0],
           [0, 1, 1, 1, 1, 0],
           [0, 0, 0, 0, 0, 0]], dtype=uint8)
    """
    class_mapping = class_mapping or {}
    text_thickness = text_thickness or line_thickness
    data_format = data_format or image_data_format()
    images = _batch(images)
    if not isinstance(bounding_boxes, dict):
        raise TypeError(
            f"`bounding_boxes` should be a dict. Received: bounding_boxes={bounding_boxes} of "
            f"type {type(bounding_boxes)}"
        )
    if "boxes" not in bounding_boxes or "labels" not in bounding_boxes:
        raise ValueError(
            "`bounding_boxes` should be a dict containing 'boxes' and 'labels' keys. "
            f"Received: bounding_boxes={bounding_boxes}"
        )
    if data_format == "channels_first":
        images = images.transpose(0, 2, 3, 1)
    height, width = images.shape[1:3]
    boxes = ops.convert_to_numpy(
        convert_format(bounding_boxes["boxes"], bounding_box_format, "xyxy", height, width)
    )
    labels = np.asarray(ops.convert_to_numpy(bounding_boxes["labels"]))
    confidences = bounding_boxes.get("confidences")
    if confidences is not None:
        confidences = np.asarray(ops.convert_to_numpy(confidences))
    images = _as_uint8(images).copy()
    paint = np.resize(np.asarray(color), images.shape[-1]).astype("uint8")
    for i, image in enumerate(images):
        for j, box in enumerate(boxes[i]):
            label = int(labels[i][j])
            if label == -1:
                continue
            x1, y1, x2, y2 = (int(v) for v in box.astype("int32"))
            image[box_outline(height, width, x1, y1, x2, y2, line_thickness)] = paint
            if label in class_mapping:
                text = str(class_mapping[label])
                if confidences is not None:
                    text = f"{text} | {confidences[i][j]:.2f}"
                origin = _text_location(x1, y1, font_scale, text_thickness)
                _write(image, text, origin, color, font_scale)
    return images.transpose(0, 3, 1, 2) if data_format == "channels_first" else images


def _palette(num_classes):
    """Keras's default class colours: class i gets (i * (2**25-1, 2**15-1, 2**21-1)) % 255."""
    steps = np.array([2**25 - 1, 2**15 - 1, 2**21 - 1])
    return [((i * steps) % 255).tolist() for i in range(num_classes)]


def draw_segmentation_masks(
    images,
    segmentation_masks,
    num_classes=None,
    color_mapping=None,
    alpha=0.8,
    blend=True,
    ignore_index=-1,
    data_format=None,
):
    """The images with each mask pixel painted in its class colour (channels last).

    Args:
        images: a batch (B, H, W, C).
        segmentation_masks: integer class indices (B, H, W, 1) or (B, H, W).
        num_classes: classes 0 .. num_classes - 1 are painted (default: the mask's maximum,
            as Keras, which leaves the largest class unpainted).
        color_mapping: {class: (r, g, b)} for every class; default Keras's palette.
        alpha: the colour's weight when blending (0.8).
        blend: True: `images * (1 - alpha) + colours * alpha` as uint8, pixels marked
            `ignore_index` left as they were; False: the painted images, float32.

    >>> images = np.full((1, 1, 2, 3), 100.0)
    >>> masks = np.array([[[[1], [-1]]]])
    >>> draw_segmentation_masks(images, masks, num_classes=2, color_mapping={0: (0, 0, 0),
    ...     1: (200, 0, 0)}, alpha=0.5)[0].tolist()
    [[[150, 50, 50], [100, 100, 100]]]
    """
    data_format = data_format or image_data_format()
    images = _batch(images)
    masks = np.asarray(ops.convert_to_numpy(segmentation_masks))
    if data_format == "channels_first":
        images = images.transpose(0, 2, 3, 1)
        masks = masks.transpose(0, 2, 3, 1)
    if masks.dtype.kind not in "iu":
        raise TypeError(
            f"`segmentation_masks` must be in integer dtype. Received: "
            f"segmentation_masks.dtype={masks.dtype}"
        )
    masks = masks[..., 0] if masks.ndim == 4 else masks
    images = images.astype("float32")
    if num_classes is None:
        num_classes = int(masks.max())
    if color_mapping is None:
        colors = _palette(num_classes)
    else:
        colors = [color_mapping[i] for i in range(num_classes)]
    painted = images.copy()
    for index, color in enumerate(colors):
        painted[masks == index] = np.asarray(color, "float32")
    if not blend:
        return painted
    mixed = images * (1 - alpha) + painted * alpha
    return np.where((masks != ignore_index)[..., None], mixed, images).astype("uint8")
