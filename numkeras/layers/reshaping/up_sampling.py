"""UpSampling1D/2D/3D: repeat steps, pixels or voxels (or interpolate bilinearly) to enlarge
inputs."""

import numpy as np

from numkeras import ops
from numkeras.layers import args
from numkeras.layers.layer import InputSpec, Layer


class UpSampling1D(Layer):
    """Repeats each step `size` times: (batch, steps, features) -> (batch, steps * size, ...).

    Args:
        size: the upsampling factor (2).

    >>> import numpy as np
    >>> UpSampling1D(2)(np.array([[[1.0], [2.0]]], "float32")).numpy().ravel().tolist()
    [1.0, 1.0, 2.0, 2.0]
    """

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        self.size = args.positive_int(self, "size", size)
        self.input_spec = InputSpec(ndim=3)

    def call(self, inputs):
        return ops.repeat(inputs, self.size, axis=1)

    def compute_output_shape(self, input_shape):
        steps = None if input_shape[1] is None else input_shape[1] * self.size
        return (input_shape[0], steps, input_shape[2])

    def get_config(self):
        return {**super().get_config(), "size": self.size}


class UpSampling2D(Layer):
    """Enlarges images by `size`: 'nearest' repeats pixels, 'bilinear' interpolates.

    Bilinear uses half-pixel centres with edge clamping, as Keras's `ops.image.resize`.

    Args:
        size: the (rows, columns) factors, or one int for both ((2, 2)).
        data_format: 'channels_last' (batch, height, width, channels) or 'channels_first'.
        interpolation: 'nearest' or 'bilinear'.

    >>> import numpy as np
    >>> UpSampling2D(interpolation="bilinear")(np.zeros((1, 3, 4, 2), "float32")).shape
    (1, 6, 8, 2)
    """

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.size = args.int_tuple(self, "size", size, 2)
        self.data_format = args.data_format(self, data_format)
        self.interpolation = args.choice(
            self, "interpolation", interpolation, ("nearest", "bilinear")
        )
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs):
        x = inputs if self.data_format == "channels_first" else ops.transpose(inputs, (0, 3, 1, 2))
        if self.interpolation == "nearest":
            x = ops.repeat(ops.repeat(x, self.size[0], axis=2), self.size[1], axis=3)
        else:  # two small matmuls: rows, then columns
            rows = _linear_weights(x.shape[2], self.size[0], x.dtype)
            cols = _linear_weights(x.shape[3], self.size[1], x.dtype)
            x = ops.matmul(ops.matmul(rows, x), cols.T)
        return x if self.data_format == "channels_first" else ops.transpose(x, (0, 2, 3, 1))

    def compute_output_shape(self, input_shape):
        first = 2 if self.data_format == "channels_first" else 1
        shape = list(input_shape)
        for i, factor in enumerate(self.size):
            n = shape[first + i]
            shape[first + i] = None if n is None else n * factor
        return tuple(shape)

    def get_config(self):
        return {
            **super().get_config(),
            "size": self.size,
            "data_format": self.data_format,
            "interpolation": self.interpolation,
        }


class UpSampling3D(Layer):
    """Repeats each voxel `size` times along depth, height and width.

    Args:
        size: the (depth, rows, columns) factors, or one int for all ((2, 2, 2)).
        data_format: 'channels_last' (batch, depth, height, width, channels) or
            'channels_first'.

    >>> import numpy as np
    >>> UpSampling3D()(np.zeros((1, 2, 3, 4, 5), "float32")).shape
    (1, 4, 6, 8, 5)
    """

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.size = args.int_tuple(self, "size", size, 3)
        self.data_format = args.data_format(self, data_format)
        self.input_spec = InputSpec(ndim=5)

    def _first(self):
        return 2 if self.data_format == "channels_first" else 1

    def call(self, inputs):
        for i, factor in enumerate(self.size, start=self._first()):
            inputs = ops.repeat(inputs, factor, axis=i)
        return inputs

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for i, factor in enumerate(self.size, start=self._first()):
            shape[i] = None if shape[i] is None else shape[i] * factor
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "data_format": self.data_format}


def _linear_weights(n, factor, dtype):
    """(n * factor, n) matrix of 1-D linear interpolation weights, half-pixel centres."""
    source = np.clip((np.arange(n * factor) + 0.5) / factor - 0.5, 0, n - 1)
    low = np.floor(source).astype(int)
    high = np.minimum(low + 1, n - 1)
    frac = source - low
    weights = np.zeros((n * factor, n))
    np.add.at(weights, (np.arange(n * factor), low), 1 - frac)
    np.add.at(weights, (np.arange(n * factor), high), frac)
    return ops.convert_to_tensor(weights.astype(dtype))
