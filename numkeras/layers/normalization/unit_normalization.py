"""UnitNormalization: scale each example to unit L2 norm along `axis`."""

from numkeras import ops
from numkeras.layers.layer import Layer, shape_str


class UnitNormalization(Layer):
    """`x / max(||x||_2, 1e-12)` along `axis`, as Keras's `ops.normalize(order=2)`.

    Args:
        axis: an int or a list of ints: the axes whose joint norm becomes 1 (-1).

    >>> import numpy as np
    >>> UnitNormalization()(np.array([[3.0, 4.0]], "float32")).numpy().tolist()
    [[0.6000000238418579, 0.800000011920929]]
    """

    supports_masking = True  # the input's mask passes to the output, as in Keras

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        axes = list(axis) if isinstance(axis, (list, tuple)) else [axis]
        if not axes or any(isinstance(a, bool) or not isinstance(a, int) for a in axes):
            raise ValueError(
                "UnitNormalization: `axis` must be an int or a list of ints, "
                f"received axis={axis!r}."
            )
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else axis

    def _check(self, input_shape):
        rank = len(input_shape)
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        if any(not -rank <= a < rank for a in axes):
            raise ValueError(
                f'Layer "{self.name}": axis={self.axis} is out of bounds for an input of shape '
                f"{shape_str(input_shape)}."
            )
        return tuple(axes)

    def call(self, inputs):
        squares = ops.sum(ops.square(inputs), axis=self._check(inputs.shape), keepdims=True)
        # rsqrt(max(s, 1e-24)) is Keras's min(rsqrt(s), 1e12), without an infinite gradient at 0
        return inputs * ops.rsqrt(ops.maximum(squares, 1e-24))

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
