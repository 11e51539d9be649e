"""`model_to_dot`: a model's layer graph as a `pydot.Dot`, as Keras draws it for graphviz
(pydot is optional: without it the call raises Keras's ImportError)."""

from numkeras.saving.serialization import base_classes
from numkeras.tree import map_structure

__all__ = ["model_to_dot"]


def _pydot():
    try:
        import pydot
    except ImportError:
        return None
    return pydot


def model_to_dot(
    model,
    show_shapes=False,
    show_dtype=False,
    show_layer_names=True,
    rankdir="TB",
    expand_nested=False,
    dpi=200,
    subgraph=False,
    show_layer_activations=False,
    show_trainable=False,
    splines="ortho",
    **kwargs,
):
    """A `pydot.Dot` with one record node per layer (an HTML-like table label, as Keras's)
    and an edge per connection; with `subgraph`, a `pydot.Cluster`. Nested models are one
    node, or with `expand_nested` a dashed cluster of their own layers."""
    Sequential, Functional = base_classes("Sequential", "Functional")
    if not model.built:
        raise ValueError(
            "This model has not yet been built. Build the model first by calling `build()` or "
            "by calling the model on a batch of data."
        )
    pydot = _pydot()
    if pydot is None:
        raise ImportError("You must install pydot (`pip install pydot`) for model_to_dot to work.")
    if subgraph:
        dot = pydot.Cluster(style="dashed", graph_name=model.name)
        dot.set("label", model.name)
        dot.set("labeljust", "l")
    else:
        dot = pydot.Dot()
        dot.set("rankdir", rankdir)
        dot.set("concentrate", True)
        dot.set("dpi", dpi)
        dot.set("splines", splines)
        dot.set_node_defaults(shape="record")
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("Argument `layer_range` is no longer supported.")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
    label_args = {
        "show_layer_names": show_layer_names,
        "show_layer_activations": show_layer_activations,
        "show_dtype": show_dtype,
        "show_shapes": show_shapes,
        "show_trainable": show_trainable,
    }
    if isinstance(model, Sequential):
        layers = model.layers
    elif not isinstance(model, Functional):  # a subclassed model: one node
        dot.add_node(_node(pydot, model, label_args))
        return dot
    else:
        layers = model.operations
    for layer in layers:
        if expand_nested and isinstance(layer, (Functional, Sequential)):
            dot.add_subgraph(
                model_to_dot(
                    layer,
                    show_shapes,
                    show_dtype,
                    show_layer_names,
                    rankdir,
                    expand_nested,
                    subgraph=True,
                    show_layer_activations=show_layer_activations,
                    show_trainable=show_trainable,
                )
            )
        else:
            dot.add_node(_node(pydot, layer, label_args))
    if isinstance(model, Sequential):
        for a, b in zip(layers, layers[1:]):
            _add_edge(pydot, dot, _last(a, expand_nested), _first(b, expand_nested))
        return dot
    _functional_edges(pydot, dot, model, layers, expand_nested)
    return dot


def _functional_edges(pydot, dot, model, layers, expand_nested):
    """An edge from each producing layer to each layer that takes its output."""
    in_model = {id(node) for node in model._nodes}
    for layer in layers:
        for node in layer._inbound_nodes:
            if id(node) not in in_model:
                continue
            for tensor in node.input_tensors:
                history = getattr(tensor, "_keras_history", None)
                if history is None or history.operation is None:
                    continue
                source = _last(history.operation, expand_nested)
                _add_edge(pydot, dot, source, _first(layer, expand_nested))


def _first(layer, expand):
    """The box an edge into `layer` points at (inside an expanded nested model: its first)."""
    Sequential, Functional = base_classes("Sequential", "Functional")
    while expand and isinstance(layer, (Functional, Sequential)) and layer.layers:
        layer = layer.layers[0] if isinstance(layer, Sequential) else layer.operations[0]
    return layer


def _last(layer, expand):
    Sequential, Functional = base_classes("Sequential", "Functional")
    while expand and isinstance(layer, (Functional, Sequential)) and layer.layers:
        layer = layer.layers[-1] if isinstance(layer, Sequential) else layer.operations[-1]
    return layer


def _add_edge(pydot, dot, src, dst):
    src_id, dst_id = str(id(src)), str(id(dst))
    if not dot.get_edge(src_id, dst_id):
        edge = pydot.Edge(src_id, dst_id)
        edge.set("penwidth", "2")
        dot.add_edge(edge)


def _node(pydot, layer, label_args):
    node = pydot.Node(str(id(layer)), label=_label(layer, **label_args))
    node.set("fontname", "Helvetica")
    node.set("border", "0")
    node.set("margin", "0")
    return node


def _activation_name(layer):
    activation = layer.activation
    return getattr(activation, "name", None) or getattr(activation, "__name__", str(activation))


def _cell(text, bg="white", color=None):
    font = f'<font point-size="14" color="{color}">' if color else '<font point-size="14">'
    return f'<td bgcolor="{bg}">{font}{text}</font></td>'


def _label(
    layer, show_layer_names, show_layer_activations, show_dtype, show_shapes, show_trainable
):
    """Keras's HTML-like table: name (class) on black, then activation, shapes, dtype and
    trainability cells."""
    class_name = type(layer).__name__
    colspan = max(1, int(show_dtype) + int(show_trainable) + (2 if show_shapes else 0))
    title = f"<b>{layer.name}</b> ({class_name})" if show_layer_names else f"<b>{class_name}</b>"
    table = '<<table border="0" cellborder="1" bgcolor="black" cellpadding="10">'
    table += (
        f'<tr><td colspan="{colspan}" bgcolor="black"><font point-size="16" color="white">'
        f"{title}</font></td></tr>"
    )
    if show_layer_activations and getattr(layer, "activation", None) is not None:
        table += (
            f'<tr><td bgcolor="white" colspan="{colspan}"><font point-size="14">'
            f"Activation: <b>{_activation_name(layer)}</b></font></td></tr>"
        )
    cols = []
    if show_shapes:
        in_shape = out_shape = None
        try:
            in_shape = map_structure(lambda x: x.shape, layer.input)
            out_shape = map_structure(lambda x: x.shape, layer.output)
        except (ValueError, AttributeError):
            pass
        if class_name != "InputLayer":
            cols.append(_cell(f"Input shape: <b>{_shape_text(in_shape)}</b>"))
        cols.append(_cell(f"Output shape: <b>{_shape_text(out_shape)}</b>"))
    if show_dtype:
        dtype = None
        try:
            dtype = map_structure(lambda x: x.dtype, layer.output)
        except (ValueError, AttributeError):
            pass
        cols.append(_cell(f"Output dtype: <b>{dtype or '?'}</b>"))
    if show_trainable and getattr(layer, "weights", None):
        if layer.trainable:
            cols.append(_cell("<b>Trainable</b>", "forestgreen", "white"))
        else:
            cols.append(_cell("<b>Non-trainable</b>", "firebrick", "white"))
    if cols:
        table += f"<tr>{''.join(cols)}</tr>"
    return table + "</table>>"


def _shape_text(shape):
    if shape is None:
        return "?"
    if isinstance(shape, dict):
        text = ", ".join(f"{k}: {v}" for k, v in shape.items())
    else:
        text = f"{shape}"
    return text.replace("}", "").replace("{", "")
