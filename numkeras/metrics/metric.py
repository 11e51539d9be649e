"""`Metric`: stateful, non-differentiable statistics accumulated over batches in NumPy."""

import numpy as np

from numkeras.backend import floatx
from numkeras.backend.naming import auto_name
from numkeras.engine.tensor import Tensor
from numkeras.engine.variable import Variable, swapped_values

__all__ = ["Metric"]


class Metric:
    """Base class of metrics: state lives in non-trainable `Variable`s, updated in NumPy.

    Subclasses create their state with `add_variable` in `__init__` (or lazily, on the first
    `update_state`), implement `update_state(y_true, y_pred, sample_weight=None)` and
    `result()`. `reset_state()` zeroes every variable. No graph is ever recorded.

    Args:
        name: the name shown in logs; defaults to the snake-cased class name, made unique
            in the session (`precision`, `precision_1`, ...) as Keras does.
        dtype: the dtype of the state variables, `floatx()` by default.

    >>> class Count(Metric):
    ...     def __init__(self, name="count"):
    ...         super().__init__(name=name)
    ...         self.n = self.add_variable((), name="n")
    ...     def update_state(self, values):
    ...         self.n.assign(self.n.numpy() + np.size(values))
    ...     def result(self):
    ...         return float(self.n.numpy())
    >>> m = Count()
    >>> m.update_state([1, 2, 3])
    >>> m.result(), [v.path for v in m.variables]
    (3.0, ['count/n'])
    """

    def __init__(self, name=None, dtype=None):
        self._variables = []
        self._name = name or auto_name(type(self).__name__)
        self._dtype = dtype or floatx()

    @property
    def dtype(self):
        return self._dtype

    @property
    def name(self):
        return self._name

    @name.setter
    def name(self, value):  # compile() renames metrics after the user's string ("acc")
        self._name = value
        for v in self._variables:
            v.path = f"{value}/{v.name}"

    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation="sum", name=None):
        """A non-trainable state variable with path `"<metric>/<name>"` (reset_state zeroes
        it whatever its initializer)."""
        variable = Variable(
            initializer or "zeros",
            shape=tuple(shape),
            dtype=dtype or self.dtype,
            trainable=False,
            aggregation=aggregation,
            synchronization="on_read",
            name=name,
        )
        variable.path = f"{self.name}/{variable.name}"
        self._variables.append(variable)
        return variable

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        """Keras's older name for `add_variable`: a scalar, zero-initialised by default."""
        return self.add_variable(shape, initializer, dtype=dtype, name=name)

    # --- the stateless API: the same computations on values passed in and returned ---------
    def stateless_update_state(self, metric_variables, *args, **kwargs):
        """`update_state` on `metric_variables` (values, one per variable) instead of the
        metric's variables, which are left unchanged; returns the updated values."""
        self._check_state(metric_variables)
        with swapped_values(self.variables, metric_variables):
            self.update_state(*args, **kwargs)
            return [Tensor(v.data) for v in self.variables]

    def stateless_result(self, metric_variables):
        """`result()` computed from `metric_variables` instead of the metric's state."""
        self._check_state(metric_variables)
        with swapped_values(self.variables, metric_variables):
            return self.result()

    def stateless_reset_state(self):
        """The values `reset_state()` would give the variables, leaving them unchanged."""
        with swapped_values(self.variables, [v.data for v in self.variables]):
            self.reset_state()
            return [Tensor(v.data) for v in self.variables]

    def _check_state(self, metric_variables):
        if len(metric_variables) != len(self.variables):
            raise ValueError(
                "Argument `metric_variables` must be a list of tensors corresponding 1:1 to "
                f"{type(self).__name__}().variables. Received list with length "
                f"{len(metric_variables)}, but expected {len(self.variables)} variables."
            )

    @property
    def variables(self):
        return list(self._variables)

    def update_state(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement `update_state`.")

    def result(self):
        raise NotImplementedError(f"{type(self).__name__} must implement `result`.")

    def reset_state(self):
        for v in self._variables:
            v.assign(np.zeros(v.shape, v.dtype))

    def __call__(self, *args, **kwargs):
        """Update with one batch and return the running result."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


def as_result(value):
    """A Python float for a scalar result, a NumPy array otherwise (per-threshold results)."""
    value = np.asarray(value)
    return float(value) if value.ndim == 0 else value


def divide_no_nan(a, b):
    """`a / b`, with 0 wherever `b` is 0."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if not a.ndim and not b.ndim:  # a running mean's result, every step: no ufunc machinery
        return np.array(float(a) / float(b) if b else 0.0)
    return np.divide(a, b, out=np.zeros(np.broadcast(a, b).shape), where=b != 0)
