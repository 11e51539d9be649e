"""MultiHeadAttention: Keras 3's layer, with its sublayers, weight layout and masks."""

import math

import numpy as np

from numkeras import activations, constraints, initializers, ops, regularizers
from numkeras.layers import args
from numkeras.layers.attention.attention import as_mask, causal_mask
from numkeras.layers.attention.projection import Projection, project
from numkeras.layers.keras_tensor import is_symbolic
from numkeras.layers.layer import Layer
from numkeras.layers.rnn.rnn import prefix_paths
from numkeras.ops.layer_ops.attention import packed_self_attention
from numkeras.random import SeedGenerator


class MultiHeadAttention(Layer):
    """Scaled dot-product attention in `num_heads` heads, as in "Attention is all you need".

    Weights, in Keras's order (sublayers `query`, `key`, `value`, `attention_output`):
    kernels (dim, num_heads, key_dim) and biases (num_heads, key_dim) for query and key,
    (dim, num_heads, value_dim) for value, and (num_heads, value_dim, *output_shape) with a
    bias `output_shape` for the output (a `gate` like `value` comes after `key` with use_gate).

    Args:
        num_heads: the number of heads; key_dim: the size of each query/key head.
        value_dim: the size of each value head (key_dim).
        dropout: the fraction of attention probabilities dropped during training.
        use_bias: whether the projections have biases.
        output_shape: the output's feature shape (the query's last dimension).
        attention_axes: the axes attention runs over (all but batch, heads and features).
        sliding_window: attend only to keys fewer than this many positions away.
        use_gate: multiply each head's output by a sigmoid gate computed from the query.
        kernel_*, bias_*: initializer, regularizer and constraint of the projections.
        seed: an int for a repeatable dropout mask.

    Call arguments: query (B, T, dim), value (B, S, dim), key (value), attention_mask
    (B, T, S) booleans, return_attention_scores (then also (B, heads, T, S)), training,
    use_causal_mask; inputs' Keras masks (query, value, key) are applied too.

    >>> import numpy as np
    >>> x = np.ones((2, 5, 8), "float32")
    >>> MultiHeadAttention(num_heads=2, key_dim=4)(x, x).shape
    (2, 5, 8)
    """

    def __init__(
        self,
        num_heads,
        key_dim,
        value_dim=None,
        dropout=0.0,
        use_bias=True,
        output_shape=None,
        attention_axes=None,
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
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.num_heads = args.positive_int(self, "num_heads", num_heads)
        self.key_dim = args.positive_int(self, "key_dim", key_dim)
        self.value_dim = args.positive_int(self, "value_dim", value_dim or key_dim)
        if (
            isinstance(dropout, bool)
            or not isinstance(dropout, (int, float))
            or not (0 <= dropout <= 1)
        ):
            raise ValueError(
                f"MultiHeadAttention: `dropout` must be a number in [0, 1], "
                f"received dropout={dropout!r}."
            )
        self.dropout, self.use_bias, self.use_gate, self.seed = dropout, use_bias, use_gate, seed
        self._output_shape = (
            None
            if not output_shape
            else args.int_tuple(
                self,
                "output_shape",
                output_shape,
                len(output_shape) if isinstance(output_shape, (list, tuple)) else 1,
            )
        )
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        if attention_axes is not None and not isinstance(attention_axes, (list, tuple)):
            raise ValueError(
                f"MultiHeadAttention: `attention_axes` must be an int, list or "
                f"tuple, received attention_axes={attention_axes!r}."
            )
        self.attention_axes = None if attention_axes is None else tuple(attention_axes)
        self.sliding_window = (
            None
            if sliding_window is None
            else args.positive_int(self, "sliding_window", sliding_window)
        )
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.seed_generator = SeedGenerator(seed)
        self.supports_masking = True

    # --- building -----------------------------------------------------------------------------
    def _projection(self, name, in_dims, out_dims, activation=None):
        return Projection(
            in_dims,
            out_dims,
            self.use_bias,
            activation,
            name=name,
            dtype=self.dtype,
            kernel_initializer=self.kernel_initializer,
            bias_initializer=self.bias_initializer,
            kernel_regularizer=self.kernel_regularizer,
            bias_regularizer=self.bias_regularizer,
            kernel_constraint=self.kernel_constraint,
            bias_constraint=self.bias_constraint,
        )

    def build(self, query_shape, value_shape=None, key_shape=None):
        if value_shape is None and isinstance(query_shape, list):  # [query, value(, key)]
            query_shape, value_shape, key_shape = (list(query_shape) + [None])[:3]
        if value_shape is None:
            raise ValueError(
                f'Layer "{self.name}": build needs the query and value shapes, '
                f"received query_shape={query_shape} and value_shape=None."
            )
        key_shape = value_shape if key_shape is None else key_shape
        if tuple(value_shape[1:-1]) != tuple(key_shape[1:-1]):
            raise ValueError(
                f'Layer "{self.name}": all dimensions of `value` and `key` except the last '
                f"must be equal, received value shape {value_shape} and key shape {key_shape}."
            )
        rank = len(query_shape) + 1  # of the projected (batch, ..., heads, head_dim) tensors
        axes = self.attention_axes or tuple(range(1, rank - 2))
        axes = tuple(sorted(a if a >= 0 else rank - 1 + a for a in axes))
        if not axes or any(not 1 <= a <= rank - 3 for a in axes) or len(set(axes)) < len(axes):
            raise ValueError(
                f'Layer "{self.name}": `attention_axes` must name distinct axes among 1..'
                f"{rank - 3} of the query, received attention_axes={self.attention_axes}."
            )
        self.attention_axes = axes
        heads = (self.num_heads,)
        self.query_dense = self._projection("query", query_shape[-1:], heads + (self.key_dim,))
        self.key_dense = self._projection("key", key_shape[-1:], heads + (self.key_dim,))
        if self.use_gate:
            self._gate_dense = self._projection(
                "gate", query_shape[-1:], heads + (self.value_dim,), "sigmoid"
            )
        self.value_dense = self._projection("value", value_shape[-1:], heads + (self.value_dim,))
        self.output_dense = self._projection(
            "attention_output",
            heads + (self.value_dim,),
            self._output_shape or tuple(query_shape[-1:]),
        )
        for layer in self._layers:
            layer.build(None)
            layer.built = True
        prefix_paths(self, self.name)  # "multi_head_attention/query/kernel", as Keras
        self._build_shapes_dict = {
            "query_shape": tuple(query_shape),  # Keras's build_config
            "value_shape": tuple(value_shape),
        }
        if key_shape is not value_shape:
            self._build_shapes_dict["key_shape"] = tuple(key_shape)
        self.built = True

    # --- calling ------------------------------------------------------------------------------
    def __call__(self, query, value=None, key=None, **kwargs):
        if value is None and isinstance(query, (list, tuple)):  # replayed by a Functional model
            query, value, key = (list(query) + [None])[:3]
        if value is None:
            raise ValueError(f'Layer "{self.name}" needs `query` and `value`, received value=None.')
        if not self.built:
            self.build(*(None if t is None else tuple(t.shape) for t in (query, value, key)))
        if is_symbolic([query, value, key, kwargs]):  # a node with every tensor argument
            return super().__call__(query, value, **({} if key is None else {"key": key}), **kwargs)
        value = self._convert_input(value)
        key = None if key is None else self._convert_input(key)
        return super().__call__(query, value, key, **kwargs)

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
            getattr(t, "_keras_mask", None) if m is None else m  # the inputs' Keras masks
            for m, t in ((query_mask, query), (value_mask, value), (key_mask, key))
        ]
        mask = self._attention_mask(query, value, *masks, attention_mask, use_causal_mask)
        if (
            mask is None
            and not return_attention_scores
            and self._packs(query, key_input, value, training)
        ):
            return self.output_dense(self._packed_self_attention(query))
        gate = self._gate_dense(query) if self.use_gate else None
        q, k, v = self.query_dense(query), self.key_dense(key_input), self.value_dense(value)
        outputs, scores = self._attend(q, k, v, mask, training)
        if gate is not None:
            outputs = outputs * gate
        outputs = self.output_dense(outputs)
        return (outputs, scores) if return_attention_scores else outputs

    def _packs(self, query, key, value, training):
        """Whether the call is plain self-attention over time that `packed_self_attention`
        computes: one tensor as query, key and value (batch, time, dim), no gate, no dropout
        while training, the built-in projections without activations, and no subclass's own
        `_attend`."""
        dense = (self.query_dense, self.key_dense, self.value_dense)
        return (
            query is value
            and type(self)._attend is MultiHeadAttention._attend
            and key is value
            and query.ndim == 3
            and self.attention_axes == (1,)
            and not self.use_gate
            and not (training and self.dropout > 0)
            and all(type(p) is Projection and p.activation is activations.linear for p in dense)
        )

    def _packed_self_attention(self, query):
        """The query, key and value projections as one GEMM with the kernels side by side,
        then the attention of all heads as one op; (batch, time, heads, value_dim)."""
        dense = (self.query_dense, self.key_dense, self.value_dense)
        dim = query.shape[-1]
        kernel = ops.concatenate([ops.reshape(p.kernel, (dim, -1)) for p in dense], axis=-1)
        bias = None
        if self.use_bias:
            bias = ops.concatenate([ops.reshape(p.bias, (-1,)) for p in dense], axis=0)
        qkv = project(query, kernel, bias)
        out = packed_self_attention(qkv, self.num_heads, self.key_dim, self.value_dim)
        return ops.reshape(out, tuple(out.shape[:-1]) + (self.num_heads, self.value_dim))

    def _attention_mask(
        self, query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask
    ):
        """Keras's rules: query mask (B, T, 1) & value/key masks (B, 1, S) & causal (1, T, S)
        & sliding window & `attention_mask`, as NumPy booleans (or None)."""
        parts = []
        if query_mask is not None:
            parts.append(as_mask(query_mask)[..., None])
        for m in (value_mask, key_mask):
            if m is not None:
                parts.append(np.expand_dims(as_mask(m), -2))
        t, s = query.shape[1], value.shape[1]
        if use_causal_mask:
            parts.append(causal_mask(t, s))
        if self.sliding_window is not None:
            parts.append(np.abs(np.arange(t)[:, None] - np.arange(s))[None] < self.sliding_window)
        if attention_mask is not None:
            parts.append(as_mask(attention_mask))
        if not parts:
            return None
        mask = parts[0]
        for part in parts[1:]:
            mask = mask & part
        return mask

    def _attend(self, q, k, v, mask, training):
        """Attention over `attention_axes` of (B, *S, heads, dim) tensors, the other axes as
        batch; scores come back in Keras's (B, *other, heads, *q_axes, *k_axes) layout."""
        rank, axes = q.ndim, self.attention_axes
        others = tuple(a for a in range(1, rank - 2) if a not in axes)
        order = (0,) + others + (rank - 2,) + axes + (rank - 1,)

        def heads_first(t):  # (B, *others, heads, positions, dim)
            t = ops.transpose(t, order)
            return ops.reshape(t, tuple(t.shape[: len(others) + 2]) + (-1, t.shape[-1]))

        q_lead = tuple(q.shape[a] for a in order[:-1])  # (B, *others, heads, *query axes)
        scores = ops.matmul(
            heads_first(q) * (1.0 / math.sqrt(self.key_dim)), ops.swapaxes(heads_first(k), -1, -2)
        )
        keras_shape = q_lead + tuple(k.shape[a] for a in axes)
        if mask is not None:
            while mask.ndim < len(keras_shape):
                mask = np.expand_dims(mask, -2 * len(axes) - 1)
            mask = np.broadcast_to(mask, keras_shape).reshape(scores.shape)
            scores = ops.where(mask, scores, -1e9)
        probs = ops.softmax(scores, axis=-1)
        if mask is not None:
            probs = ops.where(mask, probs, 0.0)  # rows with every key masked give zeros
        dropped = probs
        if training and self.dropout > 0:
            dropped = ops.dropout(probs, self.dropout, seed=self.seed_generator)
        outputs = ops.reshape(ops.matmul(dropped, heads_first(v)), q_lead + (v.shape[-1],))
        outputs = ops.transpose(outputs, tuple(int(i) for i in np.argsort(order)))
        return outputs, ops.reshape(probs, keras_shape)

    # --- shapes and config ----------------------------------------------------------------------
    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        if value_shape is None and isinstance(query_shape, list):
            query_shape = query_shape[0]
        return tuple(query_shape[:-1]) + (self._output_shape or tuple(query_shape[-1:]))

    def get_config(self):
        listed = lambda t: None if t is None else list(t)
        return {
            **super().get_config(),
            "num_heads": self.num_heads,
            "key_dim": self.key_dim,
            "value_dim": self.value_dim,
            "dropout": self.dropout,
            "use_bias": self.use_bias,
            "use_gate": self.use_gate,
            "output_shape": listed(self._output_shape),
            "attention_axes": listed(self.attention_axes),
            "sliding_window": self.sliding_window,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "seed": self.seed,
        }
