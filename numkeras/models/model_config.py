"""Sequential and functional model configs in Keras 3's format, and `clone_model`.

A functional config lists every layer with the calls (`inbound_nodes`) that wire it in:
each call's arguments hold `__keras_tensor__` dicts whose `keras_history` is
`[layer name, node index, tensor index]`. Keras 2's `[[name, node, tensor, kwargs], ...]`
nodes are read too.
"""

from numkeras.layers.input_layer import InputLayer
from numkeras.layers.keras_tensor import KerasTensor
from numkeras.ops.operation import FunctionOperation, get_op_class
from numkeras.saving.serialization import (
    deserialize_keras_object,
    dtype_policy,
    serialize_keras_object,
)
from numkeras.tree import flatten, map_structure

__all__ = [
    "sequential_config",
    "sequential_from_config",
    "keras_layer_order",
    "functional_config",
    "functional_from_config",
    "clone_model",
]


# --- Sequential ---------------------------------------------------------------------------------
def sequential_config(model):
    layers = []
    if model._input_batch_shape is not None:
        entry = model._input_layer
        dtype = model.dtype if entry is None else entry.dtype  # e.g. an int64 Input
        layers.append(_input_layer_config(model._input_batch_shape, dtype, "input_layer"))
    for layer in model.layers:
        config = serialize_keras_object(layer)
        if layers:  # the InputLayer entry carries the shape
            config["config"].pop("batch_input_shape", None)
        layers.append(config)
    config = {
        "name": model.name,
        "trainable": model.trainable,
        "dtype": dtype_policy(model.dtype),
        "layers": layers,
    }
    if model._input_batch_shape is not None:
        config["build_input_shape"] = list(model._input_batch_shape)
    return config


def _input_layer_config(batch_shape, dtype, name):
    return {
        "module": "keras.layers",
        "class_name": "InputLayer",
        "config": {
            "batch_shape": list(batch_shape),
            "dtype": dtype,
            "sparse": False,
            "ragged": False,
            "name": name,
            "optional": False,
        },
        "registered_name": None,
    }


def sequential_from_config(cls, config):
    if isinstance(config, list):  # Keras 1/2 wrote a bare list of layers
        config = {"layers": config}
    model = cls(name=config.get("name"), trainable=config.get("trainable", True))
    for layer_config in config.get("layers") or []:
        layer = deserialize_keras_object(layer_config)
        model.add(layer)
    shape = config.get("build_input_shape")
    if not model.built and isinstance(shape, list) and model.layers:
        model.build(tuple(shape))
        model.built = True
    return model


# --- Functional ---------------------------------------------------------------------------------
def keras_layer_order(inputs, outputs):
    """The layers between `inputs` and `outputs` in Keras 3's `model.layers` order: by depth
    from the inputs, ties broken by when a depth-first walk back from the outputs first met
    them. `.keras` files name layers and order optimizer slots by this order."""
    input_ids = {id(t) for t in inputs}
    index, post_order, done, nodes = {}, [], set(), {}

    def node_of(tensor):
        layer, node_index, _ = tensor._keras_history
        if isinstance(layer, InputLayer):
            return ("input", id(layer)), layer, []
        node = layer._inbound_nodes[node_index]
        return id(node), layer, node.input_tensors

    stack = [(t, False) for t in reversed(outputs)]
    while stack:  # iterative, so deep models don't hit the recursion limit
        tensor, expanded = stack.pop()
        key, layer, parents = node_of(tensor)
        if expanded:
            if key not in done:
                done.add(key)
                post_order.append(key)
            continue
        if key in done:
            continue
        if id(tensor) in input_ids and not isinstance(layer, InputLayer):
            done.add(key)
            continue
        index.setdefault(id(layer), len(index))
        nodes[key] = (layer, [node_of(p)[0] for p in parents])
        stack.append((tensor, True))
        stack.extend((p, False) for p in reversed(parents))
    depth, layer_depth = {}, {}
    for key in reversed(post_order):
        layer, parents = nodes[key]
        d = max(depth.setdefault(key, 0), layer_depth.get(id(layer), 0))
        layer_depth[id(layer)] = depth[key] = d
        for parent in parents:
            if parent in nodes:
                depth[parent] = max(d + 1, depth.get(parent, 0))
    layers = {id(layer): layer for layer, _ in nodes.values()}
    for t in inputs:  # inputs that no output depends on still belong to the model
        layer = t._keras_history[0]
        if id(layer) not in layer_depth:
            layers[id(layer)], layer_depth[id(layer)], index[id(layer)] = layer, 0, -1
    return sorted(layers.values(), key=lambda la: (-layer_depth[id(la)], index[id(la)]))


