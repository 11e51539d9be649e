"""BaseImageAugmentation: Keras 3's two-step augmentation API, draw then transform.

`get_random_transformation(images)` draws a layer's random parameters (a dict of arrays, one
entry per image), `transform_images(images, transformation)` applies them; `call` chains the
two on an image (H, W, C) or a batch (B, H, W, C) when training. Passing the same dict to
numkeras and to Keras transforms the same way, which is how the tests pin the maths.
"""

import numpy as np

from numkeras import ops, random
from numkeras.backend import floatx
from numkeras.engine import Tensor
from numkeras.layers import args
from numkeras.layers.layer import Layer


def image_batch(layer, images):
    """(float batch (B, H, W, C) or (B, C, H, W), whether the input was a single image)."""
    if isinstance(images, dict):
        images = images["images"]
    x = np.asarray(ops.convert_to_numpy(images), floatx())
    if x.ndim not in (3, 4):
        raise ValueError(
            f"{type(layer).__name__}: expected an image (rank 3) or a batch of "
            f"images (rank 4), received inputs.shape={x.shape}."
        )
    return (x[None], True) if x.ndim == 3 else (x, False)


def rescale(x, source, target):
    """Map pixel values linearly from the `source` range to the `target` range."""
    if tuple(source) == tuple(target):
        return x
    return (x - source[0]) / (source[1] - source[0]) * (target[1] - target[0]) + target[0]


def as_array(value):
    """A transformation entry (a numkeras, Keras or NumPy value) as a NumPy array."""
    return np.asarray(ops.convert_to_numpy(value))


class BaseImageAugmentation(Layer):
    """Runs `get_random_transformation` then `_transform` (NumPy batch to NumPy batch).

    The identity at inference (cast to float where Keras casts, `_float_at_inference`); a
    direct call trains, as in Keras.
    """

    _float_at_inference = False

    def __init__(self, data_format=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = args.data_format(self, data_format)
        self.seed = seed
        self.seed_generator = random.SeedGenerator(seed)

    def batch_size(self, data):
        return len(image_batch(self, data)[0])

    def generator(self, seed=None):
        """Where draws come from: `seed` (a SeedGenerator) if given, else the layer's own."""
        return seed or self.seed_generator

    def uniform(self, shape, low, high, seed=None):
        return random.uniform(shape, low, high, seed=self.generator(seed)).numpy()

    def get_random_transformation(self, data, training=True, seed=None):
        return None

    def transform_images(self, images, transformation=None, training=True):
        """Applies `transformation` (as `get_random_transformation` returns) to `images`."""
        x, single = image_batch(self, images)
        if training:
            x = self._transform(x, transformation)
        return Tensor(x[0] if single else x)

    def call(self, inputs, training=True):  # as Keras: a direct call augments
        if not training and not self._float_at_inference:
            return inputs
        x, single = image_batch(self, inputs)
        if not training:
            return Tensor(x[0] if single else x)
        y = self._transform(x, self.get_random_transformation(x, training=True))
        return Tensor(y[0] if single else y)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}
