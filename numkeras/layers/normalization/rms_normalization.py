"""RMSNormalization: scale each example by the inverse root mean square of its features."""

from numkeras import ops
from numkeras.layers.layer import Layer, shape_str


class RMSNormalization(Layer):
    """`x * rsqrt(mean(x ** 2, axis) + epsilon) * scale` (Zhang & Sennrich, 2019).

    Args:
        axis: the axis or axes normalized together (-1); `scale` has their shape.
        epsilon: added to the mean square (1e-6).

    >>> import numpy as np
    >>> y = RMSNormalization(epsilon=0.0)(np.array([[3.0, 4.0]], "float32"))
    >>> [round(float(v), 4) for v in y.numpy()[0]]
    [0.8485, 1.1314]
    """

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.axis, self.epsilon = axis, epsilon

    def build(self, input_shape):
        rank = len(input_shape)
        axes = sorted(self.axis) if isinstance(self.axis, (list, tuple)) else [self.axis]
        if any(not -rank <= a < rank for a in axes):
            raise ValueError(
                f'Layer "{self.name}": axis={self.axis} is out of bounds for an '
                f"input of shape {shape_str(input_shape)}."
            )
        self.axis = axes  # Keras keeps the axes as a list once built
        self.scale = self.add_weight(
            shape=tuple(input_shape[a] for a in axes), name="scale", initializer="ones"
        )

    def call(self, inputs):
        axes = sorted(a % inputs.ndim for a in self.axis)
        shape = tuple(n if a in axes else 1 for a, n in enumerate(inputs.shape))
        inv = ops.rsqrt(
            ops.mean(ops.square(inputs), axis=tuple(axes), keepdims=True) + self.epsilon
        )
        return inputs * inv * ops.reshape(self.scale, shape)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}
