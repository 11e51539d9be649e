"""RandomPerspective: move the image corners at random and warp the image to match."""

import numpy as np

from numkeras.layers.preprocessing import bounding_boxes as bb
from numkeras.layers.preprocessing.affine_transform import INTERPOLATIONS
from numkeras.layers.preprocessing.image_data_layer import ImageDataLayer, as_array, unit_factor
from numkeras.ops.image import _homography, perspective_transform


class RandomPerspective(ImageDataLayer):
    """Warps each image, with a probability drawn from `factor`, so that its corners
    (0, 0), (w-1, 0), (0, h-1), (w-1, h-1) move to `corner * (1 + d)`, each d drawn from
    [-scale/2, scale/2] per coordinate (so the top-left corner stays, as in Keras). Points
    from outside the image read `fill_value`. At inference images are cast to the layer's dtype.

    Args:
        factor: the probability of warping an image: a number p in [0, 1] (probability drawn
            from [0, p] per image) or a pair (1.0).
        scale: how far corners move, a number in [0, 1] (1.0).
        interpolation: "bilinear" (the default) or "nearest".
        fill_value: the value of points from outside the image (0.0).
        seed: an int for a repeatable sequence of warps.
        data_format: "channels_last" or "channels_first" (default: the image data format).

    Takes images, or Keras's dict of "images", "labels", "bounding_boxes" (with
    `bounding_box_format=`) and "segmentation_masks".
    """

    def __init__(
        self,
        factor=1.0,
        scale=1.0,
        interpolation="bilinear",
        fill_value=0.0,
        seed=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = unit_factor(self, factor)
        self.scale, self.fill_value, self.interpolation = scale, fill_value, interpolation
        if scale < 0.0 or scale > 1.0:
            raise ValueError(
                "The `scale` argument should be a number in the range [0,1]. "
                f"Received: scale={scale}"
            )
        if interpolation not in INTERPOLATIONS:
            raise NotImplementedError(
                f"Unknown `interpolation` {interpolation}. Expected of one {INTERPOLATIONS}."
            )

    def get_random_transformation(self, data, training=True, seed=None):
        """{"apply_perspective": (B,) bool, "start_points" and "end_points": (B, 4, 2) corners
        (x, y), "input_shape"}."""
        if not training:
            return None
        images = as_array(data["images"] if isinstance(data, dict) else data)
        n = self._batch_size(images)
        height, width = self._size(images.shape)
        probability = self._uniform((n,), *self.factor, seed=seed)
        apply = self._uniform((n,), seed=seed) < probability
        shift = self._uniform((n, 4, 2), -0.5 * self.scale, 0.5 * self.scale, seed=seed)
        corners = [[0.0, 0.0], [width - 1, 0.0], [0.0, height - 1], [width - 1, height - 1]]
        start = np.repeat(np.array([corners], self.dtype), n, 0)
        return {
            "apply_perspective": apply,
            "start_points": start,
            "end_points": (start + start * shift).astype(self.dtype),
            "input_shape": images.shape,
        }

    def _transform_images(self, images, transformation, interpolation):
        warped = perspective_transform(
            images,
            as_array(transformation["start_points"]),
            as_array(transformation["end_points"]),
            interpolation=interpolation,
            fill_value=self.fill_value,
            data_format=self.data_format,
        ).data
        apply = as_array(transformation["apply_perspective"]).astype(bool)
        return np.where(apply[:, None, None, None], warped, images)

    def transform_bounding_boxes(self, bounding_boxes, transformation=None, training=True):
        """Each box becomes the hull of its warped corners, clipped to the image (boxes warped
        out of it get label -1)."""
        if not training or transformation is None:
            return bounding_boxes
        height, width = self._size(as_array(transformation["input_shape"]).tolist())
        fmt = self.bounding_box_format
        boxes = as_array(bb.convert_format(bounding_boxes["boxes"], fmt, "xyxy", height, width))
        starts = as_array(transformation["start_points"]).astype(np.float64)
        ends = as_array(transformation["end_points"]).astype(np.float64)
        # the image's output pixel p reads the input at H p: input points move by H's inverse
        inverse = np.stack(
            [
                np.linalg.inv(np.append(_homography(s, e), 1.0).reshape(3, 3))
                for s, e in zip(starts, ends)
            ]
        )
        x1, y1, x2, y2 = np.moveaxis(boxes, -1, 0)
        xs = np.stack([x1, x2, x1, x2], -1)  # (B, N, 4 corners)
        ys = np.stack([y1, y2, y2, y1], -1)
        points = np.stack([xs, ys, np.ones_like(xs)], -1)  # (B, N, 4, 3)
        moved = np.einsum("bij,bnkj->bnki", inverse, points)
        mx, my = moved[..., 0] / moved[..., 2], moved[..., 1] / moved[..., 2]
        warped = np.stack([mx.min(-1), my.min(-1), mx.max(-1), my.max(-1)], -1)
        apply = as_array(transformation["apply_perspective"]).astype(bool)
        boxes = np.where(apply[:, None, None], warped, boxes).astype(self.dtype)
        clipped = bb.clip_to_image_size({**bounding_boxes, "boxes": boxes}, height, width, "xyxy")
        clipped["boxes"] = bb.convert_format(
            clipped["boxes"], "xyxy", fmt, height, width, self.dtype
        )
        return clipped

    def get_config(self):
        return {
            **super().get_config(),
            "factor": self.factor,
            "scale": self.scale,
            "interpolation": self.interpolation,
            "fill_value": self.fill_value,
            "seed": self.seed,
        }
