"""Function: a graph of operations from symbolic inputs to outputs, callable on new values
(Keras's `keras.Function`: a functional model without weights or the Layer API)."""

from numkeras.ops.keras_tensor import KerasTensor
from numkeras.ops.operation import Operation
from numkeras.tree import flatten, map_structure, pack_sequence_as

__all__ = ["Function"]


class Function(Operation):
    """Captures the operations linking `inputs` to `outputs` (KerasTensors, or structures of
    them) and reapplies them to new values: `Function(inputs, outputs)(values)`.

    >>> import numpy as np
    >>> from numkeras import KerasTensor, ops
    >>> a, b = KerasTensor((None, 2)), KerasTensor((None, 2))
    >>> fn = Function([a, b], ops.multiply(a, b) + 1.0)
    >>> fn([np.ones((1, 2)), np.full((1, 2), 2.0)]).numpy().tolist()
    [[3.0, 3.0]]
    """

    def __init__(self, inputs, outputs, name=None):
        super().__init__(name=name)
        self._inputs_struct = map_structure(lambda x: x, inputs)
        self._outputs_struct = map_structure(lambda x: x, outputs)
        self._inputs, self._outputs = flatten(inputs), flatten(outputs)
        for what, tensors in (("inputs", self._inputs), ("outputs", self._outputs)):
            if not tensors:
                raise ValueError(
                    f"`{what}` argument cannot be empty. Received:\n"
                    f"inputs={inputs}\noutputs={outputs}"
                )
        self._nodes = nodes_in_order(self._inputs, self._outputs, _made_by)
        operations = []
        for node in self._nodes:
            if all(node.operation is not op for op in operations):
                operations.append(node.operation)
        self._operations = operations

    @property
    def operations(self):
        return self._operations[:]

    @property
    def inputs(self):
        """Flat list of the symbolic inputs."""
        return self._inputs

    @property
    def outputs(self):
        """Flat list of the symbolic outputs."""
        return self._outputs

    def call(self, inputs):
        """The outputs for new input values (same structure as `inputs` was given in)."""
        self._assert_input_compatibility(inputs)
        values = {id(t): v for t, v in zip(self._inputs, flatten(inputs))}

        def value(x):
            return values[id(x)] if isinstance(x, KerasTensor) else x

        for node in self._nodes:
            args = map_structure(value, list(node.call_args))
            kwargs = map_structure(value, dict(node.call_kwargs))
            out = node.operation(*args, **kwargs)
            for t, v in zip(flatten(node.outputs), flatten(out)):
                values[id(t)] = v
        return pack_sequence_as(self._outputs_struct, [values[id(t)] for t in self._outputs])

    def compute_output_spec(self, inputs):
        self._assert_input_compatibility(inputs)
        if all(x.shape == ref.shape for x, ref in zip(flatten(inputs), self._inputs)):
            return map_structure(lambda x: KerasTensor(x.shape, x.dtype), self._outputs_struct)
        return super().compute_output_spec(inputs)

    def compute_output_shape(self, input_shape):
        shapes = _shape_leaves(input_shape)
        specs = [KerasTensor(s, ref.dtype) for s, ref in zip(shapes, self._inputs)]
        out = self.compute_output_spec(pack_sequence_as(self._inputs_struct, specs))
        return map_structure(lambda x: x.shape, out)

    def _assert_input_compatibility(self, inputs):
        given = flatten(inputs)
        if len(given) != len(self._inputs):
            raise ValueError(
                "Function was called with an invalid input structure. Expected input "
                f"structure: {self._inputs_struct}\nReceived input structure: {inputs}"
            )
        for x, ref in zip(given, self._inputs):
            shape = tuple(getattr(x, "shape", ()))
            problem = len(shape) != len(ref.shape) or any(
                d is not None and r is not None and d != r for d, r in zip(shape, ref.shape)
            )
            if problem:
                raise ValueError(
                    f"{type(self).__name__} was passed incompatible inputs. For input "
                    f"'{ref.name}', expected shape {ref.shape}, but received instead a "
                    f"tensor with shape {shape}."
                )


def _shape_leaves(shapes):
    """The shapes in a structure of them, in `flatten`'s order (a shape is one leaf)."""
    if isinstance(shapes, (tuple, list)) and all(isinstance(d, (int, type(None))) for d in shapes):
        return [tuple(shapes)]
    if isinstance(shapes, dict):
        return [s for key in sorted(shapes) for s in _shape_leaves(shapes[key])]
    return [s for item in shapes for s in _shape_leaves(item)]


def nodes_in_order(inputs, outputs, node_of):
    """The nodes computing `outputs` from `inputs`, each after those it depends on;
    `node_of(tensor)` gives the node that made a tensor not among `inputs`, or raises where the
    graph needs an input that is not among them (shared by `Function` and Functional models)."""
    input_ids = {id(t) for t in inputs}
    order, done, stack = [], set(), [(t, False) for t in reversed(outputs)]
    while stack:
        tensor, expanded = stack.pop()
        if id(tensor) in input_ids:
            continue
        node = node_of(tensor)
        if id(node) in done:
            continue
        if expanded:
            done.add(id(node))
            order.append(node)
            continue
        stack.append((tensor, True))
        stack.extend((t, False) for t in node.input_tensors)
    return order


def _made_by(tensor):
    """The node that made `tensor`; an error for a graph input or a tensor no node made."""
    history = getattr(tensor, "_keras_history", None)
    node = None
    if history is not None and history[0] is not None:
        nodes = history[0]._inbound_nodes
        node = nodes[history[1]] if history[1] < len(nodes) else None
    if node is None or node.is_input:
        raise ValueError(
            f"Output {tensor} is not connected to `inputs`: the graph needs an input "
            "that is not among them."
        )
    return node
