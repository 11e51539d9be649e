"""LSTM and GRU layers over the whole sequence as one op (ops/layer_ops/rnn.py).

`run` handles the common case: an LSTMCell or a GRUCell (reset_after) with Keras's default
activations, no mask, no recurrent dropout while training, forward in time. Anything else
returns None and the RNN steps through time one cell call at a time.
"""

from numkeras import activations, ops
from numkeras.layers.rnn.gru_cell import GRUCell
from numkeras.layers.rnn.lstm_cell import LSTMCell
from numkeras.ops.layer_ops import gru_sequence, lstm_sequence


def _applies(rnn, keep, training):
    cell = rnn.cell
    if keep is not None or rnn.go_backwards or type(cell) not in (LSTMCell, GRUCell):
        return False
    if (
        cell.activation is not activations.tanh
        or cell.recurrent_activation is not activations.sigmoid
    ):
        return False
    if training and 0.0 < cell.recurrent_dropout < 1.0:
        return False
    return type(cell) is LSTMCell or cell.reset_after


def run(rnn, sequences, states, keep, training):
    """(last output, all outputs (batch, time, units) or None, final states), or None where
    the layer must step through time."""
    if not _applies(rnn, keep, training):
        return None
    cell = rnn.cell
    inputs = _dropped(cell, sequences, training)
    every = rnn.return_sequences  # else only the final states, and gradients only there
    if type(cell) is LSTMCell:
        packed = lstm_sequence(
            inputs,
            cell.kernel,
            states[0],
            states[1],
            cell.recurrent_kernel,
            bias=cell.input_bias(),
            last_only=not every,
        )
        h, c = (packed[:, -1, 0], packed[:, -1, 1]) if every else (packed[:, 0], packed[:, 1])
        return h, packed[:, :, 0] if every else None, [h, c]
    recurrent_bias = None if cell.bias is None else cell.bias[1]
    outputs = gru_sequence(
        inputs,
        cell.kernel,
        states[0],
        cell.recurrent_kernel,
        recurrent_bias,
        last_only=not every,
        input_bias=cell.input_bias(),
    )
    h = outputs[:, -1] if every else outputs
    return h, outputs if every else None, [h]


def _dropped(cell, sequences, training):
    """The sequences times the cell's input dropout mask while training, the same mask at every
    step, as `BaseRNNCell.project` applies it (one mask: no recurrent dropout on this path)."""
    if not (training and 0.0 < cell.dropout < 1.0):
        return sequences
    return sequences * ops.expand_dims(cell.get_dropout_mask(sequences[:, 0]), 1)
