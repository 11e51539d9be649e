"""Maximum: the elementwise maximum of the inputs, as a layer."""

from numkeras import ops
from numkeras.layers.merging.base_merge import Merge


class Maximum(Merge):
    """Returns the elementwise maximum of the inputs (a list of tensors that broadcast together).

    >>> import numpy as np
    >>> x1, x2 = np.array([[1.0, 2.0]], "float32"), np.array([[3.0, 4.0]], "float32")
    >>> Maximum()([x1, x2]).numpy().tolist()
    [[3.0, 4.0]]
    """

    def _merge_function(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = ops.maximum(output, x)
        return output


def maximum(inputs, **kwargs):
    """Functional interface to `Maximum`: `maximum([x1, x2, ...])`."""
    return Maximum(**kwargs)(inputs)
