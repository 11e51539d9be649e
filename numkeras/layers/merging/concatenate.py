"""Concatenate: join a list of tensors along one axis."""

import numpy as np

from numkeras import ops
from numkeras.layers.layer import shape_str
from numkeras.layers.merging.base_merge import Merge, input_shapes


class Concatenate(Merge):
    """Joins the inputs along `axis`; every other axis must match.

    Args:
        axis: the axis to join along (-1).

    >>> import numpy as np
    >>> x1, x2 = np.zeros((2, 3), "float32"), np.ones((2, 4), "float32")
    >>> Concatenate()([x1, x2]).shape
    (2, 7)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise ValueError(f"Concatenate: `axis` must be an integer, received axis={axis!r}.")
        self.axis = axis

    def call(self, inputs):
        self.compute_output_shape(input_shapes(inputs))
        return ops.concatenate(list(inputs), axis=self.axis)

    def compute_output_shape(self, input_shape):
        shapes = self._check_list(input_shape)
        rank = len(shapes[0])
        if not -rank <= self.axis < rank or any(len(s) != rank for s in shapes):
            raise ValueError(
                f'Layer "{self.name}" (Concatenate): inputs must have the same rank, with '
                f"axis={self.axis} inside it; received shapes "
                f"{', '.join(shape_str(s) for s in shapes)}."
            )
        axis = self.axis % rank
        out = list(shapes[0])
        for shape in shapes[1:]:
            for i, (a, b) in enumerate(zip(out, shape)):
                if i == axis:
                    out[i] = None if a is None or b is None else a + b
                elif a is not None and b is not None and a != b:
                    raise ValueError(
                        f'Layer "{self.name}" (Concatenate): inputs must match on every axis '
                        f"but axis={self.axis}; received shapes "
                        f"{', '.join(shape_str(s) for s in shapes)}."
                    )
                elif a is None:
                    out[i] = b
        return tuple(out)

    def compute_mask(self, inputs, mask=None):
        """As Keras: each input's mask (all True without one) spread over the input's axes,
        joined along `axis`, then any() over the last axis."""
        if not isinstance(mask, (list, tuple)) or all(m is None for m in mask):
            return None
        parts = []
        for x, m in zip(inputs, mask):
            m = np.ones(x.shape, bool) if m is None else np.asarray(ops.convert_to_numpy(m), bool)
            parts.append(np.broadcast_to(m.reshape(m.shape + (1,) * (x.ndim - m.ndim)), x.shape))
        return ops.convert_to_tensor(np.concatenate(parts, axis=self.axis).any(axis=-1))

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def concatenate(inputs, axis=-1, **kwargs):
    """Functional interface to `Concatenate`: `concatenate([x1, x2, ...], axis=-1)`."""
    return Concatenate(axis=axis, **kwargs)(inputs)
