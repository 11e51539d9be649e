"""Add: the sum of the inputs, as a layer."""

from numkeras import ops
from numkeras.layers.merging.base_merge import Merge


class Add(Merge):
    """Returns the sum of the inputs (a list of tensors that broadcast together).

    >>> import numpy as np
    >>> x1, x2 = np.array([[1.0, 2.0]], "float32"), np.array([[3.0, 4.0]], "float32")
    >>> Add()([x1, x2]).numpy().tolist()
    [[4.0, 6.0]]
    """

    def _merge_function(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = ops.add(output, x)
        return output


def add(inputs, **kwargs):
    """Functional interface to `Add`: `add([x1, x2, ...])`."""
    return Add(**kwargs)(inputs)
