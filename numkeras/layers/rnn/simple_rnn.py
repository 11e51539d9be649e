"""SimpleRNN: a fully connected RNN whose output is fed back as the next step's state."""

from numkeras.layers.layer import InputSpec
from numkeras.layers.rnn.base_cell import check_args
from numkeras.layers.rnn.rnn import RNN
from numkeras.layers.rnn.simple_rnn_cell import SimpleRNNCell

CELL_ATTRIBUTES = (
    "units",
    "activation",
    "use_bias",
    "kernel_initializer",
    "recurrent_initializer",
    "bias_initializer",
    "kernel_regularizer",
    "recurrent_regularizer",
    "bias_regularizer",
    "kernel_constraint",
    "recurrent_constraint",
    "bias_constraint",
    "dropout",
    "recurrent_dropout",
    "seed",
)


class SimpleRNN(RNN):
    """`h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)` over a sequence.

    Args:
        units: the size of the output and of the state.
        activation, use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
            kernel_regularizer, recurrent_regularizer, bias_regularizer, dropout,
            recurrent_dropout, seed: as in `SimpleRNNCell`.
        return_sequences, return_state, go_backwards, stateful, unroll: as in `RNN`.

    Call arguments: `sequences` (batch, time, features), `initial_state`, `mask`, `training`.

    >>> import numpy as np
    >>> SimpleRNN(4)(np.ones((2, 5, 3), "float32")).shape
    (2, 4)
    """

    _cell_attributes = CELL_ATTRIBUTES

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
        activity_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        seed=None,
        **kwargs,
    ):
        check_args(self, units, dropout, recurrent_dropout)
        cell = SimpleRNNCell(
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
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name="simple_rnn_cell",
        )
        super().__init__(
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            activity_regularizer=activity_regularizer,
            **kwargs,
        )
        self.input_spec = InputSpec(ndim=3)
