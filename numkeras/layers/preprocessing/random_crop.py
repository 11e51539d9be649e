"""RandomCrop: a random window of images at a fixed size, during training."""

from numkeras import random
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


class RandomCrop(Layer):
    """Crops images to `(height, width)` at a random place in training; the identity otherwise.

    Every image of a batch is cropped at the same place. As in Keras 3's code (its docstring
    says otherwise), inference returns the inputs unchanged, uncropped. In training, an image
    not larger than the target in both dimensions is cut from its centred aspect-ratio window
    and resized (bilinear) to the target, as Keras does. Training outputs are in the layer's
    float dtype.

    Args:
        height, width: the output size.
        seed: an int for a repeatable sequence of crops.
        data_format: "channels_last" or "channels_first" (default: the image data format).

    >>> import numpy as np
    >>> RandomCrop(2, 2, seed=0)(np.zeros((3, 4, 1)), training=True).shape
    (2, 2, 1)
    """

    def __init__(self, height, width, seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.height = args.positive_int(self, "height", height)
        self.width = args.positive_int(self, "width", width)
        self.seed_generator = random.SeedGenerator(seed)
        self.seed = self.seed_generator.seed  # as Keras, the config holds the seed drawn for None
        self.data_format = args.data_format(self, data_format)

    def call(self, inputs, training=True):  # as Keras: a direct call augments
        if not training:
            return inputs
        images = image_array(self, inputs).astype(self.dtype)
        h_axis, w_axis = spatial_axes(images.ndim, self.data_format)
        height, width = images.shape[h_axis], images.shape[w_axis]
        if height > self.height and width > self.width:
            top = int(random.randint((), 0, height - self.height + 1, seed=self.seed_generator))
            left = int(random.randint((), 0, width - self.width + 1, seed=self.seed_generator))
        else:
            top, left = aspect_ratio_window(height, width, self.height, self.width)[:2]
        # Keras cuts the target size from the window's corner, then resizes what it got
        images = crop(images, top, left, self.height, self.width, self.data_format)
        if images.shape[h_axis] != self.height or images.shape[w_axis] != self.width:
            images = resize(images, (self.height, self.width), data_format=self.data_format)
        return Tensor(images)

    def compute_output_shape(self, input_shape):
        return with_spatial_size(self, input_shape, self.height, self.width, self.data_format)

    def get_config(self):
        return {
            **super().get_config(),
            "height": self.height,
            "width": self.width,
            "seed": self.seed,
            "data_format": self.data_format,
        }
