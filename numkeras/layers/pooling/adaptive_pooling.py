"""Adaptive max and average pooling: pool to a fixed output size, whatever the input size.

Output bin `i` of an axis of length `n` pooled to `m` covers `[floor(i n / m), ceil((i + 1) n
/ m))`, as in PyTorch (which Keras follows). Max and mean over a box are separable, so each
spatial axis is pooled in turn.
"""

import math

import numpy as np

from numkeras import ops
from numkeras.layers import args
from numkeras.layers.layer import InputSpec, Layer, shape_str


def _bins(n, m):
    return [(i * n // m, math.ceil((i + 1) * n / m)) for i in range(m)]


def _average_matrix(n, m, dtype):
    """(m, n): row i averages input positions of bin i."""
    matrix = np.zeros((m, n), dtype)
    for i, (start, end) in enumerate(_bins(n, m)):
        matrix[i, start:end] = 1.0 / (end - start)
    return matrix


class _AdaptivePooling(Layer):
    rank = None
    reduce = None  # "max" or "average"

    def __init__(self, output_size, data_format=None, **kwargs):
        sizes = (
            (output_size,) * self.rank
            if isinstance(output_size, int) and not isinstance(output_size, bool)
            else output_size
        )
        if (
            not isinstance(sizes, (tuple, list))
            or len(sizes) != self.rank
            or any(isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in sizes)
        ):
            raise TypeError(
                f"{type(self).__name__}: `output_size` must be an integer or a "
                f"tuple of {self.rank} positive integers. Received: {output_size!r}"
            )
        super().__init__(**kwargs)
        self.output_size = tuple(sizes)
        self.data_format = args.data_format(self, data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _first(self):
        return 2 if self.data_format == "channels_first" else 1

    def call(self, inputs):
        x = inputs
        for axis, m in enumerate(self.output_size, start=self._first()):
            n = x.shape[axis]
            if self.reduce == "average":
                x = self._average(x, axis, n, m)
            else:
                x = ops.concatenate(
                    [
                        ops.max(self._slice(x, axis, s, e), axis=axis, keepdims=True)
                        for s, e in _bins(n, m)
                    ],
                    axis=axis,
                )
        return x

    @staticmethod
    def _slice(x, axis, start, end):
        key = [slice(None)] * x.ndim
        key[axis] = slice(start, end)
        return x[tuple(key)]

    @staticmethod
    def _average(x, axis, n, m):
        """Multiply the axis by the (m, n) averaging matrix."""
        moved = ops.moveaxis(x, axis, -1)
        pooled = ops.matmul(moved, ops.convert_to_tensor(_average_matrix(n, m, x.dtype).T))
        return ops.moveaxis(pooled, -1, axis)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != self.rank + 2:
            raise ValueError(
                f'Layer "{self.name}" expects a {self.rank + 2}-D input, got '
                f"{shape_str(input_shape)}."
            )
        shape = list(input_shape)
        shape[self._first() : self._first() + self.rank] = self.output_size
        return tuple(shape)

    def get_config(self):
        return {
            **super().get_config(),
            "output_size": self.output_size,
            "data_format": self.data_format,
        }


def _adaptive(name, rank, reduce):
    doc = (
        f"Adaptive {reduce} pooling of {rank}-D inputs to `output_size` (an int or "
        f"{rank} ints) per spatial axis."
    )
    return type(
        name,
        (_AdaptivePooling,),
        {"rank": rank, "reduce": reduce, "__doc__": doc, "__module__": __name__},
    )


AdaptiveMaxPooling1D = _adaptive("AdaptiveMaxPooling1D", 1, "max")
AdaptiveMaxPooling2D = _adaptive("AdaptiveMaxPooling2D", 2, "max")
AdaptiveMaxPooling3D = _adaptive("AdaptiveMaxPooling3D", 3, "max")
AdaptiveAveragePooling1D = _adaptive("AdaptiveAveragePooling1D", 1, "average")
AdaptiveAveragePooling2D = _adaptive("AdaptiveAveragePooling2D", 2, "average")
AdaptiveAveragePooling3D = _adaptive("AdaptiveAveragePooling3D", 3, "average")
