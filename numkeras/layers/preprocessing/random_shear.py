"""RandomShear: shear each image along x and/or y by a random amount (boxes and masks too)."""

import numpy as np

from numkeras.layers.preprocessing import bounding_boxes as bb
from numkeras.layers.preprocessing.affine_transform import (
    FILL_MODES,
    INTERPOLATIONS,
    affine_transform,
)
from numkeras.layers.preprocessing.image_data_layer import ImageDataLayer, as_array


def _shear_range(factor, name):
    """Keras's shear factor: a number f in [0, 1] gives (-f, f); a pair in [0, 1] is sorted."""
    message = (
        "The `factor` argument should be a number (or a list of two numbers) in the range "
        "[0, 1.0]. "
    )
    pair = isinstance(factor, (tuple, list))
    if pair and len(factor) != 2 or not pair and not isinstance(factor, (int, float)):
        raise ValueError(message + f"Received: {name}={factor}")
    for value in factor if pair else (factor,):
        if not 0.0 <= value <= 1.0:
            raise ValueError(message + f"Received: input_number={value}")
    return tuple(sorted(factor)) if pair else (-abs(factor), abs(factor))


class RandomShear(ImageDataLayer):
    """Shears each image by random amounts during training: the output pixel (x, y) reads the
    input at (x + sx y, y + sy x), each amount drawn from its factor range with a random sign
    per image. At inference the images pass through cast to the layer's dtype.

    Args:
        x_factor: a number f in [0, 1] (amounts in [-f, f]) or a pair (lower, upper) in
            [0, 1]: the horizontal shear, as a fraction of the height crossed.
        y_factor: the same for the vertical shear.
        interpolation: "bilinear" (the default) or "nearest".
        fill_mode: "reflect" (the default), "wrap", "constant" or "nearest".
        fill_value: the value outside the image when `fill_mode="constant"` (0.0).
        data_format: "channels_last" or "channels_first" (default: the image data format).
        seed: an int for a repeatable sequence of shears.

    Takes images, or Keras's dict of "images", "labels", "bounding_boxes" (with
    `bounding_box_format=`) and "segmentation_masks".

    >>> import numpy as np
    >>> layer = RandomShear(x_factor=(0.5, 0.5), fill_mode="constant", seed=0)
    >>> t = {"shear_factor": np.array([[1.0, 0.0]]), "input_shape": (1, 2, 2, 1)}
    >>> layer.transform_images(np.arange(4.0).reshape(1, 2, 2, 1), t)[0, :, :, 0].numpy()
    array([[0., 1.],
           [3., 0.]], dtype=float32)
    """

    def __init__(
        self,
        x_factor=0.0,
        y_factor=0.0,
        interpolation="bilinear",
        fill_mode="reflect",
        fill_value=0.0,
        data_format=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.x_factor = _shear_range(x_factor, "x_factor")
        self.y_factor = _shear_range(y_factor, "y_factor")
        if fill_mode not in FILL_MODES:
            raise NotImplementedError(
                f"Unknown `fill_mode` {fill_mode}. Expected of one {FILL_MODES}."
            )
        if interpolation not in INTERPOLATIONS:
            raise NotImplementedError(
                f"Unknown `interpolation` {interpolation}. Expected of one {INTERPOLATIONS}."
            )
        self.fill_mode, self.fill_value, self.interpolation = fill_mode, fill_value, interpolation

    def get_random_transformation(self, data, training=True, seed=None):
        """{"shear_factor": (B, 2) signed (sx, sy) per image, "input_shape": the shape}."""
        if not training:
            return None
        images = as_array(data["images"] if isinstance(data, dict) else data)
        n = self._batch_size(images)
        sign = np.where(self._uniform((n, 1), seed=seed) > 0.5, -1.0, 1.0)
        shear_y = self._uniform((n, 1), *self.y_factor, seed=seed)
        shear_x = self._uniform((n, 1), *self.x_factor, seed=seed)
        shear = (np.concatenate([shear_x, shear_y], 1) * sign).astype(self.dtype)
        return {"shear_factor": shear, "input_shape": images.shape}

    def _transform_images(self, images, transformation, interpolation):
        shear = as_array(transformation["shear_factor"]).astype(np.float32)
        one, zero = np.ones(len(shear)), np.zeros(len(shear))
        rows = np.stack([one, shear[:, 0], zero, shear[:, 1], one, zero, zero, zero], 1)
        return affine_transform(
            images, rows, interpolation, self.fill_mode, self.fill_value, self.data_format
        )

    def transform_bounding_boxes(self, bounding_boxes, transformation=None, training=True):
        """Each box becomes the hull of its sheared corners (x first, then y from the new x,
        as Keras does), clipped to the image; boxes sheared out of it get label -1."""
        if not training or transformation is None:
            return bounding_boxes
        height, width = self._size(as_array(transformation["input_shape"]).tolist())
        shear = as_array(transformation["shear_factor"]).astype(self.dtype)
        sx, sy = shear[:, :1], shear[:, 1:]  # (B, 1) against boxes (B, N)
        boxes = as_array(
            bb.convert_format(
                bounding_boxes["boxes"], self.bounding_box_format, "xyxy", height, width
            )
        )
        x1, y1, x2, y2 = np.moveaxis(boxes, -1, 0)
        x1, x2 = (
            np.where(sx < 0, x1 - sx * y1, x1 - sx * y2),
            np.where(sx < 0, x2 - sx * y2, x2 - sx * y1),
        )
        y1, y2 = (
            np.where(sy > 0, y1 - sy * x2, y1 - sy * x1),
            np.where(sy > 0, y2 - sy * x1, y2 - sy * x2),
        )
        clipped = bb.clip_to_image_size(
            {**bounding_boxes, "boxes": np.stack([x1, y1, x2, y2], -1)}, height, width, "xyxy"
        )
        clipped["boxes"] = bb.convert_format(
            clipped["boxes"], "xyxy", self.bounding_box_format, height, width, self.dtype
        )
        return clipped

    @classmethod
    def from_config(cls, config):
        """Reads back the (-f, f) ranges a number f is saved as (Keras's own check refuses
        them, so Keras cannot reload `RandomShear(0.2)`)."""
        config = dict(config)
        for key in ("x_factor", "y_factor"):
            value = config.get(key)
            if isinstance(value, (tuple, list)) and len(value) == 2 and value[0] == -value[1]:
                config[key] = value[1]
        return cls(**config)

    def get_config(self):
        return {
            **super().get_config(),
            "x_factor": self.x_factor,
            "y_factor": self.y_factor,
            "fill_mode": self.fill_mode,
            "interpolation": self.interpolation,
            "seed": self.seed,
            "fill_value": self.fill_value,
        }
