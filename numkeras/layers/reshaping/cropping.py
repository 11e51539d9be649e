"""Cropping1D/2D/3D: cut steps, rows/columns or slices off the edges of the inputs."""

from numkeras.layers import args
from numkeras.layers.layer import InputSpec, Layer, shape_str
from numkeras.layers.reshaping.zero_padding import pairs


class _Cropping(Layer):
    rank = None

    def __init__(self, cropping, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.cropping = pairs(self, "cropping", cropping, self.rank)
        self.data_format = args.data_format(self, data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _first(self):
        return 2 if self.data_format == "channels_first" else 1

    def _check(self, input_shape):
        for i, (before, after) in enumerate(self.cropping, start=self._first()):
            if input_shape[i] is not None and before + after >= input_shape[i]:
                raise ValueError(
                    f'Layer "{self.name}": cropping {self.cropping} must leave something of '
                    f"every cropped axis; input shape {shape_str(input_shape)}."
                )

    def call(self, inputs):
        self._check(inputs.shape)
        key = [slice(None)] * inputs.ndim
        for i, (before, after) in enumerate(self.cropping, start=self._first()):
            key[i] = slice(before, inputs.shape[i] - after)
        return inputs[tuple(key)]

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        shape = list(input_shape)
        for i, (before, after) in enumerate(self.cropping, start=self._first()):
            shape[i] = None if shape[i] is None else shape[i] - before - after
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping, "data_format": self.data_format}


class Cropping1D(_Cropping):
    """Cuts steps off both ends of (batch, steps, features) inputs.

    Args:
        cropping: an int (both ends) or a (before, after) pair ((1, 1)).

    >>> import numpy as np
    >>> Cropping1D((1, 2))(np.arange(5, dtype="float32").reshape(1, 5, 1)).numpy().ravel().tolist()
    [1.0, 2.0]
    """

    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(cropping, "channels_last", **kwargs)

    def get_config(self):
        return {**Layer.get_config(self), "cropping": self.cropping[0]}


class Cropping2D(_Cropping):
    """Cuts rows and columns off the edges of images.

    Args:
        cropping: an int, a (rows, columns) pair of ints, or ((top, bottom), (left, right))
            (((0, 0), (0, 0))).
        data_format: 'channels_last' (batch, height, width, channels) or 'channels_first'.

    >>> import numpy as np
    >>> Cropping2D(((2, 2), (4, 4)))(np.zeros((2, 28, 28, 3), "float32")).shape
    (2, 24, 20, 3)
    """

    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


class Cropping3D(_Cropping):
    """Cuts slices off the edges of volumes (batch, depth, height, width, channels).

    Args:
        cropping: an int, three ints, or three (before, after) pairs (((1, 1),) * 3).
        data_format: 'channels_last' or 'channels_first'.
    """

    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)