def functional_config(model):
    node_ids = {id(node) for node in model._nodes}
    new_index = {}  # id(node) -> its index among the layer's calls inside this model
    for layer in model.operations:
        kept = [n for n in layer._inbound_nodes if id(n) in node_ids]
        new_index.update({id(n): i for i, n in enumerate(kept)})

    def history(tensor):
        layer, index, tensor_index = tensor._keras_history
        if isinstance(layer, InputLayer):
            return [layer.name, 0, tensor_index]
        return [layer.name, new_index[id(layer._inbound_nodes[index])], tensor_index]

    def tensor_config(value):
        if not isinstance(value, KerasTensor):
            return serialize_keras_object(value)
        return {
            "class_name": "__keras_tensor__",
            "config": {
                "shape": list(value.shape),
                "dtype": value.dtype,
                "keras_history": history(value),
            },
        }

    layers = []
    for layer in model.operations:
        config = _operation_config(layer)
        config["name"] = layer.name
        config["inbound_nodes"] = [
            {
                "args": map_structure(tensor_config, list(node.call_args)),
                "kwargs": map_structure(tensor_config, dict(node.call_kwargs)),
            }
            for node in layer._inbound_nodes
            if id(node) in node_ids
        ]
        layers.append(config)
    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": layers,
        "input_layers": map_structure(history, model._inputs_struct),
        "output_layers": map_structure(history, model._outputs_struct),
    }


def _operation_config(operation):
    """A layer's config, or an op's as Keras writes it (`keras.src.ops.numpy` `Mean`)."""
    if not isinstance(operation, FunctionOperation):
        return serialize_keras_object(operation)
    name = type(operation).__name__
    return {
        "module": operation.keras_module,
        "class_name": name,
        "config": map_structure(serialize_keras_object, operation.get_config()),
        "registered_name": name,
    }


def _make_operation(data):
    """The op a config entry from `_operation_config` (or Keras) describes, else a layer."""
    if str(data.get("module", "")).startswith("keras.src.ops"):
        cls = get_op_class(data.get("class_name"))
        if cls is None:
            raise ValueError(f"Unknown op {data.get('class_name')!r} in the model config.")
        return cls.from_config(deserialize_keras_object(data.get("config") or {}))
    return deserialize_keras_object(data)


def functional_from_config(cls, config, make_layer=None):
    """Rebuild the graph: create every layer, then replay each layer's calls once its inputs
    exist (configs list layers in order, but shared layers can be called out of order)."""
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise ValueError("A functional model config needs a 'layers' list.")
    make_layer = make_layer or _make_operation
    created, pending = {}, []
    for layer_data in config["layers"]:
        layer = make_layer(layer_data)
        name = layer_data.get("name") or layer.name
        created[name] = layer
        pending.append((layer, list(layer_data.get("inbound_nodes") or [])))
    while any(nodes for _, nodes in pending):
        progress = False
        for layer, nodes in pending:
            while nodes:
                call = _node_call(nodes[0], created)
                if call is None:
                    break
                args, kwargs = call
                layer(*args, **kwargs)
                nodes.pop(0)
                progress = True
        if not progress:
            stuck = [layer.name for layer, nodes in pending if nodes]
            raise ValueError(
                f"Cannot rebuild the functional model: the inputs of layers {stuck} are never "
                "produced (a missing layer or a cycle in 'inbound_nodes')."
            )
    inputs = _tensors(config.get("input_layers"), created, required=True, triples=True)
    outputs = _tensors(config.get("output_layers"), created, required=True, triples=True)
    # Keras 2 always wrote lists: a single input or output is the tensor itself, as in Keras
    inputs, outputs = (
        t[0] if isinstance(t, list) and len(t) == 1 else t for t in (inputs, outputs)
    )
    kwargs = {"name": config.get("name"), "trainable": config.get("trainable", True)}
    from numkeras.models.functional import Functional

    return (cls if issubclass(cls, Functional) else Functional)(inputs, outputs, **kwargs)


