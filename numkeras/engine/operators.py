"""Python's operators on Tensors, bound to the ops that compute them (and so differentiable).

tensor.py defines the Tensor without them, so that the op modules can import it; importing the
engine (engine/__init__.py) binds them.
"""

from numkeras.engine import math_ops, shape_ops
from numkeras.engine.tensor import Tensor, cast

_BINARY = {
    "add": math_ops.add,
    "sub": math_ops.subtract,
    "mul": math_ops.multiply,
    "truediv": math_ops.divide,
    "pow": math_ops.power,
    "matmul": math_ops.matmul,
}
_COMPARISONS = {
    "lt": math_ops.less,
    "le": math_ops.less_equal,
    "gt": math_ops.greater,
    "ge": math_ops.greater_equal,
    "eq": math_ops.equal,
    "ne": math_ops.not_equal,
}


def _reflected(op):
    return lambda self, other: op(other, self)


def _reshape(self, *shape):
    return shape_ops.reshape(self, shape[0] if len(shape) == 1 else shape)


for _name, _op in _BINARY.items():
    setattr(Tensor, f"__{_name}__", _op)
    setattr(Tensor, f"__r{_name}__", _reflected(_op))
for _name, _op in _COMPARISONS.items():
    setattr(Tensor, f"__{_name}__", _op)
Tensor.__neg__ = math_ops.negative
Tensor.__pos__ = lambda self: self
Tensor.__abs__ = math_ops.abs
Tensor.__getitem__ = shape_ops.getitem
Tensor.T = property(shape_ops.transpose)
Tensor.reshape = _reshape
Tensor.astype = cast
