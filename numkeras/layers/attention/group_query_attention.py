"""GroupQueryAttention: multi-head attention whose key/value heads are shared by groups of
query heads (Ainslie et al., 2023)."""

from numkeras import ops
from numkeras.backend.naming import auto_name
from numkeras.layers.attention.multi_head_attention import MultiHeadAttention
from numkeras.layers.rnn.rnn import prefix_paths


class GroupQueryAttention(MultiHeadAttention):
    """Attention with `num_query_heads` query heads and `num_key_value_heads` key/value heads;
    each key/value head serves `num_query_heads // num_key_value_heads` consecutive query
    heads. Weights, as Keras's: query (dim, num_query_heads, head_dim), key and value
    (dim, num_key_value_heads, head_dim), attention_output (num_query_heads, head_dim, dim),
    with biases over the heads and head_dim (and the output features).

    Args:
        head_dim: the size of every head.
        num_query_heads, num_key_value_heads: head counts (the first a multiple of the second).
        dropout, use_bias, sliding_window, use_gate, kernel_*, bias_*, seed: as in
            MultiHeadAttention.

    >>> import numpy as np
    >>> x = np.ones((2, 5, 8), "float32")
    >>> GroupQueryAttention(head_dim=4, num_query_heads=4, num_key_value_heads=2)(x, x).shape
    (2, 5, 8)
    """

    _keras_class = "GroupedQueryAttention"  # Keras's class behind the exported name

    def __init__(
        self,
        head_dim,
        num_query_heads,
        num_key_value_heads,
        dropout=0.0,
        use_bias=True,
        sliding_window=None,
        flash_attention=None,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        use_gate=False,
        seed=None,
        **kwargs,
    ):
        if num_query_heads % num_key_value_heads:
            raise ValueError("`num_query_heads` must be divisible by `num_key_value_heads`.")
        if kwargs.get("name") is None:
            kwargs["name"] = auto_name(self._keras_class)
        super().__init__(
            num_query_heads,
            head_dim,
            dropout=dropout,
            use_bias=use_bias,
            sliding_window=sliding_window,
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            activity_regularizer=activity_regularizer,
            bias_constraint=bias_constraint,
            use_gate=use_gate,
            seed=seed,
            **kwargs,
        )
        self.head_dim, self.num_query_heads = head_dim, num_query_heads
        self.num_key_value_heads = num_key_value_heads
        self.num_repeats = num_query_heads // num_key_value_heads

    def build(self, query_shape, value_shape=None, key_shape=None):
        if value_shape is None and isinstance(query_shape, list):
            query_shape, value_shape, key_shape = (list(query_shape) + [None])[:3]
        key_shape = value_shape if key_shape is None else key_shape
        self.attention_axes = (1,)
        query_heads = (self.num_query_heads, self.head_dim)
        shared = (self.num_key_value_heads, self.head_dim)
        # Keras saves these under their attribute names: `_query_dense`, ...
        self._query_dense = self._projection("query", query_shape[-1:], query_heads)
        self._key_dense = self._projection("key", key_shape[-1:], shared)
        if self.use_gate:
            self._gate_dense = self._projection("gate", query_shape[-1:], query_heads, "sigmoid")
        self._value_dense = self._projection("value", value_shape[-1:], shared)
        self._output_dense = self._projection(
            "attention_output", query_heads, tuple(query_shape[-1:])
        )
        for layer in self._layers:
            layer.build(None)
            layer.built = True
        prefix_paths(self, self.name)
        self._build_shapes_dict = {
            "query_shape": tuple(query_shape),
            "value_shape": tuple(value_shape),
        }
        if key_shape is not value_shape:
            self._build_shapes_dict["key_shape"] = tuple(key_shape)
        self.built = True

    def call(
        self,
        query,
        value,
        key=None,
        query_mask=None,
        value_mask=None,
        key_mask=None,
        attention_mask=None,
        return_attention_scores=False,
        training=None,
        use_causal_mask=False,
    ):
        key_input = value if key is None else key
        masks = [
            getattr(t, "_keras_mask", None) if m is None else m
            for m, t in ((query_mask, query), (value_mask, value), (key_mask, key))
        ]
        mask = self._attention_mask(query, value, *masks, attention_mask, use_causal_mask)
        gate = self._gate_dense(query) if self.use_gate else None
        q = self._query_dense(query)
        k = ops.repeat(self._key_dense(key_input), self.num_repeats, axis=2)
        v = ops.repeat(self._value_dense(value), self.num_repeats, axis=2)
        outputs, scores = self._attend(q, k, v, mask, training)
        if gate is not None:
            outputs = outputs * gate
        outputs = self._output_dense(outputs)
        return (outputs, scores) if return_attention_scores else outputs

    def get_config(self):
        config = super().get_config()
        for key in ("num_heads", "key_dim", "value_dim", "output_shape", "attention_axes"):
            del config[key]
        return {
            **config,
            "head_dim": self.head_dim,
            "num_query_heads": self.num_query_heads,
            "num_key_value_heads": self.num_key_value_heads,
        }
