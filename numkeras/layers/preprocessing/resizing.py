"""Resizing: images to a fixed height and width, plus the NumPy resize the crop layers share."""

import numpy as np

from numkeras.engine import Tensor
from numkeras.layers import args
from numkeras.layers.layer import Layer

INTERPOLATIONS = ("bilinear", "nearest")


def aspect_ratio_window(height, width, target_height, target_width):
    """The largest centred (top, left, height, width) window with the target's aspect ratio."""
    crop_height = max(min(height, int(width * target_height / target_width)), 1)
    crop_width = max(min(width, int(height * target_width / target_height)), 1)
    return (height - crop_height) // 2, (width - crop_width) // 2, crop_height, crop_width


def image_array(layer, inputs):
    """The NumPy array of `inputs`, which must be one image (rank 3) or a batch (rank 4)."""
    if inputs.ndim not in (3, 4):
        raise ValueError(
            f"{type(layer).__name__}: expected images of rank 3 (one image) or 4 "
            f"(a batch), received an input of shape {tuple(inputs.shape)}."
        )
    return inputs.data


def spatial_axes(ndim, data_format):
    """The (height, width) axes of a rank-3 or rank-4 image array."""
    return (ndim - 3, ndim - 2) if data_format == "channels_last" else (ndim - 2, ndim - 1)


def crop(images, top, left, height, width, data_format):
    h_axis, w_axis = spatial_axes(images.ndim, data_format)
    index = [slice(None)] * images.ndim
    index[h_axis], index[w_axis] = slice(top, top + height), slice(left, left + width)
    return images[tuple(index)]


def _resize_axis(x, axis, size, interpolation):
    """Resample one axis with half-pixel centres, no antialiasing (Keras on TF and on torch)."""
    n = x.shape[axis]
    scale = n / size
    centres = (np.arange(size, dtype=np.float32) + 0.5) * np.float32(scale)
    if interpolation == "nearest":
        return np.take(x, np.minimum(np.floor(centres).astype(np.int64), n - 1), axis=axis)
    source = np.maximum(centres - 0.5, 0)  # an edge pixel's outer half repeats the edge value
    low = np.minimum(np.floor(source).astype(np.int64), n - 1)
    high = np.minimum(low + 1, n - 1)
    shape = [1] * x.ndim
    shape[axis] = size
    frac = (source - low).astype(x.dtype).reshape(shape)
    return np.take(x, low, axis=axis) * (1 - frac) + np.take(x, high, axis=axis) * frac


def resize(
    images,
    size,
    interpolation="bilinear",
    crop_to_aspect_ratio=False,
    pad_to_aspect_ratio=False,
    fill_value=0.0,
    data_format="channels_last",
):
    """Resize a NumPy image or batch of images to `size` = (height, width), as Keras 3 does.

    Integer images are resized in float32, then rounded and clipped back to their dtype.
    """
    h_axis, w_axis = spatial_axes(images.ndim, data_format)
    height, width = images.shape[h_axis], images.shape[w_axis]
    x = images if images.dtype.kind == "f" else images.astype(np.float32)
    if crop_to_aspect_ratio:
        x = crop(x, *aspect_ratio_window(height, width, *size), data_format)
    elif pad_to_aspect_ratio:
        # Keras pads both sides of the short axis by the same amount: the window's centring
        pad_height = max(height, int(width * size[0] / size[1]))
        pad_width = max(width, int(height * size[1] / size[0]))
        pads = [(0, 0)] * x.ndim
        pads[h_axis] = ((pad_height - height) // 2,) * 2
        pads[w_axis] = ((pad_width - width) // 2,) * 2
        x = np.pad(x, pads, constant_values=fill_value)
    for axis, n in ((h_axis, size[0]), (w_axis, size[1])):
        if x.shape[axis] != n:
            x = _resize_axis(x, axis, n, interpolation)
    if images.dtype.kind in "iu":
        info = np.iinfo(images.dtype)
        return np.clip(np.round(x), info.min, info.max).astype(images.dtype)
    return x.astype(images.dtype)


class Resizing(Layer):
    """Resizes images (batched `(N, H, W, C)` or single `(H, W, C)`) to `(height, width)`.

    Resizing happens in training and at inference. Integer images keep their dtype (rounded);
    float images come out in the layer's dtype.

    Args:
        height, width: the output size.
        interpolation: "bilinear" (default) or "nearest".
        crop_to_aspect_ratio: crop the largest centred window with the target's aspect ratio
            first, so the image is not distorted.
        pad_to_aspect_ratio: instead pad the short side evenly with `fill_value` first.
        fill_mode: only "constant", as Keras supports.
        fill_value: the padding value.
        antialias: only False (Keras's default).
        data_format: "channels_last" or "channels_first" (default: the image data format).

    >>> import numpy as np
    >>> Resizing(1, 2)(np.array([[[0.0], [2.0], [4.0], [6.0]]])).numpy().ravel().tolist()
    [1.0, 5.0]
    """

    def __init__(
        self,
        height,
        width,
        interpolation="bilinear",
        crop_to_aspect_ratio=False,
        pad_to_aspect_ratio=False,
        fill_mode="constant",
        fill_value=0.0,
        antialias=False,
        data_format=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.height = args.positive_int(self, "height", height)
        self.width = args.positive_int(self, "width", width)
        self.interpolation = args.choice(self, "interpolation", interpolation, INTERPOLATIONS)
        self.fill_mode = args.choice(self, "fill_mode", fill_mode, ("constant",))
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError(
                "Resizing: only one of `crop_to_aspect_ratio` and "
                "`pad_to_aspect_ratio` can be True, received both."
            )
        if antialias:
            raise ValueError(
                f"Resizing: `antialias=True` is not supported, received antialias={antialias!r}."
            )
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = bool(pad_to_aspect_ratio)
        self.fill_value, self.antialias = fill_value, False
        self.data_format = args.data_format(self, data_format)

    def call(self, inputs):
        return Tensor(
            resize(
                image_array(self, inputs),
                (self.height, self.width),
                self.interpolation,
                self.crop_to_aspect_ratio,
                self.pad_to_aspect_ratio,
                self.fill_value,
                self.data_format,
            )
        )

    def compute_output_shape(self, input_shape):
        return with_spatial_size(self, input_shape, self.height, self.width, self.data_format)

    def get_config(self):
        return {
            **super().get_config(),
            "height": self.height,
            "width": self.width,
            "interpolation": self.interpolation,
            "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
            "pad_to_aspect_ratio": self.pad_to_aspect_ratio,
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
            "antialias": self.antialias,
            "data_format": self.data_format,
        }


def with_spatial_size(layer, input_shape, height, width, data_format):
    """`input_shape` (rank 3 or 4) with its height and width replaced."""
    shape = list(input_shape)
    if len(shape) not in (3, 4):
        raise ValueError(
            f"{type(layer).__name__}: expected images of rank 3 (one image) or 4 "
            f"(a batch), received input_shape={tuple(input_shape)}."
        )
    h_axis, w_axis = spatial_axes(len(shape), data_format)
    shape[h_axis], shape[w_axis] = height, width
    return tuple(shape)
