"""Minimum: the elementwise minimum of the inputs, as a layer."""

from numkeras import ops
from numkeras.layers.merging.base_merge import Merge


class Minimum(Merge):
    """Returns the elementwise minimum of the inputs (a list of tensors that broadcast together).

    >>> import numpy as np
    >>> x1, x2 = np.array([[1.0, 2.0]], "float32"), np.array([[3.0, 4.0]], "float32")
    >>> Minimum()([x1, x2]).numpy().tolist()
    [[1.0, 2.0]]
    """

    def _merge_function(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = ops.minimum(output, x)
        return output


def minimum(inputs, **kwargs):
    """Functional interface to `Minimum`: `minimum([x1, x2, ...])`."""
    return Minimum(**kwargs)(inputs)
