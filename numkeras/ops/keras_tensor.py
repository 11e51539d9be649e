"""Symbolic tensors and the nodes that link them: the graph behind the functional API.

A `KerasTensor` is a shape and a dtype. Calling a layer or a `numkeras.ops` function on one
records a `Node` (the call: operation, arguments, outputs) and returns new KerasTensors whose
`_keras_history` names the node; walking those histories back from a model's outputs gives
its graph.
"""

import collections

from numkeras.backend.naming import auto_name
from numkeras.tree import flatten


class KerasHistory(
    collections.namedtuple("KerasHistory", ["operation", "node_index", "tensor_index"])
):
    """Where a KerasTensor came from: `operation._inbound_nodes[node_index]`'s output
    number `tensor_index`."""

    __slots__ = ()


class KerasTensor:
    """A symbolic tensor: a shape (None for unknown sizes) and a dtype, no values.

    Python operators, `reshape`/`squeeze` and every `numkeras.ops` function on it record an
    operation in the graph, as Keras does.
    """

    def __init__(
        self,
        shape,
        dtype="float32",
        sparse=False,
        ragged=False,
        record_history=True,
        name=None,
        history=None,
    ):
        self._shape = tuple(None if d is None else int(d) for d in shape)
        self._dtype = str(dtype)
        self.sparse, self.ragged = bool(sparse), bool(ragged)
        self.name = name or auto_name("KerasTensor")
        self.record_history = record_history
        if history is not None:
            self._keras_history = KerasHistory(*history)

    @property
    def shape(self):
        return self._shape

    @shape.setter
    def shape(self, value):
        raise AttributeError(
            "The `shape` attribute of KerasTensor is immutable. One should "
            "create a new instance of KerasTensor for this."
        )

    @property
    def dtype(self):
        return self._dtype

    @property
    def ndim(self):
        return len(self._shape)

    def reshape(self, newshape):
        return _ops().reshape(self, newshape)

    def squeeze(self, axis=None):
        return _ops().squeeze(self, axis)

    def __repr__(self):
        return (
            f"<KerasTensor shape={self.shape}, dtype={self.dtype}, sparse={self.sparse}, "
            f"ragged={self.ragged}, name={self.name}>"
        )

    def __iter__(self):
        raise NotImplementedError("Iterating over a symbolic KerasTensor is not supported.")

    def __bool__(self):
        raise TypeError("A symbolic KerasTensor cannot be used as a boolean.")

    def __array__(self, dtype=None, copy=None):
        raise ValueError(
            "A KerasTensor is symbolic: it's a placeholder for a shape and a dtype. It doesn't "
            "have any actual numerical value. You cannot convert it to a NumPy array."
        )

    # --- operators: each records the same op as the `numkeras.ops` function ------------------
    def __add__(self, other):
        return _ops().add(self, other)

    def __radd__(self, other):
        return _ops().add(other, self)

    def __sub__(self, other):
        return _ops().subtract(self, other)

    def __rsub__(self, other):
        return _ops().subtract(other, self)

    def __mul__(self, other):
        return _ops().multiply(self, other)

    def __rmul__(self, other):
        return _ops().multiply(other, self)

    def __matmul__(self, other):
        return _ops().matmul(self, other)

    def __rmatmul__(self, other):
        return _ops().matmul(other, self)

    def __truediv__(self, other):
        return _ops().true_divide(self, other)

    def __rtruediv__(self, other):
        return _ops().true_divide(other, self)

    def __floordiv__(self, other):
        return _ops().floor_divide(self, other)

    def __rfloordiv__(self, other):
        return _ops().floor_divide(other, self)

    def __mod__(self, other):
        return _ops().mod(self, other)

    def __rmod__(self, other):
        return _ops().mod(other, self)

    def __pow__(self, other):
        return _ops().power(self, other)

    def __rpow__(self, other):
        return _ops().power(other, self)

    def __neg__(self):
        return _ops().negative(self)

    def __abs__(self):
        return _ops().absolute(self)

    def __lt__(self, other):
        return _ops().less(self, other)

    def __le__(self, other):
        return _ops().less_equal(self, other)

    def __gt__(self, other):
        return _ops().greater(self, other)

    def __ge__(self, other):
        return _ops().greater_equal(self, other)

    def __ne__(self, other):  # as Keras: `==` stays identity, so tensors can key dicts
        return _ops().not_equal(self, other)

    __hash__ = object.__hash__

    def __and__(self, other):
        return _ops().logical_and(self, other)

    def __rand__(self, other):
        return _ops().logical_and(other, self)

    def __or__(self, other):
        return _ops().logical_or(self, other)

    def __ror__(self, other):
        return _ops().logical_or(other, self)

    def __invert__(self):
        return _ops().logical_not(self)

    def __getitem__(self, key):
        return _ops().operation.get_item(self, key)


def _ops():
    import numkeras.ops

    return numkeras.ops


class Node:
    """One call of an operation (layer or op) on symbolic arguments: what went in (tensors
    anywhere in `call_args`/`call_kwargs`, other values kept as constants) and what came out.

    Creating it appends it to `operation._inbound_nodes` and stamps the outputs'
    `_keras_history`, as Keras's Node does.
    """

    def __init__(self, operation, call_args=(), call_kwargs=None, outputs=None):
        self.operation = operation
        self.call_args = tuple(call_args)
        self.call_kwargs = dict(call_kwargs or {})
        self.outputs = outputs
        # Keras's order: positional arguments, then keyword ones by name
        arguments = [self.call_args] + [self.call_kwargs[k] for k in sorted(self.call_kwargs)]
        self.input_tensors = [t for t in flatten(arguments) if isinstance(t, KerasTensor)]
        self.is_input = not self.input_tensors
        operation._inbound_nodes.append(self)
        for t in self.input_tensors:
            parent = getattr(t, "_keras_history", None)
            if parent is not None and hasattr(parent.operation, "_outbound_nodes"):
                parent.operation._outbound_nodes.append(self)
        index = len(operation._inbound_nodes) - 1
        for i, t in enumerate(self.output_tensors):
            t._keras_history = KerasHistory(operation, index, i)

    @property
    def layer(self):
        return self.operation

    @property
    def output_tensors(self):
        return [t for t in flatten(self.outputs) if isinstance(t, KerasTensor)]

    @property
    def parent_nodes(self):
        """The nodes whose outputs this call takes."""
        return [
            t._keras_history.operation._inbound_nodes[t._keras_history.node_index]
            for t in self.input_tensors
        ]

    def __repr__(self):
        return f"<Node operation={self.operation.name}, id={id(self)}>"


def is_symbolic(structure):
    return any(isinstance(leaf, KerasTensor) for leaf in flatten(structure))
