"""Reshape: give each sample a new shape (one dimension may be -1)."""

import math

from numkeras import ops
from numkeras.layers.layer import Layer, shape_str


class Reshape(Layer):
    """Reshapes each sample to `target_shape` (the batch axis is kept)."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        given = target_shape
        target_shape = tuple(given) if isinstance(given, (list, tuple)) else None
        if (
            target_shape is None
            or sum(d == -1 for d in target_shape) > 1
            or any(
                isinstance(d, bool) or not isinstance(d, int) or (d <= 0 and d != -1)
                for d in target_shape
            )
        ):
            raise ValueError(
                "Reshape: `target_shape` must be a tuple of positive integers with at most one "
                f"-1, received target_shape={given!r}."
            )
        self.target_shape = target_shape

    def _resolve(self, input_shape):
        size = math.prod(input_shape[1:]) if None not in input_shape[1:] else None
        known = math.prod(d for d in self.target_shape if d != -1)
        if size is not None and (size % known if -1 in self.target_shape else size != known):
            raise ValueError(
                f'Layer "{self.name}": cannot reshape input of shape {shape_str(input_shape)} '
                f"({size} values per sample) to target_shape {shape_str(self.target_shape)}."
            )
        if -1 in self.target_shape and size is not None:
            return tuple(size // known if d == -1 else d for d in self.target_shape)
        return self.target_shape

    def build(self, input_shape):
        self._resolve(input_shape)

    def call(self, inputs):
        return ops.reshape(inputs, (inputs.shape[0],) + self._resolve(inputs.shape))

    def compute_output_shape(self, input_shape):
        target = self._resolve(input_shape)
        return (input_shape[0],) + tuple(None if d == -1 else d for d in target)

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}
