"""The demo's JSON API: check a posted 28x28 image, run the model layer by layer, summarise it.

Pure functions of a model and a request body; `numkeras.web.server` adds the HTTP around them.
"""

import json
import math

import numpy as np

from numkeras.engine.autodiff import no_grad
from numkeras.layers.convolutional.base_conv import BaseConv
from numkeras.layers.input_layer import InputLayer
from numkeras.layers.pooling.base_pooling import BasePooling
from numkeras.models.functional import Functional
from numkeras.models.sequential import Sequential
from numkeras.tree import flatten

IMAGE_SIZE = 28
_EXPECTED = '{"image": [[...28 rows of 28 numbers in 0..1...]]}'


class ApiError(Exception):
    """A request the API refuses: an HTTP status and a message for the JSON error body."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status, self.message = status, message


def _reject_constant(name):
    raise ValueError(f"{name} is not a number JSON allows")


def parse_image(body):
    """The `image` of a JSON body as a (28, 28) float32 array in [0, 1], or an ApiError."""
    try:
        payload = json.loads(body, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:  # too deep: RecursionError
        raise ApiError(400, f"The body is not valid JSON ({e}); expected {_EXPECTED}.") from None
    if not isinstance(payload, dict) or "image" not in payload:
        got = "an object without 'image'" if isinstance(payload, dict) else type(payload).__name__
        raise ApiError(400, f"Expected a JSON object {_EXPECTED}, got {got}.")
    rows = payload["image"]
    if not isinstance(rows, list) or len(rows) != IMAGE_SIZE:
        got = f"{len(rows)} rows" if isinstance(rows, list) else type(rows).__name__
        raise ApiError(422, f"'image' must be a list of {IMAGE_SIZE} rows, got {got}.")
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != IMAGE_SIZE:
            got = f"{len(row)} values" if isinstance(row, list) else type(row).__name__
            raise ApiError(422, f"Row {i} of 'image' must hold {IMAGE_SIZE} numbers, got {got}.")
        for j, v in enumerate(row):
            # bool is an int in Python, but `true` is not a pixel value
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise ApiError(422, f"image[{i}][{j}] must be a number, got {json.dumps(v)}.")
            if not math.isfinite(v) or not 0 <= v <= 1:
                raise ApiError(422, f"image[{i}][{j}] must be in [0, 1], got {v!r}.")
    return np.asarray(rows, dtype="float32")


def _input_shape(model):
    if isinstance(model, Functional):
        return tuple(model.inputs[0].shape)
    return tuple(getattr(model, "_input_batch_shape", None) or (None, 28, 28, 1))


def _as_model_input(model, image):
    """The image as one sample in the model's input layout: (1, 28, 28, 1), (1, 784), ..."""
    shape = _input_shape(model)[1:]
    if None in shape or int(np.prod(shape)) != image.size:
        raise ApiError(
            422,
            f"The model expects inputs of shape {shape}; a {image.shape} image does not fit it.",
        )
    return image.reshape((1,) + shape)


def _numpy(value):
    return np.asarray(value.data if hasattr(value, "data") else value)


def layer_outputs(model, x):
    """[(layer, output array)] for every layer call in order, then the model's output.

    Sequential and functional models run one layer at a time, as `Model.call` does, so the
    intermediate outputs come for free; other models report only their output.
    """
    with no_grad():
        if isinstance(model, Sequential):
            outputs = []
            for layer in model.layers:
                x = layer(x, training=False)
                outputs.append((layer, _numpy(x)))
            return outputs, _numpy(x)
        if isinstance(model, Functional) and len(model.inputs) == 1:
            outputs = []
            values = model._run_nodes(
                x,
                training=False,
                on_node=lambda node, out: outputs.append((node.operation, _numpy(flatten(out)[0]))),
            )
            return outputs, _numpy(values[id(model.outputs[0])])
        return [], _numpy(model(x, training=False))


def feature_maps(output, data_format="channels_last"):
    """One sample's (H, W, C) activations as C maps of uint8 0..255, each scaled to its own
    range (a constant map is all 0)."""
    maps = output[0] if data_format == "channels_first" else np.moveaxis(output[0], -1, 0)
    maps = maps.astype("float32")
    low = maps.min(axis=(1, 2), keepdims=True)
    span = maps.max(axis=(1, 2), keepdims=True) - low
    scaled = np.where(span > 0, (maps - low) / np.where(span > 0, span, 1), 0)
    return np.rint(scaled * 255).astype("uint8").tolist()


def _is_map_layer(layer, output):
    return isinstance(layer, (BaseConv, BasePooling)) and output.ndim == 4


def _probabilities(output):
    p = output.reshape(-1).astype("float64")
    if p.min() < 0 or abs(p.sum() - 1) > 1e-3:  # logits, not a softmax output
        p = np.exp(p - p.max())
        p /= p.sum()
    return p


def predict(model, image):
    """The model's answer for a (28, 28) image: digit, probabilities, conv/pool feature maps.

    >>> from numkeras import Sequential, layers
    >>> model = Sequential([layers.Input((784,)), layers.Dense(10, activation="softmax")])
    >>> result = predict(model, np.zeros((28, 28), "float32"))
    >>> sorted(result), len(result["probabilities"]), result["layers"]
    (['layers', 'prediction', 'probabilities'], 10, [])
    """
    outputs, final = layer_outputs(model, _as_model_input(model, image))
    probabilities = _probabilities(final)
    layers = [
        {
            "name": layer.name,
            "type": type(layer).__name__,
            "shape": list(out.shape[1:]),
            "maps": feature_maps(out, getattr(layer, "data_format", "channels_last")),
        }
        for layer, out in outputs
        if _is_map_layer(layer, out)
    ]
    return {
        "prediction": int(np.argmax(probabilities)),
        "probabilities": [round(float(p), 6) for p in probabilities],
        "layers": layers,
    }


def _shape(shape):
    return None if shape is None else [None if d is None else int(d) for d in shape]


def _output_shapes(model):
    if isinstance(model, Functional):
        shapes = {}
        for node in model._nodes:
            shapes[id(node.layer)] = flatten(node.outputs)[0].shape
        return shapes
    return {id(layer): getattr(layer, "_built_output_shape", None) for layer in model.layers}


def _count(weights):
    return int(sum(v.size for v in weights))


def model_summary(model):
    """The `model.summary()` table as JSON: each layer's name, type, output shape and
    parameter count, and the totals."""
    shapes = _output_shapes(model)
    layers = []
    for layer in model.layers:
        shape = layer.batch_shape if isinstance(layer, InputLayer) else shapes.get(id(layer))
        layers.append(
            {
                "name": layer.name,
                "type": type(layer).__name__,
                "output_shape": _shape(shape),
                "params": _count(layer.weights),
            }
        )
    total, trainable = _count(model.weights), _count(model.trainable_weights)
    return {
        "name": model.name,
        "type": type(model).__name__,
        "input_shape": _shape(_input_shape(model)),
        "layers": layers,
        "total_params": total,
        "trainable_params": trainable,
        "non_trainable_params": total - trainable,
    }
