"""Functional: a model defined by calling layers on symbolic inputs, `Model(inputs, outputs)`."""

import numpy as np

from numkeras.engine import Tensor
from numkeras.layers.input_layer import InputLayer
from numkeras.layers.keras_tensor import KerasTensor
from numkeras.layers.layer import Layer, shape_str
from numkeras.models import argument_checks, fusion, model_config
from numkeras.models import summary as summary_lib
from numkeras.models.model import Model
from numkeras.ops.function import nodes_in_order
from numkeras.saving.serialization import register_base_classes
from numkeras.tree import flatten, map_structure


class Functional(Model):
    """A graph of layer calls from `inputs` to `outputs` (KerasTensors or structures of them)."""

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        for t in flatten(inputs) + flatten(outputs):
            if not isinstance(t, KerasTensor):
                raise TypeError(
                    "Model(inputs, outputs) expects symbolic tensors made with numkeras.Input "
                    f"and layer calls, got {type(t).__name__}."
                )
        self._inputs_struct, self._outputs_struct = inputs, outputs
        self._nodes = nodes_in_order(flatten(inputs), flatten(outputs), _made_by)
        self._fusable = fusion.graph_chains(self._nodes, flatten(outputs))

        # Keras's order: `.keras` files name layers, and order optimizer slots, by it
        self._operations = model_config.keras_layer_order(flatten(inputs), flatten(outputs))
        self.built = True

    @property
    def operations(self):
        """Every layer and op of the graph, in Keras's order."""
        return list(self._operations)

    @property
    def layers(self):
        return [op for op in self._operations if isinstance(op, Layer)]

    @property
    def inputs(self):
        return flatten(self._inputs_struct)

    @property
    def outputs(self):
        return flatten(self._outputs_struct)

    @property
    def input(self):
        return self._inputs_struct

    @property
    def output(self):
        return self._outputs_struct

    @property
    def input_shape(self):
        return _one_or_all([t.shape for t in flatten(self._inputs_struct)])

    @property
    def output_shape(self):
        return _one_or_all([t.shape for t in flatten(self._outputs_struct)])

    @property
    def output_names(self):
        """The names of the layers (or ops) that make the outputs, in Keras's order."""
        return [t._keras_history.operation.name for t in flatten(self._outputs_struct)]

    def _output_names(self):
        return [t._keras_history[0].name for t in self.outputs]

    def call(self, inputs, training=None, mask=None):
        values = self._run_nodes(inputs, training)
        outputs = map_structure(lambda t: values[id(t)], self._outputs_struct)
        if isinstance(outputs, (list, tuple)) and len(outputs) == 1:
            return outputs[0]  # a single output given as [x] comes back bare, as in Keras
        return outputs

    def _run_nodes(self, inputs, training=None, on_node=None):
        """Run every node in order on `inputs`: {id(KerasTensor): value}; `on_node(node, out)`
        sees each node's output (the demo shows intermediate feature maps through it)."""
        values = {}
        given = self._flat_inputs(inputs)
        if len(given) != len(self.inputs):
            raise ValueError(
                f'Model "{self.name}" expects {len(self.inputs)} inputs, got {len(given)}.'
            )
        for t, v in zip(self.inputs, given):
            values[id(t)] = _adjust_rank(v, t.shape)

        def value(x):
            return values[id(x)] if isinstance(x, KerasTensor) else x

        # fused chains (models/fusion.py) where no one looks at the calls' inner outputs
        fusable, fused = ({} if on_node is not None else self._fusable), set()
        for i, node in enumerate(self._nodes):
            if i in fused:
                continue
            args = map_structure(value, list(node.call_args))
            out = None
            for chain in fusable.get(i, ()):
                layers = [self._nodes[k].operation for k in chain]
                x = fusion.chain_input(self._nodes, chain, args[0], lambda t: values.get(id(t)))
                out = None if x is None else fusion.run_chain(layers, x, training)
                if out is not None:
                    values[id(flatten(self._nodes[chain[-1]].outputs)[0])] = out
                    fused.update(chain[1:])
                    break
            if out is not None:
                continue
            kwargs = map_structure(value, dict(node.call_kwargs))
            if isinstance(node.operation, Layer):
                kwargs["training"] = training
            out = node.operation(*args, **kwargs)
            for t, v in zip(flatten(node.outputs), flatten(out)):
                values[id(t)] = v
            if on_node is not None:
                on_node(node, out)
        return values

    def compute_output_shape(self, input_shape):
        return map_structure(lambda t: t.shape, self._outputs_struct)

    def _flat_inputs(self, x):
        """Data for each of `inputs`, in order: a dict is matched by the keys the model's
        inputs were given with, else by input name."""
        if not isinstance(x, dict):
            return flatten(x)
        struct = self._inputs_struct
        if isinstance(struct, dict) and set(x) == set(struct):
            return flatten(x)  # (dicts flatten in sorted key order, as `inputs` do)
        names = [t._keras_history[0].name for t in self.inputs]
        return [x[n] for n in names] if set(names) <= set(x) else list(x.values())

    def _check_model_inputs(self, x):
        arrays = self._flat_inputs(x)
        if len(arrays) != len(self.inputs):
            raise ValueError(
                f'Model "{self.name}" expects {len(self.inputs)} input(s), but it received '
                f"{len(arrays)} input arrays."
            )
        for i, (t, a) in enumerate(zip(self.inputs, arrays)):
            expected = t.shape
            got = (None,) + tuple(np.shape(_adjust_rank(a, expected))[1:])
            if len(got) != len(expected) or any(
                e is not None and e != g for e, g in zip(expected[1:], got[1:])
            ):
                raise ValueError(
                    f'Input {i} of layer "{self.name}" is incompatible with the layer: expected '
                    f"shape {shape_str(expected)}, got {shape_str(got)}"
                    + argument_checks.input_mismatch_hint(expected, np.shape(a))
                )
        return x

    def get_config(self):
        """Keras 3's config: layers with their `inbound_nodes`, `input_layers`,
        `output_layers`."""

        return model_config.functional_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from numkeras.saving.serialization import custom_object_scope

        with custom_object_scope(custom_objects):
            return model_config.functional_from_config(cls, config)

    def _is_chain(self):
        """True for a plain stack (one input, one output, each call fed by the previous one)."""
        previous = self.inputs
        for node in self._nodes:
            if node.input_tensors != previous or len(flatten(node.outputs)) != 1:
                return False
            previous = flatten(node.outputs)
        return len(self.inputs) == 1 and previous == self.outputs

    def summary(self, line_length=None, positions=None, print_fn=None, **kwargs):
        chain = self._is_chain()
        rows = []
        for layer in self.operations:
            if isinstance(layer, InputLayer):
                row = summary_lib.layer_row(layer, layer.batch_shape)
                rows.append(row if chain else row + ["-"])
                continue
            node = next(n for n in self._nodes if n.layer is layer)
            outs = flatten(node.outputs)
            shape = outs[0].shape if len(outs) == 1 else [o.shape for o in outs]
            links = (
                ", ".join(
                    f"{t._keras_history[0].name}[{t._keras_history[1]}][{t._keras_history[2]}]"
                    for t in node.input_tensors
                )
                or "-"
            )
            row = summary_lib.layer_row(layer, shape)
            rows.append(row if chain else row + [links])
        text = summary_lib.format_summary(self, rows, connected=not chain, line_length=line_length)
        (print_fn or print)(text)


register_base_classes(Functional=Functional)


def _one_or_all(shapes):
    """A single input's (or output's) shape bare, as Keras's `input_shape` gives it."""
    return shapes[0] if len(shapes) == 1 else shapes


def _adjust_rank(value, expected):
    """Keras's rule for data one rank off the input: add, or drop, a trailing axis of 1."""
    if not isinstance(value, (np.ndarray, Tensor)):
        return value
    if value.ndim == len(expected) - 1 and expected[-1] == 1:
        return value[..., None]
    if value.ndim == len(expected) + 1 and value.shape[-1] == 1:
        return value[..., 0]
    return value


def _made_by(tensor):
    """The layer call that made `tensor`; an error for an input layer's tensor not among the
    model's inputs."""
    layer, index, _ = tensor._keras_history
    if isinstance(layer, InputLayer):
        raise ValueError(
            f"Graph disconnected: the input {layer.name!r} is needed but not among the "
            "model's inputs."
        )
    return layer._inbound_nodes[index]
