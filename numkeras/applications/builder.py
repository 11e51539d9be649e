"""The steps every application shares around its own layers: argument checks, the image
input, the pooled feature head, and building the model and loading its weights."""

import os

from numkeras import backend, layers
from numkeras.models import Model
from numkeras.utils import file_utils
from numkeras.utils.graph_utils import get_source_inputs

WEIGHTS_ROOT = "https://storage.googleapis.com/tensorflow/keras-applications/"


def check_weights(weights, include_top, classes):
    """`weights` is None, "imagenet" or an existing file; ImageNet's head has 1000 classes."""
    if not (weights in ("imagenet", None) or os.path.exists(weights)):
        raise ValueError(
            "The `weights` argument should be either `None` (random initialization), "
            "'imagenet' (pre-training on ImageNet), or the path to the weights file to be "
            f"loaded.  Received: weights={weights}"
        )
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError(
            "If using `weights='imagenet'` with `include_top=True`, `classes` should be "
            f"1000.  Received classes={classes}"
        )


def channel_axis():
    return 1 if backend.image_data_format() == "channels_first" else -1


def channel_index():
    """The channel axis of 4-D images as a positive index (1 or 3): Keras's Inception and
    EfficientNet builders write it so in their layers' configs."""
    return 1 if backend.image_data_format() == "channels_first" else 3


def image_input(input_tensor, input_shape):
    """The model's image input: `input_tensor` if given (a KerasTensor), else a new Input."""
    if input_tensor is None:
        return layers.Input(shape=input_shape)
    if not backend.is_keras_tensor(input_tensor):
        raise ValueError(
            "`input_tensor` must be a KerasTensor (the output of `Input()` or of a layer). "
            f"Received: input_tensor={input_tensor!r}"
        )
    return input_tensor


def pool(x, pooling, avg_name=None, max_name=None):
    """The feature extractor's optional global pooling ("avg", "max" or None)."""
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name=avg_name)(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name=max_name)(x)
    return x


def finish(input_tensor, img_input, outputs, name, weights, imagenet_file=None):
    """The functional model from the image input (or `input_tensor`'s own sources) to
    `outputs`, with its weights loaded.

    Args:
        imagenet_file: for `weights="imagenet"`, a `(fname, origin, file_hash)` triple
            fetched through `get_file` into the cache's `models/` folder.
    """
    inputs = img_input if input_tensor is None else get_source_inputs(input_tensor)
    model = Model(inputs, outputs, name=name)
    if weights == "imagenet":
        fname, origin, file_hash = imagenet_file
        path = file_utils.get_file(fname, origin, cache_subdir="models", file_hash=file_hash)
        model.load_weights(path)
    elif weights is not None:
        model.load_weights(weights)
    return model
