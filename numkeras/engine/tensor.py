"""Tensor: a NumPy array that remembers the op that made it and that op's VJP.

Its Python operators (`+`, `@`, `[]`, `<`, ...) are bound to the ops in engine/operators.py.
"""

import numpy as np

from numkeras.backend.config import floatx
from numkeras.engine import autodiff


class Tensor:
    """An array in the graph. `data` is the ndarray; `parents` and `vjp` exist while recording."""

    __array_priority__ = 100
    __array_ufunc__ = None  # NumPy defers to our reflected operators: `array * tensor` is ours
    __hash__ = object.__hash__

    def __init__(self, data, parents=(), vjp=None, op=None):
        # NumPy reductions of 0-d results give scalars (np.float32), which are not arrays
        self.data = data if isinstance(data, np.ndarray) else np.asarray(data)
        record = (
            vjp is not None and autodiff.is_recording() and any(p.requires_grad for p in parents)
        )
        self.requires_grad = record
        self.parents = tuple(parents) if record else ()
        self.vjp = vjp if record else None
        self.op = op

    # --- array protocol -------------------------------------------------------------
    shape = property(lambda self: self.data.shape)
    dtype = property(lambda self: dtype_name(self.data.dtype))
    ndim = property(lambda self: self.data.ndim)
    size = property(lambda self: self.data.size)

    def numpy(self):
        """The values as a NumPy array (a copy, so the caller may modify it)."""
        return np.array(self.data)

    def __array__(self, dtype=None, copy=None):
        if dtype is not None and np.dtype(dtype) != self.data.dtype:
            return self.data.astype(dtype)
        return np.array(self.data) if copy else self.data

    def item(self):
        return self.data.item()

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __float__(self):
        return float(self.data)

    def __int__(self):
        return int(self.data)

    def __index__(self):
        return int(self.data)

    def __bool__(self):
        return bool(self.data)

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", threshold=50)
        name = getattr(self, "_display_name", type(self).__name__)
        return f"<{name} shape={self.shape}, dtype={self.dtype}, numpy=\n{body}>"


_DTYPE_NAMES = {}


def dtype_name(dtype):
    """`str(dtype)`, memoised: NumPy builds the name in Python on every call (about 5 us)."""
    name = _DTYPE_NAMES.get(dtype)
    if name is None:
        name = _DTYPE_NAMES[dtype] = str(dtype)
    return name


def as_tensor(x, dtype=None):
    """`x` as a Tensor; Python numbers and lists become floatx/int32 as in Keras."""
    if isinstance(x, Tensor):
        return x if dtype is None or x.dtype == np.dtype(dtype) else cast(x, dtype)
    return Tensor(as_array(x, dtype))


def as_array(x, dtype=None):
    """`x` as an ndarray: Python floats give float32, ints int32, arrays keep their dtype."""
    if isinstance(x, Tensor):
        x = x.data
    if dtype is not None:
        return np.asarray(x, dtype=dtype)
    if isinstance(x, np.ndarray):
        return x
    array = np.asarray(x)
    if array.dtype == np.float64 and not isinstance(x, np.generic):
        return array.astype(floatx())
    if array.dtype == np.int64 and not isinstance(x, np.generic):
        return array.astype("int32")
    if array.dtype == object:
        raise TypeError(f"Cannot convert {type(x).__name__} to a tensor: values are not numeric.")
    return array


def cast(x, dtype):
    """`x` as `dtype`; the gradient flows back between float dtypes only."""
    x = as_tensor(x)
    source = x.data.dtype
    y = x.data.astype(dtype)
    if y.dtype.kind != "f" or source.kind != "f":
        return Tensor(y)
    return Tensor(y, (x,), lambda g: (g.astype(source),), "cast")
