"""Average: the elementwise mean of the inputs, as a layer."""

from numkeras import ops
from numkeras.layers.merging.base_merge import Merge


class Average(Merge):
    """Returns the elementwise mean of a list of tensors that broadcast together.

    >>> import numpy as np
    >>> x1, x2 = np.array([[1.0, 2.0]], "float32"), np.array([[3.0, 4.0]], "float32")
    >>> Average()([x1, x2]).numpy().tolist()
    [[2.0, 3.0]]
    """

    def _merge_function(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = ops.add(output, x)
        return output / len(inputs)


def average(inputs, **kwargs):
    """Functional interface to `Average`: `average([x1, x2, ...])`."""
    return Average(**kwargs)(inputs)
