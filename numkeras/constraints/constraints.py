"""Weight constraints: projections the optimizer applies to a variable after each update."""

from numkeras import backend, ops


def _axis(axis):
    return tuple(axis) if isinstance(axis, (list, tuple)) else axis


def _norms(w, axis):
    return ops.sqrt(ops.sum(ops.square(w), axis=_axis(axis), keepdims=True))


class Constraint:
    """Base class: `__call__(w)` returns the projected weights (the identity here).

    Subclasses override `__call__` and, if they take arguments, `get_config`.

    >>> import numpy as np
    >>> Constraint()(np.array([1.0, -1.0], "float32")).tolist()
    [1.0, -1.0]
    """

    def __call__(self, w):
        return w

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class MaxNorm(Constraint):
    """Rescale each weight vector along `axis` whose L2 norm exceeds `max_value`.

    Args:
        max_value: the largest norm allowed (2).
        axis: the axis (or list of axes) the norms are taken over; 0 constrains each column
            of a Dense kernel, [0, 1, 2] each filter of a Conv2D kernel.

    >>> import numpy as np
    >>> w = MaxNorm(1.0)(np.array([[3.0], [4.0]], "float32"))
    >>> np.allclose(w.numpy().ravel(), [0.6, 0.8])
    True
    """

    def __init__(self, max_value=2, axis=0):
        self.max_value, self.axis = max_value, axis

    def __call__(self, w):
        w = ops.convert_to_tensor(w)
        norms = _norms(w, self.axis)
        return w * (ops.clip(norms, 0, self.max_value) / (backend.epsilon() + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Set negative weights to zero.

    >>> import numpy as np
    >>> NonNeg()(np.array([-1.0, 2.0], "float32")).numpy().tolist()
    [0.0, 2.0]
    """

    def __call__(self, w):
        return ops.maximum(ops.convert_to_tensor(w), 0.0)


class UnitNorm(Constraint):
    """Scale each weight vector along `axis` to unit L2 norm.

    Args:
        axis: the axis (or list of axes) the norms are taken over (0).

    >>> import numpy as np
    >>> np.allclose(UnitNorm()(np.array([[3.0], [4.0]], "float32")).numpy().ravel(), [0.6, 0.8])
    True
    """

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        w = ops.convert_to_tensor(w)
        return w / (backend.epsilon() + _norms(w, self.axis))

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Move each weight vector's L2 norm into [min_value, max_value], by a fraction `rate`.

    The new norm is `rate * clip(norm, min_value, max_value) + (1 - rate) * norm`.

    Args:
        min_value: the smallest norm (0.0).
        max_value: the largest norm (1.0).
        rate: 1.0 enforces the bounds at once; smaller values approach them step by step.
        axis: the axis (or list of axes) the norms are taken over (0).

    >>> import numpy as np
    >>> w = MinMaxNorm(1.0, 2.0)(np.array([[0.3], [0.4]], "float32"))
    >>> np.allclose(w.numpy().ravel(), [0.6, 0.8])
    True
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w):
        w = ops.convert_to_tensor(w)
        norms = _norms(w, self.axis)
        desired = (
            self.rate * ops.clip(norms, self.min_value, self.max_value) + (1 - self.rate) * norms
        )
        return w * (desired / (backend.epsilon() + norms))

    def get_config(self):
        return {
            "min_value": self.min_value,
            "max_value": self.max_value,
            "rate": self.rate,
            "axis": self.axis,
        }
