"""GRUCell: one step of a gated recurrent unit (Cho et al., 2014)."""

from numkeras import activations, ops
from numkeras.layers.rnn.base_cell import BaseRNNCell


class GRUCell(BaseRNNCell):
    """The cell of `GRU`; kernels hold the update (z), reset (r) and candidate (h) blocks.

    `h_t = z * h_{t-1} + (1 - z) * tanh(x W_h + r * (h_{t-1} U_h + b_rh) + b_h)` with
    `reset_after=True` (Keras's default, PyTorch's and cuDNN's variant, bias (2, 3 * units):
    input bias then recurrent bias); with `reset_after=False` the reset gate multiplies
    `h_{t-1}` before `U_h` and the bias is (3 * units,).

    Args:
        units: the size of the output and of the state.
        activation: for the candidate (tanh); recurrent_activation: for the gates (sigmoid).
        use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
            kernel_regularizer, recurrent_regularizer, bias_regularizer, dropout,
            recurrent_dropout, seed: as in `LSTMCell`.
        reset_after: apply the reset gate after the recurrent matmul (True) or before.

    Call arguments: `inputs` (batch, features), `states` [h]; returns `(h, [h])`.

    >>> import numpy as np
    >>> h, states = GRUCell(4)(np.ones((2, 3), "float32"), [np.zeros((2, 4), "float32")])
    >>> h.shape
    (2, 4)
    """

    gates = 3

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
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
        reset_after=True,
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
        self.reset_after = reset_after

    def bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def input_bias(self):
        return self.bias[0] if self.bias is not None and self.reset_after else self.bias

    def step(self, x, states, training=False):
        h = states[0]
        x_z, x_r, x_h = ops.split(x, 3, axis=1)
        sig = self.recurrent_activation
        if self.reset_after:
            inner = self.recurrent(h, training)
            if self.bias is not None:
                inner = inner + self.bias[1]
            h_z, h_r, h_h = ops.split(inner, 3, axis=1)
            z, r = sig(x_z + h_z), sig(x_r + h_r)
            candidate = self.activation(x_h + r * h_h)
        else:
            h_z, h_r = ops.split(self.recurrent(h, training, gates=range(2)), 2, axis=1)
            z, r = sig(x_z + h_z), sig(x_r + h_r)
            candidate = self.activation(x_h + self._reset_matmul(r, h, training))
        h = z * h + (1 - z) * candidate
        return h, [h]

    def _reset_matmul(self, r, h, training):
        """`(r * h) @ U_h`, the reset-before candidate (h's dropout mask applies first)."""
        masks = None
        if training and 0.0 < self.recurrent_dropout < 1.0:
            masks = self.get_recurrent_dropout_mask(h)
        if masks is not None:
            h = h * (masks[2] if isinstance(masks, list) else masks)
        return ops.matmul(r * h, self.recurrent_kernel[:, 2 * self.units :])

    def get_config(self):
        return {
            **super().get_config(),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "reset_after": self.reset_after,
        }
