"""LSTMCell: one step of a long short-term memory layer (Hochreiter & Schmidhuber, 1997)."""

import numpy as np

from numkeras import activations, ops
from numkeras.layers.rnn.base_cell import BaseRNNCell


class LSTMCell(BaseRNNCell):
    """The cell of `LSTM`; kernels hold the input, forget, cell and output gates in that order.

    With `z = x @ kernel + h @ recurrent_kernel + bias` split into (i, f, c, o):
    `c_t = sig(f) * c_{t-1} + sig(i) * tanh(c)` and `h_t = sig(o) * tanh(c_t)`, where `sig` is
    `recurrent_activation` and `tanh` is `activation`.

    Args:
        units: the size of the output and of both states (h and c).
        activation: for the candidate and the output (tanh); None is linear.
        recurrent_activation: for the gates (sigmoid).
        use_bias: whether to add a bias vector (4 * units).
        kernel_initializer, recurrent_initializer, bias_initializer: initializers for
            kernel (input_dim, 4 * units), recurrent_kernel (units, 4 * units) and bias
            (glorot_uniform, orthogonal, zeros).
        unit_forget_bias: start the forget gate's bias at 1 (the rest use bias_initializer).
        kernel_regularizer, recurrent_regularizer, bias_regularizer: optional penalties.
        dropout, recurrent_dropout: fractions of the inputs and of the previous h dropped
            while training.
        seed: an int for repeatable dropout masks.

    Call arguments: `inputs` (batch, features), `states` [h, c]; returns `(h, [h, c])`.

    >>> import numpy as np
    >>> cell = LSTMCell(4)
    >>> h, (h, c) = cell(np.ones((2, 3), "float32"), [np.zeros((2, 4), "float32")] * 2)
    >>> h.shape, c.shape
    ((2, 4), (2, 4))
    """

    gates = 4

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        unit_forget_bias=True,
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
        super().__init__(
            units,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            **kwargs,
        )
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = unit_forget_bias
        self.state_size = [self.units, self.units]

    def bias_init(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        units, init = self.units, self.bias_initializer

        def forget_bias_one(shape, dtype=None):
            dtype = dtype or "float32"
            return np.concatenate(
                [
                    init((units,), dtype=dtype),
                    np.ones((units,), dtype),
                    init((2 * units,), dtype=dtype),
                ]
            )

        return forget_bias_one

    def step(self, x, states, training=False):
        h, c = states
        z = x + self.recurrent(h, training)
        i, f, candidate, o = ops.split(z, 4, axis=1)
        sig = self.recurrent_activation
        c = sig(f) * c + sig(i) * self.activation(candidate)
        h = sig(o) * self.activation(c)
        return h, [h, c]

    def get_config(self):
        return {
            **super().get_config(),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "unit_forget_bias": self.unit_forget_bias,
        }
