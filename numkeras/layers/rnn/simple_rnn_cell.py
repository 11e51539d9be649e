"""SimpleRNNCell: one step of a fully connected RNN, `h = activation(x W + h_prev U + b)`."""

from numkeras.layers.rnn.base_cell import BaseRNNCell


class SimpleRNNCell(BaseRNNCell):
    """The cell of `SimpleRNN`: processes one time step; wrap it in `RNN` for sequences.

    Args:
        units: the size of the output and of the state.
        activation: applied to the sum (tanh); None is linear.
        use_bias: whether to add a bias vector.
        kernel_initializer, recurrent_initializer, bias_initializer: initializers for the
            kernel (input_dim, units), the recurrent kernel (units, units) and the bias
            (glorot_uniform, orthogonal, zeros).
        kernel_regularizer, recurrent_regularizer, bias_regularizer: optional penalties.
        dropout: the fraction of the inputs dropped while training (one mask per sequence).
        recurrent_dropout: the fraction of the previous state dropped while training.
        seed: an int for repeatable dropout masks.

    Call arguments: `inputs` (batch, features) and `states`, a list holding the previous
    output (batch, units). Returns `(output, [output])`.

    >>> import numpy as np
    >>> cell = SimpleRNNCell(4)
    >>> out, states = cell(np.ones((2, 3), "float32"), [np.zeros((2, 4), "float32")])
    >>> out.shape, len(states)
    ((2, 4), 1)
    """

    def step(self, x, states, training=False):
        output = self.activation(x + self.recurrent(states[0], training))
        return output, [output]
