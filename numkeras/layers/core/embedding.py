"""Embedding: turn integer indices into dense vectors by looking up rows of a matrix."""

from numkeras import initializers, ops, regularizers
from numkeras.layers.args import positive_int
from numkeras.layers.layer import Layer
from numkeras.ops.layer_ops.embedding_lookup import gather_rows


class Embedding(Layer):
    """Maps each index `i` in `[0, input_dim)` to row `i` of `embeddings` (input_dim, output_dim).

    Args:
        input_dim: the vocabulary size (largest index + 1).
        output_dim: the size of each vector.
        embeddings_initializer: 'uniform' (RandomUniform in [-0.05, 0.05]) by default.
        embeddings_regularizer: an optional penalty on the matrix.
        activity_regularizer: an optional penalty on the outputs (divided by the batch size).
        mask_zero: whether index 0 is padding; `compute_mask` then gives `inputs != 0`.
        weights: an optional initial matrix (or a one-element list holding it).

    >>> import numpy as np
    >>> layer = Embedding(10, 3)
    >>> layer(np.array([[1, 2, 0]])).shape, layer.embeddings.shape
    ((1, 3, 3), (10, 3))
    """

    def __init__(
        self,
        input_dim,
        output_dim,
        embeddings_initializer="uniform",
        embeddings_regularizer=None,
        embeddings_constraint=None,
        mask_zero=False,
        weights=None,
        activity_regularizer=None,
        lora_rank=None,
        lora_alpha=None,
        quantization_config=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if lora_rank or quantization_config:
            raise ValueError("Embedding: LoRA and quantization are not supported in numkeras.")
        self.input_dim = positive_int(self, "input_dim", input_dim)
        self.output_dim = positive_int(self, "output_dim", output_dim)
        if embeddings_initializer == "uniform":  # Keras's alias for RandomUniform
            embeddings_initializer = "random_uniform"
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.mask_zero = bool(mask_zero)
        if weights is not None:
            self._maybe_build(None)
            self.set_weights(weights if isinstance(weights, list) else [weights])

    def build(self, input_shape):
        self.embeddings = self.add_weight(
            shape=(self.input_dim, self.output_dim),
            name="embeddings",
            initializer=self.embeddings_initializer,
            regularizer=self.embeddings_regularizer,
        )

    def call(self, inputs):
        if inputs.dtype not in ("int32", "int64"):
            inputs = ops.cast(inputs, "int32")
        indices = ops.convert_to_numpy(inputs)
        if indices.size and (indices.min() < 0 or indices.max() >= self.input_dim):
            raise ValueError(
                f'Layer "{self.name}": indices must be in [0, input_dim={self.input_dim}), '
                f"received values from {indices.min()} to {indices.max()}."
            )
        outputs = gather_rows(self.embeddings, indices)  # its gradient: the rows looked up
        if self.mask_zero:
            outputs._keras_mask = self.compute_mask(inputs)
        return outputs

    def compute_mask(self, inputs, mask=None):
        """`inputs != 0` when `mask_zero` is set (0 marks padding), else None."""
        if not self.mask_zero:
            return None
        return ops.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "embeddings_constraint": None,
            "mask_zero": self.mask_zero,
            "quantization_config": None,
        }
