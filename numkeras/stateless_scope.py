"""StatelessScope and SymbolicScope: Keras's scopes for running code without changing state."""

import threading

import numpy as np

from numkeras.engine import variable as variable_lib
from numkeras.engine.tensor import Tensor, as_array

__all__ = [
    "StatelessScope",
    "SymbolicScope",
    "get_stateless_scope",
    "in_stateless_scope",
    "in_symbolic_scope",
]

_state = threading.local()


class StatelessScope:
    """Within the block, variables read the values in `state_mapping` and assignments change
    nothing that outlives it: every variable has its own value back afterwards, and the
    values it ended with are read with `get_current_value`.

    Args:
        state_mapping: `(variable, value)` pairs; each value needs the variable's shape.
        collect_losses: gather the losses layers add in the block in `losses`.
        initialize_variables: accepted for Keras's signature (numkeras variables are never
            left uninitialized).

    >>> from numkeras import Variable
    >>> v = Variable(1.0)
    >>> with StatelessScope([(v, 2.0)]) as scope:
    ...     _ = v.assign(v + 1.0)
    >>> float(v.numpy()), float(scope.get_current_value(v).numpy())
    (1.0, 3.0)
    """

    def __init__(self, state_mapping=None, collect_losses=False, initialize_variables=True):
        self.collect_losses = collect_losses
        self.initialize_variables = initialize_variables
        self.losses = []
        self.state_mapping = {}
        self._variables = {}
        for k, v in state_mapping or []:
            if not isinstance(k, variable_lib.Variable):
                raise ValueError(
                    "Invalid reference variable in StatelessScope: all keys in argument "
                    f"`mapping` must be Variable instances. Received instead: {k}"
                )
            value = np.asarray(as_array(v), dtype=k.data.dtype)
            if value.shape != k.data.shape:
                raise ValueError(
                    "Invalid variable value in StatelessScope: all values in argument "
                    "`mapping` must be tensors with a shape that matches the corresponding "
                    f"variable shape. For variable {k}, received invalid value {v} with "
                    f"shape {value.shape}."
                )
            self.state_mapping[id(k)] = Tensor(value)
            self._variables[id(k)] = k

    def __enter__(self):
        self._outer = get_stateless_scope()
        self._outer_journal = getattr(variable_lib._journal, "entries", None)
        self._saved = {}
        for key, variable in self._variables.items():
            self._saved[key] = variable.data
            variable.data = self.state_mapping[key].data
        variable_lib._journal.entries = self._assigned = []  # every assign in the block
        _state.stateless = self
        return self

    def add_loss(self, loss):
        self.losses.append(loss)

    def add_update(self, update):
        variable, value = update
        self.state_mapping[id(variable)] = Tensor(as_array(value))

    def get_current_value(self, variable):
        """The variable's value at the end of the block (None if it was neither mapped nor
        assigned)."""
        return self.state_mapping.get(id(variable), None)

    def __exit__(self, *exc):
        _state.stateless = self._outer
        variable_lib._journal.entries = self._outer_journal
        for variable, old in self._assigned:
            self._variables[id(variable)] = variable
            self._saved.setdefault(id(variable), old)
        for key, variable in self._variables.items():
            self.state_mapping[key] = Tensor(variable.data)
            variable.data = self._saved[key]


def in_stateless_scope():
    return get_stateless_scope() is not None


def get_stateless_scope():
    return getattr(_state, "stateless", None)


class SymbolicScope:
    """Marks the symbolic stage (Keras uses it while tracing; here it is only a flag)."""

    def __enter__(self):
        self._outer = get_symbolic_scope()
        _state.symbolic = self
        return self

    def __exit__(self, *exc):
        _state.symbolic = self._outer


def in_symbolic_scope():
    return get_symbolic_scope() is not None


def get_symbolic_scope():
    return getattr(_state, "symbolic", None)
