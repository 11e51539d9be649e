"""Variable: the mutable, optionally trainable state of layers and optimizers."""

import contextlib
import threading

import numpy as np

from numkeras.backend.config import floatx
from numkeras.backend.name_scope import current_path
from numkeras.engine.tensor import Tensor, as_array

AGGREGATIONS = ("none", "mean", "sum", "only_first_replica")
SYNCHRONIZATIONS = ("none", "on_write", "on_read", "auto")


class Variable(Tensor):
    """A named tensor whose value changes with `assign`; Keras 3's signature.

    Args:
        initializer: an array, a number, an initializer name or callable `(shape, dtype)`.
        shape: required when `initializer` is a name or callable.
        dtype: defaults to the initial value's dtype, or float32.
        trainable: whether gradients flow to it and optimizers update it.
        name: the short name; `path` adds the owning layer's name.

    >>> v = Variable([1.0, 2.0], name="w")
    >>> v.assign([3.0, 4.0]).numpy().tolist()
    [3.0, 4.0]
    """

    def __init__(
        self,
        initializer,
        shape=None,
        dtype=None,
        trainable=True,
        autocast=True,
        aggregation="none",
        synchronization="auto",
        name=None,
        **kwargs,
    ):
        if aggregation not in AGGREGATIONS:
            raise ValueError(
                f"Invalid value for argument `aggregation`. Expected one of {AGGREGATIONS}. "
                f"Received: aggregation={aggregation}"
            )
        if synchronization not in SYNCHRONIZATIONS:
            raise ValueError(
                "Invalid value for argument `synchronization`. Expected one of "
                f"{SYNCHRONIZATIONS}. Received: synchronization={synchronization}"
            )
        value = _initial_value(initializer, shape, dtype)
        if shape is not None and tuple(value.shape) != tuple(shape):
            raise ValueError(
                f"Variable {name!r}: initial value has shape {value.shape}, "
                f"but shape={tuple(shape)} was given."
            )
        super().__init__(np.array(value, copy=True))
        self.trainable = trainable
        self.name = name or "variable"
        parent = current_path()  # within `numkeras.name_scope("a")`: "a/<name>", as Keras
        self.path = f"{parent}/{self.name}" if parent else self.name
        self._aggregation, self._synchronization = aggregation, synchronization
        self._regularizer = self._constraint = None
        self._overwrite_with_gradient = False

    @property
    def name(self):
        """The short name, such as "kernel"."""
        return self._name

    @name.setter
    def name(self, value):
        self._name = value

    @property
    def path(self):
        """The name under its owner's, such as "dense/kernel"."""
        return self._path

    @path.setter
    def path(self, value):
        self._path = value

    @property
    def aggregation(self):
        """How replicas combine updates (Keras's distribution setting; kept for configs)."""
        return self._aggregation

    @property
    def synchronization(self):
        """When replicas synchronise (Keras's distribution setting; kept for configs)."""
        return self._synchronization

    @property
    def trainable(self):
        """Whether gradients flow to it and optimizers update it (set to any truthy value)."""
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)

    @property
    def regularizer(self):
        """A callable whose value of this variable is added to the loss, or None."""
        return self._regularizer

    @regularizer.setter
    def regularizer(self, value):
        if value is not None and not callable(value):
            raise ValueError(
                "Invalid value for attribute `regularizer`. Expected a callable (such as a "
                f"`keras.regularizers.Regularizer` instance) or `None`. Received: "
                f"regularizer={value}"
            )
        self._regularizer = value

    @property
    def constraint(self):
        """A callable the optimizer applies to the variable after each update, or None."""
        return self._constraint

    @constraint.setter
    def constraint(self, value):
        if value is not None and not callable(value):
            raise ValueError(
                "Invalid value for attribute `constraint`. Expected a callable (such as a "
                f"`keras.constraints.Constraint` instance) or `None`. Received: "
                f"constraint={value}"
            )
        self._constraint = value

    @property
    def overwrite_with_gradient(self):
        """If True, optimizers replace the value with its gradient instead of stepping."""
        return self._overwrite_with_gradient

    @overwrite_with_gradient.setter
    def overwrite_with_gradient(self, value):
        if not isinstance(value, bool):
            raise TypeError(f"`overwrite_with_gradient` must be a boolean. Received: {value}")
        self._overwrite_with_gradient = value

    @property
    def requires_grad(self):
        return self.trainable or getattr(self, "_watched", False)

    @requires_grad.setter
    def requires_grad(self, value):
        self._watched = value

    @property
    def value(self):
        return Tensor(self.data)

    def assign(self, value):
        """Overwrite the value in place; the shape must match."""
        array = as_array(value)
        if array.shape != self.data.shape:
            raise ValueError(
                f"Variable {self.path!r}: cannot assign a value of shape {array.shape} "
                f"to a variable of shape {self.data.shape}."
            )
        journal = getattr(_journal, "entries", None)
        if journal is not None:
            journal.append((self, self.data))
        # a new array, not an in-place write: tensors and tape records made from the old
        # value keep it (as in TensorFlow and JAX)
        self.data = np.array(array, dtype=self.data.dtype)
        return self

    def assign_add(self, value):
        return self.assign(self.data + as_array(value))

    def assign_sub(self, value):
        return self.assign(self.data - as_array(value))

    def __repr__(self):
        return (
            f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}, "
            f"value={np.array2string(self.data, threshold=20)}>"
        )

    def __reduce__(self):
        return (_rebuild, (self.data, self.trainable, self.name, self.path))


_journal = threading.local()


@contextlib.contextmanager
def assignments_undone_on_error():
    """Note every `assign` made in the block (the old value, by reference: `assign` makes a
    new array); if the block raises, give each variable back its value from before."""
    outer = getattr(_journal, "entries", None)
    _journal.entries = entries = []
    try:
        yield
    except BaseException:
        for variable, value in reversed(entries):
            variable.data = value
        raise
    finally:
        _journal.entries = outer
    if outer is not None:  # an enclosing block may still undo them
        outer.extend(entries)


@contextlib.contextmanager
def swapped_values(variables, values):
    """Within the block the variables hold copies of `values`; their own values come back
    after it (Keras's StatelessScope, for the stateless metric and optimizer APIs)."""
    saved = [v.data for v in variables]
    try:
        for v, value in zip(variables, values):
            v.assign(value)
        yield
    finally:
        for v, data in zip(variables, saved):
            v.data = data


def _rebuild(data, trainable, name, path):
    variable = Variable(data, trainable=trainable, name=name)
    variable.path = path
    return variable


# Initializer names ("glorot_uniform") are resolved by numkeras.initializers, which hands its
# `get` over when imported: the engine imports nothing above it.
_initializers = {"get": None}


def use_initializer_lookup(get):
    """Resolve initializer names and callables with `get` (numkeras.initializers.get)."""
    _initializers["get"] = get


def _initial_value(initializer, shape, dtype):
    named = isinstance(initializer, str)
    if named or (callable(initializer) and not isinstance(initializer, Tensor)):
        if shape is None:
            raise ValueError(
                "Variable: `shape` is required when the initializer is a name or a callable, "
                f"got initializer={initializer!r} and shape=None."
            )
        value = _initializers["get"](initializer)(tuple(shape), dtype=dtype or floatx())
        return as_array(value, dtype or floatx())
    return as_array(initializer, dtype)
