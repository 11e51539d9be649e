"""RNN: runs a cell over the time axis (masks, go_backwards, returned sequences and states)."""

import numpy as np

from numkeras import ops, regularizers
from numkeras.layers.layer import InputSpec, Layer, shape_str
from numkeras.layers.rnn import whole_sequence
from numkeras.layers.rnn.base_cell import BaseRNNCell
from numkeras.layers.rnn.stacked_rnn_cells import StackedRNNCells, call_cell, state_sizes
from numkeras.tree import flatten


def time_steps(x):
    """`unstack(x, axis=0)` by repeated halving. Each slice's gradient is a full-size array,
    so T direct slices cost O(T^2) work in backprop; halving costs O(T log T)."""
    if x.shape[0] == 1:
        return [x[0]]
    head, tail = ops.split(x, [x.shape[0] // 2], axis=0)
    return time_steps(head) + time_steps(tail)


def prefix_paths(layer, prefix):
    """Name a sublayer's weights under its owner, as Keras does (`lstm/lstm_cell/kernel`)."""
    for v in layer.weights:
        if f"/{prefix}/" not in f"/{v.path}":  # (not when built inside the owner's scope)
            v.path = f"{prefix}/{v.path}"


class RNN(Layer):
    """Applies `cell` to each time step of (batch, time, features) inputs, carrying its states.

    Args:
        cell: an RNN cell: a layer with `call(inputs, states)` returning
            `(output, new_states)` and a `state_size` (an int or a list of ints), or a
            `StackedRNNCells`.
        return_sequences: return the output of every step (batch, time, units), not only
            the last one.
        return_state: also return the final states: `output, *states` (with stacked
            cells one list per cell, as Keras: `output, [h, c], [h]`).
        go_backwards: process the sequence in reverse (the returned sequence is reversed).
        stateful: carry the final states of a batch over as the next batch's initial states.
        unroll: accepted for Keras compatibility; the loop is always a Python loop.
        zero_output_for_mask: masked steps output zeros instead of the previous output.

    Call arguments: `sequences`, `initial_state` (a list of (batch, size) arrays; with
        stacked cells nested per cell as Keras takes it, or flat), `mask`
    ((batch, time) booleans, also read from an Embedding(mask_zero=True) output: masked
    steps keep the previous states and output) and `training`.

    >>> import numpy as np
    >>> from numkeras.layers import SimpleRNNCell
    >>> RNN(SimpleRNNCell(4), return_sequences=True)(np.ones((2, 5, 3), "float32")).shape
    (2, 5, 4)
    """

    _cell_attributes = ()  # settings SimpleRNN, LSTM and GRU read from (and save with) the cell

    def __init__(
        self,
        cell,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        zero_output_for_mask=False,
        **kwargs,
    ):
        if isinstance(cell, (list, tuple)):  # as Keras: a list of cells runs stacked
            cell = StackedRNNCells(cell)
        for needed in ("call", "state_size"):
            if not hasattr(cell, needed):
                raise ValueError(
                    f"{type(self).__name__}: `cell` must have a `{needed}` attribute, "
                    f"received cell={cell!r}."
                )
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences, self.return_state = bool(return_sequences), bool(return_state)
        self.go_backwards, self.stateful = bool(go_backwards), bool(stateful)
        self.unroll, self.zero_output_for_mask = unroll, zero_output_for_mask
        # the loop carries one flat list of states; stacked cells' are grouped per cell
        self._groups = None
        if isinstance(cell, StackedRNNCells):
            self._groups = [len(state_sizes(c)) for c in cell.cells]
        self.state_size = flatten(state_sizes(cell))
        self.states = None
        self.input_spec = InputSpec(min_ndim=3)

    def __getattr__(self, name):
        if name in type(self)._cell_attributes and "cell" in self.__dict__:
            return getattr(self.__dict__["cell"], name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def build(self, sequences_shape, initial_state_shape=None):
        if isinstance(self.cell, Layer):
            self.cell._maybe_build((sequences_shape[0],) + tuple(sequences_shape[2:]))
            prefix_paths(self.cell, self.name)

    def get_initial_state(self, batch_size):
        make = getattr(self.cell, "get_initial_state", None)
        if make is not None:
            return flatten(make(batch_size=batch_size))
        return [ops.zeros((batch_size, size), dtype=self.dtype) for size in self.state_size]

    # --- the loop over time --------------------------------------------------------------
    def call(self, sequences, initial_state=None, mask=None, training=False):
        if mask is None:
            mask = getattr(sequences, "_keras_mask", None)
        batch, steps = sequences.shape[0], sequences.shape[1]
        if not steps:
            raise ValueError(
                f'Layer "{self.name}": the inputs have no time steps, '
                f"shape {shape_str(sequences.shape)}."
            )
        states = self._start_states(initial_state, batch)
        keep = self._step_masks(mask, batch, steps)
        try:
            whole = whole_sequence.run(self, sequences, states, keep, training)
            output, outputs, states = whole or self._loop(sequences, states, keep, training)
        finally:
            if hasattr(self.cell, "reset_dropout_mask"):  # fresh masks for the next batch
                self.cell.reset_dropout_mask()
                self.cell.reset_recurrent_dropout_mask()
        if self.stateful:
            self.states = [ops.convert_to_numpy(s) for s in states]
        if self.return_sequences:
            output = ops.stack(outputs, axis=1) if isinstance(outputs, list) else outputs
            if mask is not None:
                output._keras_mask = mask
        result = (output, *self._grouped(states)) if self.return_state else output
        return result

    def _loop(self, sequences, states, keep, training):
        """Step through time; where `keep` is False a step leaves output and states as they
        were (the output starts as zeros, and stays zeros with zero_output_for_mask)."""
        if isinstance(self.cell, (BaseRNNCell, StackedRNNCells)):  # one input matmul for all steps
            xs = time_steps(ops.swapaxes(self.cell.project(sequences, training), 0, 1))
            step = lambda x, s: self.cell.step(x, s, training)
        else:
            xs = time_steps(ops.swapaxes(sequences, 0, 1))
            step = lambda x, s: call_cell(self.cell, x, s, training)
        output, outputs = None, []
        for t in reversed(range(len(xs))) if self.go_backwards else range(len(xs)):
            new_output, new_states = step(xs[t], states)
            if keep is not None:
                held = output
                if held is None or self.zero_output_for_mask:
                    held = ops.zeros_like(new_output)
                new_output = ops.where(keep[t], new_output, held)
                new_states = [ops.where(keep[t], n, s) for n, s in zip(new_states, states)]
            output, states = new_output, list(new_states)
            if self.return_sequences:
                outputs.append(output)
        return output, outputs, states

    def _grouped(self, flat):
        """Stacked cells' states as one list per cell, as Keras returns them."""
        if self._groups is None:
            return list(flat)
        ends = np.cumsum(self._groups)
        return [list(flat[end - n : end]) for n, end in zip(self._groups, ends)]

    def _start_states(self, initial_state, batch):
        if initial_state is None and self.stateful and self.states is not None:
            if self.states[0].shape[0] != batch:
                raise ValueError(
                    f'Layer "{self.name}" is stateful: the batch size must stay '
                    f"{self.states[0].shape[0]}, received a batch of {batch}."
                )
            initial_state = self.states
        if initial_state is None:
            return self.get_initial_state(batch)
        states = [self._convert_input(s) for s in flatten(initial_state)]
        expected = [(batch, size) for size in self.state_size]
        if [tuple(s.shape) for s in states] != expected:
            raise ValueError(
                f'Layer "{self.name}": `initial_state` must be {len(expected)} tensor(s) of '
                f"shapes {expected}, received shapes {[tuple(s.shape) for s in states]}."
            )
        return states

    def _step_masks(self, mask, batch, steps):
        """The mask as one (batch, 1) boolean array per time step, or None."""
        if mask is None:
            return None
        mask = np.asarray(ops.convert_to_numpy(mask)).astype(bool)
        if mask.size != batch * steps or mask.shape[:2] != (batch, steps):
            raise ValueError(
                f'Layer "{self.name}": the mask must have shape {(batch, steps)}, '
                f"received shape {mask.shape}."
            )
        return list(mask.reshape(batch, steps, 1).swapaxes(0, 1))

    # --- shapes, state, config -----------------------------------------------------------
    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        batch, length = sequences_shape[0], sequences_shape[1]
        size = getattr(self.cell, "output_size", None) or self.state_size[0]
        output = (batch, length, size) if self.return_sequences else (batch, size)
        if self.return_state:
            return [output] + self._grouped([(batch, s) for s in self.state_size])
        return output

    def compute_mask(self, inputs, mask=None):
        output_mask = mask if self.return_sequences else None
        return [output_mask] + [None] * len(self.state_size) if self.return_state else output_mask

    def reset_state(self):
        """Forget a stateful layer's carried states (the next batch starts from zeros)."""
        self.states = None

    reset_states = reset_state

    def get_config(self):
        from numkeras.saving.serialization import serialize_keras_object

        config = {
            **super().get_config(),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
        }
        regularizer = regularizers.serialize(self.activity_regularizer)
        if not self._cell_attributes:
            extra = {"activity_regularizer": regularizer} if regularizer is not None else {}
            return {**config, "cell": serialize_keras_object(self.cell), **extra}
        cell_config = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            cell_config.pop(key)
        return {**config, **cell_config, "activity_regularizer": regularizer}

    @classmethod
    def from_config(cls, config):
        from numkeras.saving.serialization import deserialize_keras_object

        config = dict(config)
        if "cell" in config:
            cell = config.pop("cell")
            cell = deserialize_keras_object(cell) if isinstance(cell, dict) else cell
            return cls(cell, **config)
        return cls(**config)
