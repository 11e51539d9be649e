"""Multiply: the elementwise product of the inputs, as a layer."""

from numkeras import ops
from numkeras.layers.merging.base_merge import Merge


class Multiply(Merge):
    """Returns the elementwise product of the inputs (a list of tensors that broadcast together).

    >>> import numpy as np
    >>> x1, x2 = np.array([[1.0, 2.0]], "float32"), np.array([[3.0, 4.0]], "float32")
    >>> Multiply()([x1, x2]).numpy().tolist()
    [[3.0, 8.0]]
    """

    def _merge_function(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = ops.multiply(output, x)
        return output


def multiply(inputs, **kwargs):
    """Functional interface to `Multiply`: `multiply([x1, x2, ...])`."""
    return Multiply(**kwargs)(inputs)
