"""AdditiveAttention: Bahdanau-style attention, `sum(scale * tanh(query + key))` scores."""

from numkeras import ops
from numkeras.layers.attention.attention import Attention


class AdditiveAttention(Attention):
    """Attention whose score for a (query, key) pair is `sum(scale * tanh(query + key))`.

    Args:
        use_scale: learn a per-feature `scale` vector (glorot-uniform); otherwise 1.
        dropout: the fraction of attention weights dropped during training.

    >>> import numpy as np
    >>> AdditiveAttention()([np.ones((2, 3, 4), "float32"), np.ones((2, 5, 4), "float32")]).shape
    (2, 3, 4)
    """

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        self._check(input_shape)
        self.scale = None
        if self.use_scale:
            self.scale = self.add_weight(
                shape=(input_shape[0][-1],), name="scale", initializer="glorot_uniform"
            )

    def _scores(self, query, key):
        summed = ops.tanh(ops.expand_dims(query, -2) + ops.expand_dims(key, -3))
        return ops.sum(summed if self.scale is None else summed * self.scale, axis=-1)

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return config
