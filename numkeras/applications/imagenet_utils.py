"""ImageNet helpers shared by the applications: input preprocessing in the three modes the
pretrained weights expect, decoding of the 1000-class predictions, and the input-shape and
padding rules the architectures share."""

import json
import warnings

import numpy as np

from numkeras import activations, backend, ops
from numkeras.utils import file_utils

__all__ = ["decode_predictions", "preprocess_input"]

CLASS_INDEX = None  # {"0": [wordnet id, name], ...}, read once from Keras's JSON file
CLASS_INDEX_PATH = (
    "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json"
)
CLASS_INDEX_HASH = "c2c37ea517e94d9795004a39431a14cb"

_CAFFE_MEAN = (103.939, 116.779, 123.68)  # BGR means of the ImageNet training set
_TORCH_MEAN = (0.485, 0.456, 0.406)
_TORCH_STD = (0.229, 0.224, 0.225)
_MODES = ("caffe", "tf", "torch")


def preprocess_input(x, data_format=None, mode="caffe"):
    """Scale a batch of RGB images in [0, 255] the way an ImageNet model was trained.

    Args:
        x: a float NumPy array (written over, as Keras does) or a tensor, 3D or 4D,
            with 3 colour channels.
        data_format: "channels_last" or "channels_first"; None reads the global setting.
        mode: "caffe" (RGB to BGR, then subtract the ImageNet channel means), "tf" (scale
            to [-1, 1]) or "torch" (scale to [0, 1], then standardize each channel).

    Returns:
        The preprocessed float32 array or tensor.
    """
    if mode not in _MODES:
        raise ValueError(
            f"Expected mode to be one of `caffe`, `tf` or `torch`. Received: mode={mode}"
        )
    if data_format is None:
        data_format = backend.image_data_format()
    elif data_format not in ("channels_first", "channels_last"):
        raise ValueError(
            "Expected data_format to be one of `channels_first` or `channels_last`. "
            f"Received: data_format={data_format}"
        )
    if isinstance(x, np.ndarray):
        return _preprocess_array(x, data_format, mode)
    return _preprocess_tensor(x, data_format, mode)


def _channel_shape(ndim, data_format):
    """The shape that broadcasts a per-channel vector of 3 over an image batch."""
    if data_format == "channels_first":
        return (3, 1, 1) if ndim == 3 else (1, 3) + (1,) * (ndim - 2)
    return (1,) * (ndim - 1) + (3,)


def _reverse_channels(x, data_format):
    """RGB to BGR: a view for arrays (so the caller's array is written over)."""
    if data_format == "channels_last":
        return x[..., ::-1]
    return x[::-1] if x.ndim == 3 else x[:, ::-1]


def _preprocess_array(x, data_format, mode):
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(backend.floatx())
    if mode == "tf":
        x /= 127.5
        x -= 1.0
        return x
    shape = _channel_shape(x.ndim, data_format)
    if mode == "torch":
        x /= 255.0
        x -= np.reshape(_TORCH_MEAN, shape).astype(x.dtype)
        x /= np.reshape(_TORCH_STD, shape).astype(x.dtype)
        return x
    x = _reverse_channels(x, data_format)
    x -= np.reshape(_CAFFE_MEAN, shape).astype(x.dtype)
    return x


def _preprocess_tensor(x, data_format, mode):
    x = ops.convert_to_tensor(x)
    if mode == "tf":
        return x / 127.5 - 1.0
    shape = _channel_shape(len(x.shape), data_format)
    if mode == "torch":
        mean = ops.convert_to_tensor(np.reshape(_TORCH_MEAN, shape), dtype=x.dtype)
        std = ops.convert_to_tensor(np.reshape(_TORCH_STD, shape), dtype=x.dtype)
        return (x / 255.0 - mean) / std
    axis = -1 if data_format == "channels_last" else (0 if len(x.shape) == 3 else 1)
    x = ops.flip(x, axis=axis)
    return x - ops.convert_to_tensor(np.reshape(_CAFFE_MEAN, shape), dtype=x.dtype)


