"""CenterCrop: the central window of images, at a fixed height and width."""

from numkeras.engine import Tensor
from numkeras.layers import args
from numkeras.layers.layer import Layer
from numkeras.layers.preprocessing.resizing import (
    aspect_ratio_window,
    crop,
    image_array,
    resize,
    spatial_axes,
    with_spatial_size,
)


class CenterCrop(Layer):
    """Crops the central `(height, width)` window of images, in training and at inference.

    As in Keras 3, an image smaller than the target in either dimension is instead cropped to
    the largest centred window with the target's aspect ratio and resized (bilinear) to the
    target size. When the image and target sizes differ by an odd amount, the extra row or
    column is cut from the bottom or right. Outputs are in the layer's float dtype.

    Args:
        height, width: the output size.
        data_format: "channels_last" or "channels_first" (default: the image data format).

    >>> import numpy as np
    >>> CenterCrop(1, 2)(np.arange(12).reshape(3, 4, 1)).numpy().ravel().tolist()
    [5.0, 6.0]
    """

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.height = args.positive_int(self, "height", height)
        self.width = args.positive_int(self, "width", width)
        self.data_format = args.data_format(self, data_format)

    def call(self, inputs):
        images = image_array(self, inputs).astype(self.dtype)
        return Tensor(center_crop(images, self.height, self.width, self.data_format))

    def compute_output_shape(self, input_shape):
        return with_spatial_size(self, input_shape, self.height, self.width, self.data_format)

    def get_config(self):
        return {
            **super().get_config(),
            "height": self.height,
            "width": self.width,
            "data_format": self.data_format,
        }


def center_crop(images, height, width, data_format):
    h_axis, w_axis = spatial_axes(images.ndim, data_format)
    h_diff, w_diff = images.shape[h_axis] - height, images.shape[w_axis] - width
    if h_diff >= 0 and w_diff >= 0:
        return crop(images, h_diff // 2, w_diff // 2, height, width, data_format)
    window = aspect_ratio_window(images.shape[h_axis], images.shape[w_axis], height, width)
    return resize(crop(images, *window, data_format), (height, width), data_format=data_format)
