"""CategoryEncoding: integer ids to one-hot, multi-hot or count vectors."""

import numpy as np

from numkeras import ops
from numkeras.layers.layer import Layer

OUTPUT_MODES = ("one_hot", "multi_hot", "count")


def encode_categorical(ids, output_mode, depth, dtype, count_weights=None):
    """Keras's encoding of integer `ids` (values in [0, depth)) as NumPy.

    "int" casts; "one_hot" adds a `depth` axis (replacing a trailing axis of 1); "multi_hot"
    and "count" reduce each sample's ids (axis 1 of a batch, or all of a 1-D input) to one
    `depth` vector of presence flags or (weighted) counts.
    """
    ids = np.asarray(ids)
    if output_mode == "int":
        return ids.astype(dtype)
    if ids.ndim == 0:
        ids = ids[None]
    if ids.size and (ids.min() < 0 or ids.max() >= depth):
        raise ValueError(
            f"Input values must be in the range 0 <= values < {depth}; received "
            f"values from {ids.min()} to {ids.max()}."
        )
    if output_mode == "one_hot" and ids.ndim > 1 and ids.shape[-1] == 1:
        ids = ids[..., 0]
    onehot = np.eye(depth, dtype=dtype)[ids.astype(np.intp)]
    if output_mode == "one_hot":
        return onehot
    axis = 1 if ids.ndim > 1 else 0
    if output_mode == "multi_hot":
        return onehot.max(axis=axis)
    if count_weights is not None:
        onehot = onehot * np.asarray(count_weights, dtype)[..., None]
    return onehot.sum(axis=axis)


class CategoryEncoding(Layer):
    """Encodes integer ids in [0, num_tokens) as one-hot, multi-hot or count vectors.

    Args:
        num_tokens: the vector length (ids must be smaller).
        output_mode: "multi_hot" (default; "binary" is an alias), "one_hot" or "count".
        sparse: must be False (numkeras has no sparse tensors).

    >>> CategoryEncoding(num_tokens=4)([[0, 1], [0, 3]]).numpy().tolist()
    [[1.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 1.0]]
    """

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        output_mode = "multi_hot" if output_mode == "binary" else output_mode
        if output_mode not in OUTPUT_MODES:
            raise ValueError(f"Unknown arg for output_mode: {output_mode}")
        if num_tokens is None:
            raise ValueError(
                "num_tokens must be set to use this layer. If the number of "
                "tokens is not known beforehand, use the IntegerLookup layer "
                "instead."
            )
        if num_tokens < 1:
            raise ValueError(f"`num_tokens` must be >= 1. Received: num_tokens={num_tokens}.")
        if sparse:
            raise ValueError("CategoryEncoding: numkeras has no sparse tensors (sparse=True).")
        self.num_tokens, self.output_mode, self.sparse = num_tokens, output_mode, sparse

    def call(self, inputs, count_weights=None):
        if count_weights is not None and self.output_mode != "count":
            raise ValueError(
                "`count_weights` is not used when `output_mode` is not `'count'`. "
                f"Received `count_weights={count_weights}`."
            )
        weights = None if count_weights is None else ops.convert_to_numpy(count_weights)
        return ops.convert_to_tensor(
            encode_categorical(
                ops.convert_to_numpy(inputs), self.output_mode, self.num_tokens, self.dtype, weights
            )
        )

    def compute_output_shape(self, input_shape):
        if not input_shape:
            return (self.num_tokens,)
        if self.output_mode == "one_hot" and (input_shape[-1] != 1 or len(input_shape) == 1):
            return tuple(input_shape) + (self.num_tokens,)
        return tuple(input_shape[:-1]) + (self.num_tokens,)

    def get_config(self):
        return {
            **super().get_config(),
            "num_tokens": self.num_tokens,
            "output_mode": self.output_mode,
        }