def decode_predictions(preds, top=5):
    """The `top` classes of each row of a (samples, 1000) batch of ImageNet predictions.

    Returns:
        One list per sample of `(wordnet id, class name, score)` tuples, best first.
    """
    global CLASS_INDEX
    if len(preds.shape) != 2 or preds.shape[1] != 1000:
        raise ValueError(
            "`decode_predictions` expects a batch of predictions (i.e. a 2D array of shape "
            f"(samples, 1000)). Received array with shape: {tuple(preds.shape)}"
        )
    if CLASS_INDEX is None:
        path = file_utils.get_file(
            "imagenet_class_index.json",
            CLASS_INDEX_PATH,
            cache_subdir="models",
            file_hash=CLASS_INDEX_HASH,
        )
        with open(path) as f:
            CLASS_INDEX = json.load(f)
    results = []
    for pred in ops.convert_to_numpy(preds):
        best = pred.argsort()[-top:][::-1]
        row = [tuple(CLASS_INDEX[str(i)]) + (pred[i],) for i in best]
        row.sort(key=lambda item: item[2], reverse=True)
        results.append(row)
    return results


def obtain_input_shape(
    input_shape, default_size, min_size, data_format, require_flatten, weights=None
):
    """The model's input shape: `input_shape` checked against the architecture's rules, or
    the default (`default_size` square with a classifier head, any size without)."""
    first = data_format == "channels_first"
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        channels = input_shape[0] if first else input_shape[-1]
        if channels not in (1, 3):
            warnings.warn(
                "This model usually expects 1 or 3 input channels. However, it was passed "
                f"an input_shape with {channels} input channels.",
                stacklevel=3,
            )
    else:
        channels = 3
    if first:
        default_shape = (channels, default_size, default_size)
    else:
        default_shape = (default_size, default_size, channels)
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and tuple(input_shape) != default_shape:
            raise ValueError(
                "When setting `include_top=True` and loading `imagenet` weights, "
                f"`input_shape` should be {default_shape}.  Received: input_shape={input_shape}"
            )
        return default_shape
    if input_shape:
        input_shape = tuple(input_shape)
        if len(input_shape) != 3:
            raise ValueError("`input_shape` must be a tuple of three integers.")
        channels, rows, cols = input_shape if first else (input_shape[2],) + input_shape[:2]
        if channels != 3 and weights == "imagenet":
            raise ValueError(
                f"The input must have 3 channels; Received `input_shape={input_shape}`"
            )
        if any(d is not None and d < min_size for d in (rows, cols)):
            raise ValueError(
                f"Input size must be at least {min_size}x{min_size}; Received: "
                f"input_shape={input_shape}"
            )
    elif require_flatten:
        input_shape = default_shape
    else:
        input_shape = (3, None, None) if first else (None, None, 3)
    if require_flatten and None in input_shape:
        raise ValueError(
            "If `include_top` is True, you should specify a static `input_shape`. "
            f"Received: input_shape={input_shape}"
        )
    return input_shape


def correct_pad(inputs, kernel_size):
    """The ((top, bottom), (left, right)) zero padding that makes a strided 'valid' conv
    see the same windows as TensorFlow's 'same' padding."""
    first = backend.image_data_format() == "channels_first"
    rows, cols = inputs.shape[2:4] if first else inputs.shape[1:3]
    if isinstance(kernel_size, int):
        kernel_size = (kernel_size, kernel_size)
    adjust = (1, 1) if rows is None else (1 - rows % 2, 1 - cols % 2)
    half = (kernel_size[0] // 2, kernel_size[1] // 2)
    return ((half[0] - adjust[0], half[0]), (half[1] - adjust[1], half[1]))


def validate_activation(classifier_activation, weights):
    """Pretrained heads were trained with softmax: only it (or None, the logits) fits them."""
    if weights is None:
        return
    activation = activations.get(classifier_activation)
    if activation not in (activations.get("softmax"), activations.get(None)):
        raise ValueError(
            "Only `None` and `softmax` activations are allowed for the "
            "`classifier_activation` argument when using pretrained weights, with "
            f"`include_top=True`; Received: classifier_activation={classifier_activation}"
        )
