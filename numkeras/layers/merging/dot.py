"""Dot: the per-example dot product of two tensors along chosen axes."""

from numkeras import ops
from numkeras.layers.layer import shape_str
from numkeras.layers.merging.base_merge import Merge, input_shapes


class Dot(Merge):
    """`batch_dot(x1, x2, axes)`: sums x1 * x2 over one axis of each, per example.

    For two (batch, n) inputs the result is (batch, 1); in general it is x1's other axes
    followed by x2's other non-batch axes.

    Args:
        axes: an int (the same axis of both inputs) or a pair of ints; never the batch axis.
        normalize: L2-normalize both inputs along `axes` first, giving cosine similarity.

    >>> import numpy as np
    >>> x1, x2 = np.array([[1.0, 2.0]], "float32"), np.array([[3.0, 4.0]], "float32")
    >>> Dot(axes=1)([x1, x2]).numpy().tolist()
    [[11.0]]
    """

    num_inputs = 2

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        pair = [axes, axes] if isinstance(axes, int) else axes
        if (
            not isinstance(pair, (list, tuple))
            or len(pair) != 2
            or any(isinstance(a, bool) or not isinstance(a, int) for a in pair)
        ):
            raise ValueError(
                f"Dot: `axes` must be an integer or a pair of integers, received axes={axes!r}."
            )
        self.axes, self.normalize = axes, normalize

    def _axes(self, shapes):
        pair = [self.axes, self.axes] if isinstance(self.axes, int) else self.axes
        axes = [a % len(s) if -len(s) <= a < len(s) else None for a, s in zip(pair, shapes)]
        if any(len(s) < 2 for s in shapes) or None in axes or 0 in axes:
            raise ValueError(
                f'Layer "{self.name}" (Dot): axes={self.axes} must name a non-batch axis of each '
                f"input (rank >= 2); received shapes {', '.join(shape_str(s) for s in shapes)}."
            )
        (s1, s2), (a1, a2) = shapes, axes
        if s1[a1] is not None and s2[a2] is not None and s1[a1] != s2[a2]:
            raise ValueError(
                f'Layer "{self.name}" (Dot): incompatible input shapes: axis {a1} of '
                f"{shape_str(s1)} has size {s1[a1]}, axis {a2} of {shape_str(s2)} has {s2[a2]}."
            )
        return axes

    def compute_mask(self, inputs, mask=None):
        return None  # as Keras: the product has no per-step mask

    def call(self, inputs):
        a1, a2 = self._axes(self._check_list(input_shapes(inputs)))
        x1, x2 = inputs
        if self.normalize:
            x1, x2 = _l2_normalize(x1, a1), _l2_normalize(x2, a2)
        # x1 -> (batch, M, n) and x2 -> (batch, n, N), one batched matmul, then unflatten
        left = ops.moveaxis(x1, a1, -1)
        right = ops.moveaxis(x2, a2, 1)
        batch, rest1, rest2 = x1.shape[0], left.shape[1:-1], right.shape[2:]
        out = ops.matmul(
            ops.reshape(left, (batch, -1, left.shape[-1])),
            ops.reshape(right, (batch, right.shape[1], -1)),
        )
        return ops.reshape(out, (batch,) + (rest1 + rest2 or (1,)))

    def compute_output_shape(self, input_shape):
        shapes = self._check_list(input_shape)
        a1, a2 = self._axes(shapes)
        s1, s2 = shapes
        out = s1[:a1] + s1[a1 + 1 :] + s2[1:a2] + s2[a2 + 1 :]
        return out if len(out) > 1 else out + (1,)

    def get_config(self):
        axes = list(self.axes) if isinstance(self.axes, tuple) else self.axes
        return {**super().get_config(), "axes": axes, "normalize": self.normalize}


def _l2_normalize(x, axis):
    """Keras's `x * min(rsqrt(sum(x**2)), 1/epsilon)` with epsilon 1e-7."""
    squares = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return x * ops.rsqrt(ops.maximum(squares, 1e-14))


def dot(inputs, axes=-1, **kwargs):
    """Functional interface to `Dot`: `dot([x1, x2], axes)`."""
    return Dot(axes=axes, **kwargs)(inputs)
