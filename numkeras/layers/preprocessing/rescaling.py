"""Rescaling: `inputs * scale + offset`, e.g. pixel values from [0, 255] to [0, 1]."""

import numpy as np

from numkeras import ops
from numkeras.backend import image_data_format
from numkeras.layers.layer import Layer


class Rescaling(Layer):
    """Casts the inputs to the layer's float dtype and returns `inputs * scale + offset`.

    Args:
        scale: a number, or per-channel values (an array broadcast over the last axis, or over
            axis 1 when the image data format is channels_first).
        offset: a number or per-channel values added after scaling (0.0).

    >>> import numpy as np
    >>> Rescaling(1 / 127.5, offset=-1)(np.array([0, 255], "uint8")).numpy().tolist()
    [-1.0, 1.0]
    """

    supports_masking = True  # the input's mask passes to the output, as in Keras

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale, self.offset = _value(self, "scale", scale), _value(self, "offset", offset)

    def call(self, inputs):
        scale = np.asarray(self.scale, self.dtype)
        offset = np.asarray(self.offset, self.dtype)
        if scale.ndim and image_data_format() == "channels_first":
            scale = scale.reshape(scale.shape + (1,) * (3 - scale.ndim))
        return ops.cast(inputs, self.dtype) * scale + offset

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "scale": _config(self.scale),
            "offset": _config(self.offset),
        }


def _value(layer, name, value):
    """A number stays a number; arrays and lists (or Keras's `__numpy__` config) become arrays."""
    if isinstance(value, dict) and value.get("class_name") == "__numpy__":
        value = np.array(value["config"]["value"], dtype=value["config"].get("dtype"))
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return value
    array = np.asarray(ops.convert_to_numpy(value) if ops.is_tensor(value) else value)
    if array.dtype.kind not in "iuf":
        raise ValueError(
            f"{type(layer).__name__}: `{name}` must be a number or an array of numbers, "
            f"received {name}={value!r}."
        )
    return array


def _config(value):
    if isinstance(value, np.ndarray):  # Keras 3's format for arrays in configs
        return {
            "class_name": "__numpy__",
            "config": {"value": value.tolist(), "dtype": value.dtype.name},
        }
    return value
