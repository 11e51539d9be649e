"""Permute: reorder the non-batch axes."""

from numkeras import ops
from numkeras.layers.layer import InputSpec, Layer


class Permute(Layer):
    """Transposes the axes after the batch axis; `dims` counts them from 1.

    Args:
        dims: a permutation of 1..rank-1, e.g. (2, 1) swaps the two axes of (batch, a, b).

    >>> import numpy as np
    >>> Permute((2, 1))(np.zeros((4, 10, 64), "float32")).shape
    (4, 64, 10)
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        try:
            valid = sorted(dims) == list(range(1, len(dims) + 1))
        except TypeError:
            valid = False
        if not valid:
            raise ValueError(
                "Permute: `dims` must be a permutation of 1..n (the axes after the batch "
                f"axis), received dims={dims!r}."
            )
        self.dims = tuple(dims)
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def call(self, inputs):
        return ops.transpose(inputs, (0,) + self.dims)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        return {**super().get_config(), "dims": self.dims}
