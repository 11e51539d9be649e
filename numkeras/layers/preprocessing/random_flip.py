"""RandomFlip: flip images left-right and/or top-bottom at random, during training."""

import numpy as np

from numkeras import random
from numkeras.engine import Tensor
from numkeras.layers import args
from numkeras.layers.layer import Layer
from numkeras.layers.preprocessing.resizing import image_array, spatial_axes

MODES = ("horizontal", "vertical", "horizontal_and_vertical")


class RandomFlip(Layer):
    """Flips each image with probability 1/2 in training; the identity otherwise.

    "horizontal" flips left-right, "vertical" top-bottom. As in Keras 3,
    "horizontal_and_vertical" draws one coin per image and flips it both ways or not at all.
    Outputs are in the layer's float dtype, at inference too.

    Args:
        mode: "horizontal", "vertical" or "horizontal_and_vertical" (the default).
        seed: an int for a repeatable sequence of flips.
        data_format: "channels_last" or "channels_first" (default: the image data format).

    >>> import numpy as np
    >>> x = np.array([[[1], [2]]])
    >>> RandomFlip("horizontal")(x, training=False).numpy().ravel().tolist()  # inference
    [1.0, 2.0]
    """

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.mode = args.choice(self, "mode", mode, MODES)
        self.seed = seed
        self.seed_generator = random.SeedGenerator(seed)
        self.data_format = args.data_format(self, data_format)

    def call(self, inputs, training=True):  # as Keras: a direct call augments
        images = image_array(self, inputs).astype(self.dtype)
        if not training:
            return Tensor(images)
        batch = images if images.ndim == 4 else images[None]
        flips = random.uniform((len(batch), 1, 1, 1), seed=self.seed_generator).data <= 0.5
        h_axis, w_axis = spatial_axes(4, self.data_format)
        axes = {"horizontal": (w_axis,), "vertical": (h_axis,)}.get(self.mode, (h_axis, w_axis))
        batch = np.where(flips, np.flip(batch, axes), batch)
        return Tensor(batch if images.ndim == 4 else batch[0])

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "seed": self.seed,
            "mode": self.mode,
            "data_format": self.data_format,
        }
