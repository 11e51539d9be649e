"""ReversibleEmbedding: an Embedding that also maps vectors back to vocabulary logits."""

from numkeras import ops
from numkeras.layers.core.embedding import Embedding


class ReversibleEmbedding(Embedding):
    """`call(ids)` embeds; `call(x, reverse=True)` gives logits `x @ embeddings^T` (tied) or
    `x @ reverse_embeddings` (`tie_weights=False`, a separate (output_dim, input_dim)
    weight), optionally soft-capped as `tanh(logits / cap) * cap`.

    >>> import numpy as np
    >>> layer = ReversibleEmbedding(10, 4)
    >>> layer(np.array([[1, 2]])).shape, layer(np.ones((1, 2, 4), "float32"), reverse=True).shape
    ((1, 2, 4), (1, 2, 10))
    """

    def __init__(
        self,
        input_dim,
        output_dim,
        tie_weights=True,
        embeddings_initializer="uniform",
        embeddings_regularizer=None,
        embeddings_constraint=None,
        mask_zero=False,
        reverse_dtype=None,
        logit_soft_cap=None,
        **kwargs,
    ):
        super().__init__(
            input_dim,
            output_dim,
            embeddings_initializer=embeddings_initializer,
            embeddings_regularizer=embeddings_regularizer,
            embeddings_constraint=embeddings_constraint,
            mask_zero=mask_zero,
            **kwargs,
        )
        self.tie_weights, self.reverse_dtype = tie_weights, reverse_dtype
        self.logit_soft_cap = logit_soft_cap

    def build(self, input_shape=None):
        super().build(input_shape)
        self.reverse_embeddings = None
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight(
                shape=(self.output_dim, self.input_dim),
                name="reverse_embeddings",
                initializer=self.embeddings_initializer,
            )

    def call(self, inputs, reverse=False):
        if not reverse:
            return super().call(inputs)
        kernel = ops.transpose(self.embeddings) if self.tie_weights else self.reverse_embeddings
        if self.reverse_dtype is not None:
            inputs, kernel = (
                ops.cast(inputs, self.reverse_dtype),
                ops.cast(kernel, self.reverse_dtype),
            )
        logits = ops.matmul(inputs, kernel)
        if self.logit_soft_cap is not None:
            logits = ops.tanh(logits / self.logit_soft_cap) * self.logit_soft_cap
        return logits

    def compute_mask(self, inputs, mask=None):
        return None  # the mask is set on the embedded output in `call`, as Keras does

    def compute_output_shape(self, input_shape, reverse=False):
        if reverse:
            return tuple(input_shape[:-1]) + (self.input_dim,)
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        return {
            **super().get_config(),
            "tie_weights": self.tie_weights,
            "reverse_dtype": self.reverse_dtype,
            "logit_soft_cap": self.logit_soft_cap,
        }
