"""GRU: the gated recurrent unit layer, an `RNN` over a `GRUCell`."""

from numkeras.layers.layer import InputSpec
from numkeras.layers.rnn.base_cell import check_args
from numkeras.layers.rnn.gru_cell import GRUCell
from numkeras.layers.rnn.rnn import RNN
from numkeras.layers.rnn.simple_rnn import CELL_ATTRIBUTES


class GRU(RNN):
    """Gated recurrent units over (batch, time, features) inputs; weights as in Keras.

    The weights are the cell's: kernel (input_dim, 3 * units), recurrent_kernel
    (units, 3 * units) and bias, (2, 3 * units) with `reset_after=True` (input and recurrent
    biases) or (3 * units,); blocks in the order z, r, h, so Keras's `get_weights()` load
    unchanged. With `return_state` it returns `output, h`.

    Args:
        units: the size of the output and of the state.
        activation, recurrent_activation, use_bias, kernel_initializer,
            recurrent_initializer, bias_initializer, kernel_regularizer,
            recurrent_regularizer, bias_regularizer, dropout, recurrent_dropout,
            reset_after, seed: as in `GRUCell`.
        return_sequences, return_state, go_backwards, stateful, unroll: as in `RNN`.
        use_cudnn: accepted for Keras compatibility ("auto", True or False); no effect.

    Call arguments: `sequences`, `initial_state` ([h]), `mask`, `training`.

    >>> import numpy as np
    >>> GRU(4, return_sequences=True)(np.ones((2, 5, 3), "float32")).shape
    (2, 5, 4)
    """

    _cell_attributes = CELL_ATTRIBUTES + ("recurrent_activation", "reset_after")

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
        reset_after=True,
        use_cudnn="auto",
        **kwargs,
    ):
        check_args(self, units, dropout, recurrent_dropout)
        cell = GRUCell(
            units,
            activation=activation,
            recurrent_activation=recurrent_activation,
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
            reset_after=reset_after,
            seed=seed,
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name="gru_cell",
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
                f'GRU: `use_cudnn` must be "auto", True or False, received use_cudnn={use_cudnn!r}.'
            )
        self.use_cudnn = use_cudnn
        self.input_spec = InputSpec(ndim=3)
