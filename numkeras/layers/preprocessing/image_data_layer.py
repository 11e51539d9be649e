"""ImageDataLayer: Keras 3's image preprocessing protocol, on images or on a dict of images,
labels, bounding boxes and segmentation masks.

A layer draws its random parameters once per call with `get_random_transformation(data)` (a
dict of NumPy arrays, one entry per image), then applies them to every part of the data with
`transform_images`, `transform_labels`, `transform_bounding_boxes` and
`transform_segmentation_masks`, so an image, its boxes and its mask move together. Passing
the same transformation dict to numkeras and to Keras transforms the same way.
"""

import numpy as np

from numkeras import ops, random
from numkeras.engine import Tensor
from numkeras.layers import args
from numkeras.layers.layer import Layer


def as_array(value):
    """A numkeras, Keras, torch or NumPy value as a NumPy array."""
    if isinstance(value, Tensor):
        return value.data
    if hasattr(value, "detach"):  # a torch tensor (Keras's torch backend)
        value = value.detach().cpu()
    return np.asarray(ops.convert_to_numpy(value) if hasattr(value, "numpy") else value)


def unit_factor(layer, factor, name="factor", bounds=(0, 1)):
    """Keras's `_set_factor`: a number f gives (max(-|f|, low), |f|), a pair is sorted."""
    message = (
        f"The `{name}` argument should be a number (or a list of two numbers) in the range "
        f"[{bounds[0]}, {bounds[1]}]. Received: factor={factor}"
    )
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or factor[0] > bounds[1] or factor[1] < bounds[0]:
            raise ValueError(message)
        return tuple(sorted(factor))
    if isinstance(factor, (int, float)) and not isinstance(factor, bool):
        if not bounds[0] <= factor <= bounds[1]:
            raise ValueError(message)
        return max(-abs(factor), bounds[0]), abs(factor)
    raise ValueError(message)


class ImageDataLayer(Layer):
    """The base of the dict-aware image layers: subclasses define `get_random_transformation`
    and `_transform_images` (a NumPy batch in, a NumPy batch out), and override the other
    `transform_*` methods where labels, boxes or masks change differently from the images.
    """

    def __init__(self, bounding_box_format=None, data_format=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.bounding_box_format = bounding_box_format
        self.data_format = args.data_format(self, data_format)
        self.seed = seed
        self.seed_generator = random.SeedGenerator(seed)

    # the random draws and the image geometry

    def _generator(self, seed=None):
        """The SeedGenerator to draw from: the layer's, or one for an explicit int `seed`."""
        if seed is None:
            return self.seed_generator
        return seed if isinstance(seed, random.SeedGenerator) else random.SeedGenerator(seed)

    def _uniform(self, shape, low=0.0, high=1.0, seed=None):
        return random.uniform(shape, low, high, seed=self._generator(seed)).data

    def _batch_size(self, data):
        images = as_array(data["images"] if isinstance(data, dict) else data)
        return 1 if images.ndim == 3 else images.shape[0]

    def _size(self, shape):
        """(height, width) of an image or batch shape in the layer's data format."""
        shape = tuple(shape)
        return shape[-3:-1] if self.data_format == "channels_last" else shape[-2:]

    def get_random_transformation(self, data, training=True, seed=None):
        return None

    # the transforms, on batches (Keras's public API)

    def _transform_images(self, images, transformation, interpolation):
        raise NotImplementedError

    def transform_images(self, images, transformation=None, training=True):
        """The images (a batch, or one image) in the layer's dtype, transformed if training."""
        x = as_array(images).astype(self.dtype)
        if training and transformation is not None:
            batch = x[None] if x.ndim == 3 else x
            batch = self._transform_images(batch, transformation, self.interpolation)
            x = np.asarray(batch[0] if x.ndim == 3 else batch, self.dtype)
        return Tensor(x)

    def transform_labels(self, labels, transformation=None, training=True):
        return Tensor(as_array(labels))

    def transform_bounding_boxes(self, bounding_boxes, transformation=None, training=True):
        raise NotImplementedError(
            f"{type(self).__name__} does not transform bounding boxes (as in Keras)."
        )

    def transform_segmentation_masks(self, segmentation_masks, transformation=None, training=True):
        """The masks moved as the images are, read with nearest interpolation (same dtype)."""
        masks = as_array(segmentation_masks)
        if training and transformation is not None:
            masks = self._transform_images(masks, transformation, "nearest").astype(masks.dtype)
        return Tensor(masks)

    # the dispatch over Keras's input structure

    def _check_rank(self, images):
        if images.ndim not in (3, 4):
            raise ValueError(
                f"{type(self).__name__}: expected an image (rank 3) or a batch of images "
                f"(rank 4), received inputs.shape={images.shape}."
            )
        return images.ndim == 4

    def call(self, data, training=True):  # as Keras: a direct call augments
        if not isinstance(data, dict):
            batched = self._check_rank(as_array(data))
            transformation = self.get_random_transformation(data, training=training)
            return self._apply(self.transform_images, data, transformation, training, batched)
        batched = self._check_rank(as_array(data["images"]))
        if "bounding_boxes" in data:
            self._check_bounding_boxes(data["bounding_boxes"])
        transformation = self.get_random_transformation(data, training=training)
        out = dict(data)
        out["images"] = self._apply(
            self.transform_images, data["images"], transformation, training, batched
        )
        if "bounding_boxes" in data:
            boxes = {k: as_array(v) for k, v in data["bounding_boxes"].items()}
            if not batched:
                boxes = {k: v[None] if k in ("boxes", "labels") else v for k, v in boxes.items()}
            boxes = self.transform_bounding_boxes(boxes, transformation, training=training)
            if not batched:
                boxes = {k: v[0] if k in ("boxes", "labels") else v for k, v in boxes.items()}
            out["bounding_boxes"] = {k: Tensor(as_array(v)) for k, v in boxes.items()}
        for key, method in (
            ("labels", self.transform_labels),
            ("segmentation_masks", self.transform_segmentation_masks),
        ):
            if key in data:
                out[key] = self._apply(method, data[key], transformation, training, batched)
        return out

    @staticmethod
    def _apply(method, value, transformation, training, batched):
        """`method` on a batch; a single item goes through as a batch of one."""
        value = as_array(value)
        if batched:
            return method(value, transformation, training=training)
        return Tensor(as_array(method(value[None], transformation, training=training))[0])

    def _check_bounding_boxes(self, bounding_boxes):
        if not self.bounding_box_format:
            raise ValueError(
                "You passed an input with a 'bounding_boxes' key, but you didn't specify a "
                "bounding box format. Pass a `bounding_box_format` argument to your "
                f"{type(self).__name__} layer, e.g. `bounding_box_format='xyxy'`."
            )
        if not isinstance(bounding_boxes, dict) or not {"boxes", "labels"} <= set(bounding_boxes):
            raise ValueError(
                f"{type(self).__name__}: `bounding_boxes` must be a dict with keys 'boxes' and "
                f"'labels', received {bounding_boxes!r}."
            )

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {**super().get_config(), "data_format": self.data_format}
        if self.bounding_box_format is not None:
            config["bounding_box_format"] = self.bounding_box_format
        return config
