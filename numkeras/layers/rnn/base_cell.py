"""BaseRNNCell: what SimpleRNNCell, LSTMCell and GRUCell share (arguments, weights, dropout)."""

import numpy as np

from numkeras import activations, initializers, ops, regularizers
from numkeras.layers.args import positive_int
from numkeras.layers.layer import Layer
from numkeras.random import SeedGenerator


def rate(layer, name, value):
    """A dropout rate: a number in [0, 1]."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(
            f"{type(layer).__name__}: `{name}` must be a number in [0, 1], "
            f"received {name}={value!r}."
        )
    return float(value)


def check_args(layer, units, dropout, recurrent_dropout):
    """Validate a recurrent layer's cell arguments, naming the layer (not its cell)."""
    positive_int(layer, "units", units)
    rate(layer, "dropout", dropout)
    rate(layer, "recurrent_dropout", recurrent_dropout)


def dense(x, kernel):
    """`x @ kernel` over the last axis as one 2-D matmul, so the kernel gradient is one GEMM."""
    if x.ndim == 2:
        return ops.matmul(x, kernel)
    y = ops.matmul(ops.reshape(x, (-1, x.shape[-1])), kernel)
    return ops.reshape(y, tuple(x.shape[:-1]) + (kernel.shape[-1],))


class BaseRNNCell(Layer):
    """One time step of a recurrent layer whose kernels hold `gates` blocks of `units` columns.

    A subclass sets `gates` and `state_size` and defines `step(x, states, training)`, where `x`
    is `project(inputs)`: `inputs @ kernel + input bias`. `project` also takes a whole
    sequence (batch, time, features), so the RNN layer does one big matmul before its loop.
    Dropout masks are drawn once per sequence and reused at every step, as in Keras; with
    recurrent dropout each gate gets its own masks (Keras's `implementation=1`).
    """

    gates = 1

    def __init__(
        self,
        units,
        activation="tanh",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        kwargs.pop("implementation", None)  # Keras 2 configs; the dropout setting decides it
        super().__init__(**kwargs)
        self.units = positive_int(self, "units", units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = kernel_constraint
        self.recurrent_constraint = recurrent_constraint
        self.bias_constraint = bias_constraint
        self.dropout = rate(self, "dropout", dropout)
        self.recurrent_dropout = rate(self, "recurrent_dropout", recurrent_dropout)
        self.seed = seed
        self.seed_generator = SeedGenerator(seed)
        self.dropout_mask_count = self.gates if self.recurrent_dropout and self.gates > 1 else None
        self.state_size = self.output_size = self.units
        self._dropout_mask = self._recurrent_dropout_mask = None

    # --- weights ---------------------------------------------------------------------------
    def build(self, input_shape):
        width = self.gates * self.units
        self.kernel = self.add_weight(
            shape=(input_shape[-1], width),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, width),
            name="recurrent_kernel",
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=self.bias_shape(),
                name="bias",
                initializer=self.bias_init(),
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def bias_shape(self):
        return (self.gates * self.units,)

    def bias_init(self):
        return self.bias_initializer

    def input_bias(self):
        return self.bias

    # --- dropout masks (Keras's DropoutRNNCell) ----------------------------------------------
    def _new_masks(self, shape, dropout):
        ones = np.ones(shape, self.dtype)
        draw = lambda: ops.dropout(ones, dropout, seed=self.seed_generator)
        count = self.dropout_mask_count
        return draw() if count is None else [draw() for _ in range(count)]

    def get_dropout_mask(self, step_input):
        if self._dropout_mask is None and self.dropout > 0:
            self._dropout_mask = self._new_masks(step_input.shape, self.dropout)
        return self._dropout_mask

    def get_recurrent_dropout_mask(self, step_input):
        if self._recurrent_dropout_mask is None and self.recurrent_dropout > 0:
            self._recurrent_dropout_mask = self._new_masks(step_input.shape, self.recurrent_dropout)
        return self._recurrent_dropout_mask

    def reset_dropout_mask(self):
        self._dropout_mask = None

    def reset_recurrent_dropout_mask(self):
        self._recurrent_dropout_mask = None

    # --- the computation -------------------------------------------------------------------
    def project(self, inputs, training=False):
        """`inputs @ kernel + input bias` for (batch, features) or (batch, time, features)."""
        masks = None
        if training and 0.0 < self.dropout < 1.0:
            masks = self.get_dropout_mask(inputs if inputs.ndim == 2 else inputs[:, 0])
        if masks is None:
            out = dense(inputs, self.kernel)
        else:

            def masked(mask):  # the same mask at every time step
                return inputs * (mask if inputs.ndim == 2 else ops.expand_dims(mask, 1))

            if isinstance(masks, list):
                kernels = ops.split(self.kernel, len(masks), axis=1)
                out = ops.concatenate(
                    [dense(masked(m), k) for m, k in zip(masks, kernels)], axis=-1
                )
            else:
                out = dense(masked(masks), self.kernel)
        bias = self.input_bias()
        return out if bias is None else out + bias

    def recurrent(self, h, training=False, gates=None):
        """`h @ recurrent_kernel`, or only its column blocks `gates` (a range), with the
        recurrent dropout mask(s) applied to `h` while training."""
        gates = range(self.gates) if gates is None else gates
        kernel = self.recurrent_kernel
        if len(gates) != self.gates:
            kernel = kernel[:, gates[0] * self.units : (gates[-1] + 1) * self.units]
        masks = None
        if training and 0.0 < self.recurrent_dropout < 1.0:
            masks = self.get_recurrent_dropout_mask(h)
        if masks is None:
            return ops.matmul(h, kernel)
        if not isinstance(masks, list):
            return ops.matmul(h * masks, kernel)
        blocks = ops.split(kernel, len(gates), axis=1)
        return ops.concatenate([ops.matmul(h * masks[g], k) for g, k in zip(gates, blocks)], axis=1)

    def step(self, x, states, training=False):
        """(output, new states) from the projected inputs `x` and the previous states."""
        raise NotImplementedError

    def call(self, inputs, states, training=False):
        nested = isinstance(states, (list, tuple))
        output, new_states = self.step(
            self.project(inputs, training), list(states) if nested else [states], training
        )
        return output, (new_states if nested or len(new_states) > 1 else new_states[0])

    def get_initial_state(self, batch_size=None):
        sizes = self.state_size if isinstance(self.state_size, list) else [self.state_size]
        return [ops.zeros((batch_size, size), dtype=self.dtype) for size in sizes]

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": None,
            "recurrent_constraint": None,
            "bias_constraint": None,
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }
