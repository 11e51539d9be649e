"""RepeatVector: repeat a (batch, features) input n times along a new axis."""

from numkeras import ops
from numkeras.layers.args import positive_int
from numkeras.layers.layer import InputSpec, Layer


class RepeatVector(Layer):
    """(batch, features) -> (batch, n, features), each row repeated `n` times.

    Args:
        n: the number of repetitions.

    >>> import numpy as np
    >>> RepeatVector(3)(np.array([[1.0, 2.0]], "float32")).numpy().tolist()
    [[[1.0, 2.0], [1.0, 2.0], [1.0, 2.0]]]
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n = positive_int(self, "n", n)
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs):
        return ops.repeat(ops.expand_dims(inputs, 1), self.n, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}
