"""Subtract: the difference of exactly two inputs, as a layer."""

from numkeras import ops
from numkeras.layers.merging.base_merge import Merge


class Subtract(Merge):
    """Returns `inputs[0] - inputs[1]` for a list of exactly two tensors.

    >>> import numpy as np
    >>> x1, x2 = np.array([[1.0, 2.0]], "float32"), np.array([[3.0, 5.0]], "float32")
    >>> Subtract()([x1, x2]).numpy().tolist()
    [[-2.0, -3.0]]
    """

    num_inputs = 2

    def _merge_function(self, inputs):
        return ops.subtract(inputs[0], inputs[1])


def subtract(inputs, **kwargs):
    """Functional interface to `Subtract`: `subtract([x1, x2])`."""
    return Subtract(**kwargs)(inputs)
