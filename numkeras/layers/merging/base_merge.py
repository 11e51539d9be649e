"""Merge: the base of layers that combine a list of tensors (Add, Concatenate, Dot, ...)."""

from numkeras import ops
from numkeras.layers.layer import Layer, shape_str


class Merge(Layer):
    """Combines a list of inputs elementwise with `_merge_function`.

    Shapes broadcast as in Keras: the batch sizes must agree, the other axes are aligned from
    the right and must be equal or 1, and a lower-rank input gets new axes after the batch.
    """

    num_inputs = None  # an exact count, for the layers that need one (Subtract, Dot)

    def _merge_function(self, inputs):
        raise NotImplementedError

    def _check_list(self, shapes):
        """`shapes` as a list of shapes; errors name the layer and what it received."""
        kind = type(self).__name__
        if (
            not isinstance(shapes, (list, tuple))
            or not shapes
            or not all(isinstance(s, (list, tuple)) for s in shapes)
        ):
            raise ValueError(
                f'Layer "{self.name}": a `{kind}` layer should be called on a list of inputs, '
                f"received input shape {shapes}."
            )
        if self.num_inputs is not None and len(shapes) != self.num_inputs:
            raise ValueError(
                f'Layer "{self.name}": a `{kind}` layer should be called on exactly '
                f"{self.num_inputs} inputs, received {len(shapes)}."
            )
        batches = {s[0] for s in shapes if len(s)} - {None}
        if len(batches) > 1:
            raise ValueError(
                f'Layer "{self.name}": cannot merge tensors with different batch sizes; '
                f"received shapes {', '.join(shape_str(s) for s in shapes)}."
            )
        return [tuple(s) for s in shapes]

    def _broadcast(self, a, b):
        """Keras's elementwise output shape of two non-batch shapes, or a clear error."""
        if len(a) < len(b):
            a, b = b, a
        out = list(a[: len(a) - len(b)])
        for i, j in zip(a[len(a) - len(b) :], b):
            if i is not None and j is not None and i != j and 1 not in (i, j):
                raise ValueError(
                    f'Layer "{self.name}" ({type(self).__name__}): inputs have incompatible '
                    f"shapes {shape_str(a)} and {shape_str(b)} (batch axis left out); each axis "
                    "must be equal, or 1 in one of them."
                )
            out.append(None if i is None or j is None else j if i == 1 else i)
        return tuple(out)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)

    def call(self, inputs):
        shapes = self._check_list(input_shapes(inputs))
        self.compute_output_shape(shapes)
        rank = max(len(s) for s in shapes)
        # a lower-rank input gets new axes after the batch axis, then NumPy broadcasting applies
        inputs = [
            ops.reshape(x, x.shape[:1] + (1,) * (rank - x.ndim) + x.shape[1:])
            if x.ndim < rank
            else x
            for x in inputs
        ]
        return self._merge_function(inputs)

    def compute_mask(self, inputs, mask=None):
        """As Keras: the OR of the inputs' masks when every input has one, else None."""
        if not isinstance(mask, (list, tuple)) or any(m is None for m in mask):
            return None
        out = mask[0]
        for m in mask[1:]:
            out = ops.logical_or(out, m)
        return out

    def compute_output_shape(self, input_shape):
        shapes = self._check_list(input_shape)
        out = shapes[0][1:]
        for shape in shapes[1:]:
            out = self._broadcast(out, shape[1:])
        batches = {s[0] for s in shapes} - {None}
        return (batches.pop() if len(batches) == 1 else None,) + out


def input_shapes(inputs):
    """The shapes of a list of tensors; for one tensor its shape (which `_check_list` refuses)."""
    if isinstance(inputs, (list, tuple)):
        return [tuple(getattr(x, "shape", ())) for x in inputs]
    return tuple(getattr(inputs, "shape", ()))
