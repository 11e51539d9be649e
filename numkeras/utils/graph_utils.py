"""`get_source_inputs`: the Input tensors a symbolic tensor was computed from."""


def get_source_inputs(tensor):
    """The `Input` KerasTensors at the start of `tensor`'s graph, in first-seen order
    (a tensor without history, or an input itself, gives `[tensor]`)."""
    from numkeras.layers import InputLayer

    history = getattr(tensor, "_keras_history", None)
    if not history:
        return [tensor]
    layer, index, _ = history
    if isinstance(layer, InputLayer) or not getattr(layer, "_inbound_nodes", None):
        return [tensor]
    sources = []
    for parent in layer._inbound_nodes[index].input_tensors:
        for found in get_source_inputs(parent):
            if all(found is not s for s in sources):
                sources.append(found)
    return sources
