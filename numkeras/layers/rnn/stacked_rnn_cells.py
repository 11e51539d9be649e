"""StackedRNNCells: a list of RNN cells run as one cell, each cell's output the next one's input."""

from numkeras import ops
from numkeras.layers.layer import Layer
from numkeras.layers.rnn.base_cell import BaseRNNCell
from numkeras.tree import flatten


def state_sizes(cell):
    """A cell's state sizes as a list of ints."""
    sizes = cell.state_size
    return [sizes] if isinstance(sizes, int) else list(sizes)


def output_size(cell):
    """A cell's output width: its `output_size`, else its first state's size."""
    size = getattr(cell, "output_size", None)
    return state_sizes(cell)[0] if size is None else size


def call_cell(cell, x, states, training=False):
    """One step of any cell: `(output, new states as a list)`."""
    if isinstance(cell, Layer):
        output, new_states = cell(x, states, training=training)
    else:
        output, new_states = cell.call(x, states)
    return output, list(new_states) if isinstance(new_states, (list, tuple)) else [new_states]


class StackedRNNCells(Layer):
    """Runs `cells` one after the other at each time step, so `RNN` can stack them in one loop.

    Args:
        cells: a list of RNN cells (layers with `call(inputs, states)` and a `state_size`).

    `state_size` is the list of the cells' state sizes (`[[4, 4], 3]` for LSTMCell(4) then
    GRUCell(3)) and `output_size` the last cell's. Call arguments: `inputs` (batch, features)
    and `states`, one entry per cell (a list of its states, or a single tensor); returns
    `(output, new_states)` in the same structure.

    >>> import numpy as np
    >>> from numkeras.layers import GRUCell, LSTMCell, RNN
    >>> cells = StackedRNNCells([LSTMCell(4), GRUCell(3)])
    >>> cells.state_size, cells.output_size
    ([[4, 4], 3], 3)
    >>> RNN(cells)(np.ones((2, 5, 6), "float32")).shape
    (2, 3)
    """

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        for cell in cells:
            for needed in ("call", "state_size"):
                if not hasattr(cell, needed):
                    raise ValueError(
                        f"StackedRNNCells: every cell needs a `{needed}` "
                        f"attribute, received cell={cell!r}."
                    )
        self.cells = list(cells)

    @property
    def state_size(self):
        return [cell.state_size for cell in self.cells]

    @property
    def output_size(self):
        return output_size(self.cells[-1])

    def build(self, input_shape):
        batch = flatten(input_shape)[0]
        for cell in self.cells:
            if isinstance(cell, Layer):
                cell._maybe_build(input_shape)
                for v in cell.weights:  # Keras's paths: stacked_rnn_cells/lstm_cell/kernel
                    if f"/{self.name}/" not in f"/{v.path}":
                        v.path = f"{self.name}/{v.path}"
            input_shape = (batch, output_size(cell))

    def get_initial_state(self, batch_size=None):
        """One list of zero states per cell (from the cell's own `get_initial_state`)."""
        states = []
        for cell in self.cells:
            make = getattr(cell, "get_initial_state", None)
            own = (
                make(batch_size=batch_size)
                if make is not None
                else [ops.zeros((batch_size, size), dtype=self.dtype) for size in state_sizes(cell)]
            )
            states.append(list(own) if isinstance(own, (list, tuple)) else [own])
        return states

    # --- the step: states as one flat list, so RNN's loop handles them like a plain cell's ---
    def project(self, inputs, training=False):
        """The first cell's input projection (for a whole sequence at once), if it has one."""
        first = self.cells[0]
        return first.project(inputs, training) if isinstance(first, BaseRNNCell) else inputs

    def step(self, x, states, training=False):
        """`(output, new states)` from `project(inputs)` and the cells' states, flattened."""
        new_states, start = [], 0
        for i, cell in enumerate(self.cells):
            count = len(state_sizes(cell))
            own, start = list(states[start : start + count]), start + count
            if isinstance(cell, BaseRNNCell):
                x, own = cell.step(x if i == 0 else cell.project(x, training), own, training)
            else:
                x, own = call_cell(cell, x, own, training)
            new_states += own
        return x, new_states

    def call(self, inputs, states, training=False):
        output, flat = self.step(self.project(inputs, training), flatten(states), training)
        grouped, start = [], 0
        for cell, given in zip(self.cells, states):
            count = len(state_sizes(cell))
            own, start = flat[start : start + count], start + count
            grouped.append(own if isinstance(given, (list, tuple)) or count > 1 else own[0])
        return output, grouped[0] if len(grouped) == 1 else grouped

    def reset_dropout_mask(self):
        for cell in self.cells:
            if hasattr(cell, "reset_dropout_mask"):
                cell.reset_dropout_mask()

    def reset_recurrent_dropout_mask(self):
        for cell in self.cells:
            if hasattr(cell, "reset_recurrent_dropout_mask"):
                cell.reset_recurrent_dropout_mask()

    def get_config(self):
        from numkeras.saving.serialization import serialize_keras_object

        return {**super().get_config(), "cells": [serialize_keras_object(c) for c in self.cells]}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from numkeras.saving.serialization import deserialize_keras_object

        config = dict(config)
        cells = [
            deserialize_keras_object(c, custom_objects=custom_objects) if isinstance(c, dict) else c
            for c in config.pop("cells")
        ]
        return cls(cells, **config)
