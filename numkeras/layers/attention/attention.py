"""Attention: Luong-style dot-product (or concat) attention over [query, value, key]."""

import numpy as np

from numkeras import ops
from numkeras.layers.layer import Layer
from numkeras.random import SeedGenerator


def causal_mask(q_len, k_len):
    """(1, q_len, k_len) booleans: position i attends to positions j <= i."""
    return np.tril(np.ones((q_len, k_len), bool))[None]


def as_mask(mask):
    return None if mask is None else ops.convert_to_numpy(mask).astype(bool)


class Attention(Layer):
    """`softmax(scores(query, key)) @ value`, with Keras's Attention arguments and weights.

    Args:
        use_scale: learn a scalar `scale` multiplying the scores (initialised to 1).
        score_mode: "dot" (`query @ key^T`) or "concat" (`sum(tanh(query + key))`, with a
            learned scalar `concat_score_weight`).
        dropout: the fraction of attention weights dropped during training.
        seed: an int for a repeatable dropout mask.

    Call arguments:
        inputs: [query (B, Tq, dim), value (B, Tv, dim)] or [query, value, key (B, Tv, dim)].
        mask: optional [query_mask (B, Tq), value_mask (B, Tv)]; masked values get no weight
            and masked query positions give zeros. Inputs' Keras masks are used by default.
        return_attention_scores: also return the (B, Tq, Tv) weights (after dropout).
        use_causal_mask: position i attends only to positions j <= i.

    >>> import numpy as np
    >>> Attention()([np.ones((2, 3, 4), "float32"), np.ones((2, 5, 4), "float32")]).shape
    (2, 3, 4)
    """

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(
                f"Attention: `score_mode` must be one of ('dot', 'concat'), "
                f"received score_mode={score_mode!r}."
            )
        if (
            isinstance(dropout, bool)
            or not isinstance(dropout, (int, float))
            or not (0 <= dropout <= 1)
        ):
            raise ValueError(
                f"Attention: `dropout` must be a number in [0, 1], received dropout={dropout!r}."
            )
        self.use_scale, self.score_mode, self.dropout, self.seed = (
            use_scale,
            score_mode,
            dropout,
            seed,
        )
        self.seed_generator = SeedGenerator(seed)
        self.supports_masking = True

    def _check(self, inputs, mask=None):
        if not isinstance(inputs, (list, tuple)) or not 2 <= len(inputs) <= 3:
            raise ValueError(
                f'Layer "{self.name}" must be called on a list [query, value] or '
                f"[query, value, key], received {type(inputs).__name__}"
                f"{f' of length {len(inputs)}' if isinstance(inputs, (list, tuple)) else ''}."
            )
        if mask is not None and (not isinstance(mask, (list, tuple)) or not 2 <= len(mask) <= 3):
            raise ValueError(
                f'Layer "{self.name}": `mask` must be a list [query_mask, '
                f"value_mask], received {mask!r}."
            )

    def build(self, input_shape):
        self._check(input_shape)
        self.scale = self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight(shape=(), name="scale", initializer="ones")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(
                shape=(), name="concat_score_weight", initializer="ones"
            )

    def _scores(self, query, key):
        if self.score_mode == "dot":
            scores = ops.matmul(query, ops.swapaxes(key, -2, -1))
            return scores if self.scale is None else scores * self.scale
        summed = ops.expand_dims(query, -2) + ops.expand_dims(key, -3)
        if self.scale is not None:
            summed = summed * self.scale
        return self.concat_score_weight * ops.sum(ops.tanh(summed), axis=-1)

    def call(
        self,
        inputs,
        mask=None,
        training=False,
        return_attention_scores=False,
        use_causal_mask=False,
    ):
        self._check(inputs, mask)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        q_mask, v_mask = (as_mask(mask[0]), as_mask(mask[1])) if mask else (None, None)
        scores = self._scores(query, key)
        keep = None if v_mask is None else np.expand_dims(v_mask, -2)
        if use_causal_mask:
            causal = causal_mask(scores.shape[-2], scores.shape[-1])
            keep = causal if keep is None else keep & causal
        if keep is not None:
            scores = ops.where(keep, scores, scores - 1e9)  # Keras's large negative offset
        weights = ops.softmax(scores, axis=-1)
        if training and self.dropout > 0:
            weights = ops.dropout(weights, self.dropout, seed=self.seed_generator)
        outputs = ops.matmul(weights, value)
        if q_mask is not None:
            outputs = ops.where(q_mask[..., None], outputs, 0.0)
        return (outputs, weights) if return_attention_scores else outputs

    def compute_mask(self, inputs, mask=None):
        return None if not mask or mask[0] is None else as_mask(mask[0])

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        return tuple(input_shape[0][:-1]) + (input_shape[1][-1],)

    def get_config(self):
        return {
            **super().get_config(),
            "use_scale": self.use_scale,
            "score_mode": self.score_mode,
            "dropout": self.dropout,
            "seed": self.seed,
        }