def _node_call(node, created):
    """(args, kwargs) of one saved layer call, or None while an input is not yet built."""
    try:
        if isinstance(node, dict):  # Keras 3: {"args": [...], "kwargs": {...}}
            args = [_tensors(a, created) for a in node.get("args") or []]
            kwargs = {k: _tensors(v, created) for k, v in (node.get("kwargs") or {}).items()}
            return args, kwargs
        entries = [_tensor(e[:3], created) for e in node]  # Keras 2: [[name, node, i, kw]]
        kwargs = node[0][3] if len(node[0]) > 3 and isinstance(node[0][3], dict) else {}
        return ([entries[0]] if len(entries) == 1 else [entries]), dict(kwargs)
    except _NotReady:
        return None
    except (TypeError, IndexError, KeyError) as e:
        raise ValueError(f"Invalid inbound node {node!r}: {e}") from e


class _NotReady(Exception):
    pass


def _tensors(value, created, required=False, triples=False):
    """Replace `__keras_tensor__` dicts (and with `triples`, `[name, node, index]` lists, as
    `input_layers` and `output_layers` hold them) with the tensors they name."""
    if triples and _is_triple(value):
        return _tensor(value, created, required)
    if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
        history = (value.get("config") or {}).get("keras_history")
        return _tensor(history, created, required)
    if isinstance(value, dict) and "class_name" in value:
        return deserialize_keras_object(value)
    if isinstance(value, dict):
        return {k: _tensors(v, created, required, triples) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_tensors(v, created, required, triples) for v in value]
    return value


def _is_triple(value):
    return (
        isinstance(value, (list, tuple))
        and len(value) == 3
        and isinstance(value[0], str)
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value[1:])
    )


def _tensor(history, created, required=False):
    if not _is_triple(history):
        raise ValueError(f"Invalid keras_history {history!r}: expected [name, node, index].")
    name, node_index, tensor_index = history
    if name not in created:
        raise ValueError(f"The config refers to an unknown layer {name!r}.")
    layer = created[name]
    if isinstance(layer, InputLayer):
        return layer.output
    if node_index >= len(layer._inbound_nodes):
        if required:
            raise ValueError(f"Layer {name!r} has no call #{node_index} in the config.")
        raise _NotReady
    outputs = flatten(layer._inbound_nodes[node_index].outputs)
    if tensor_index >= len(outputs):
        raise ValueError(f"Layer {name!r} call #{node_index} has no output #{tensor_index}.")
    return outputs[tensor_index]


# --- clone_model ------------------------------------------------------------------------------
def clone_model(model, input_tensors=None, clone_function=None, **kwargs):
    """A new model with the same architecture and freshly initialized weights (as Keras).

    `clone_function(layer)` makes each new layer; by default `from_config(get_config())`.
    """
    from numkeras.models.functional import Functional
    from numkeras.models.sequential import Sequential

    if input_tensors is not None or kwargs:
        raise NotImplementedError(
            "clone_model supports `clone_function`; `input_tensors`, `call_function` and "
            "`recursive` are not implemented."
        )
    clone_function = clone_function or (lambda layer: type(layer).from_config(layer.get_config()))
    if isinstance(model, Sequential):
        layers = [clone_function(layer) for layer in model.layers]
        if model._input_batch_shape is not None:
            layers.insert(0, InputLayer(batch_shape=model._input_batch_shape))
        return Sequential(layers, name=model.name, trainable=model.trainable)
    if isinstance(model, Functional):
        originals = {layer.name: layer for layer in model.operations}

        def make_layer(layer_data):
            layer = originals[layer_data["name"]]
            if isinstance(layer, InputLayer):
                return InputLayer(batch_shape=layer.batch_shape, dtype=layer.dtype, name=layer.name)
            if isinstance(layer, FunctionOperation):
                return type(layer).from_config(layer.get_config())
            return clone_function(layer)

        return functional_from_config(type(model), functional_config(model), make_layer)
    config = serialize_keras_object(model)
    config.pop("compile_config", None)
    return deserialize_keras_object(config)
