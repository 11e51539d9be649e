"""LSTM: the long short-term memory layer, an `RNN` over an `LSTMCell`."""

from numkeras.layers.layer import InputSpec
from numkeras.layers.rnn.base_cell import check_args
from numkeras.layers.rnn.lstm_cell import LSTMCell
from numkeras.layers.rnn.rnn import RNN
from numkeras.layers.rnn.simple_rnn import CELL_ATTRIBUTES


class LSTM(RNN):
    """Long short-term memory over (batch, time, features) inputs; weights as in Keras.

    The weights are the cell's: kernel (input_dim, 4 * units), recurrent_kernel
    (units, 4 * units) and bias (4 * units,), gates in the order i, f, c, o, so Keras's
    `get_weights()` load unchanged. With `return_state` it returns `output, h, c`.

    Args:
        units: the size of the output and of the states.
        activation, recurrent_activation, use_bias, kernel_initializer,
            recurrent_initializer, bias_initializer, unit_forget_bias, kernel_regularizer,
            recurrent_regularizer, bias_regularizer, dropout, recurrent_dropout, seed:
            as in `LSTMCell`.
        return_sequences, return_state, go_backwards, stateful, unroll: as in `RNN`.
        use_cudnn: accepted for Keras compatibility ("auto", True or False); no effect.

    Call arguments: `sequences`, `initial_state` ([h, c]), `mask`, `training`.

    >>> import numpy as np
    >>> out, h, c = LSTM(4, return_sequences=True, return_state=True)(
    ...     np.ones((2, 5, 3), "float32"))
    >>> out.shape, h.shape, c.shape
    ((2, 5, 4), (2, 4), (2, 4))
    """

    _cell_attributes = CELL_ATTRIBUTES + ("recurrent_activation", "unit_forget_bias")

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
        activity_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        use_cudnn="auto",
        **kwargs,
    ):
        check_args(self, units, dropout, recurrent_dropout)
        cell = LSTMCell(
            units,
            activation=activation,
            recurrent_activation=recurrent_activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            unit_forget_bias=unit_forget_bias,
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
            name="lstm_cell",
            implementation=kwargs.pop("implementation", 2),
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
        if use_cudnn not in ("auto", True, False):
            raise ValueError(
                f'LSTM: `use_cudnn` must be "auto", True or False, received '
                f"use_cudnn={use_cudnn!r}."
            )
        self.use_cudnn = use_cudnn
        self.input_spec = InputSpec(ndim=3)
