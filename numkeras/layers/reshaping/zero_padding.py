"""ZeroPadding1D/2D/3D: add zeros around sequences, images and volumes."""

from numkeras import ops
from numkeras.layers import args
from numkeras.layers.layer import InputSpec, Layer


def _pair(value):
    """(before, after) from an int or a pair of non-negative ints, else None."""
    value = (value, value) if isinstance(value, int) and not isinstance(value, bool) else value
    if (
        not isinstance(value, (list, tuple))
        or len(value) != 2
        or any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in value)
    ):
        return None
    return tuple(value)


def pairs(layer, name, value, rank):
    """Keras's padding/cropping forms as ((before, after),) * rank of non-negative ints."""
    if rank == 1:
        found = (_pair(value),)
    else:
        given = (value,) * rank if isinstance(value, int) and not isinstance(value, bool) else value
        found = (
            tuple(_pair(v) for v in given)
            if isinstance(given, (list, tuple)) and len(given) == rank
            else (None,)
        )
    if None in found:
        forms = (
            "an integer or a tuple of 2 non-negative integers"
            if rank == 1
            else f"an int, a tuple of {rank} ints or a tuple of {rank} (before, after) pairs "
            "of non-negative integers"
        )
        raise ValueError(
            f"{type(layer).__name__}: `{name}` must be {forms}, received {name}={value!r}."
        )
    return found


class _ZeroPadding(Layer):
    rank = None

    def __init__(self, padding, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.padding = pairs(self, "padding", padding, self.rank)
        self.data_format = args.data_format(self, data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _first(self):
        return 2 if self.data_format == "channels_first" else 1

    def call(self, inputs):
        widths = [(0, 0)] * inputs.ndim
        widths[self._first() : self._first() + self.rank] = self.padding
        return ops.pad(inputs, widths)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for i, (before, after) in enumerate(self.padding, start=self._first()):
            shape[i] = None if shape[i] is None else shape[i] + before + after
        return tuple(shape)

    def get_config(self):
        padding = self.padding[0] if self.rank == 1 else self.padding
        return {**super().get_config(), "padding": padding, "data_format": self.data_format}


class ZeroPadding1D(_ZeroPadding):
    """Pads the steps axis of (batch, steps, features) inputs with zeros.

    Args:
        padding: an int (both ends) or a (before, after) pair (1).
        data_format: 'channels_last' (batch, steps, features) or 'channels_first'.

    >>> import numpy as np
    >>> ZeroPadding1D((1, 2))(np.ones((1, 2, 1), "float32")).numpy().ravel().tolist()
    [0.0, 1.0, 1.0, 0.0, 0.0]
    """

    rank = 1

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding2D(_ZeroPadding):
    """Pads images with rows and columns of zeros.

    Args:
        padding: an int, a (rows, columns) pair of ints, or ((top, bottom), (left, right)).
        data_format: 'channels_last' (batch, height, width, channels) or 'channels_first'.

    >>> import numpy as np
    >>> ZeroPadding2D(((1, 0), (2, 1)))(np.ones((1, 3, 3, 1), "float32")).shape
    (1, 4, 6, 1)
    """

    rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding3D(_ZeroPadding):
    """Pads volumes (batch, depth, height, width, channels) with zeros on the three axes.

    Args:
        padding: an int, three ints, or three (before, after) pairs (((1, 1),) * 3).
        data_format: 'channels_last' or 'channels_first'.
    """

    rank = 3

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)
