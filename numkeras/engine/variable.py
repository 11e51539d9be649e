"""Variable: the mutable, optionally trainable state of layers and optimizers."""
import numpy as np

from numkeras.backend.config import floatx
from numkeras.engine.tensor import Tensor, as_array


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

    def __init__(self, initializer, shape=None, dtype=None, trainable=True, name=None, **kwargs):
        value = _initial_value(initializer, shape, dtype)
        if shape is not None and tuple(value.shape) != tuple(shape):
            raise ValueError(
                f"Variable {name!r}: initial value has shape {value.shape}, "
                f"but shape={tuple(shape)} was given."
            )
        super().__init__(np.array(value, copy=True))
        self.trainable = bool(trainable)
        self.name = name or "variable"
        self.path = self.name

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
