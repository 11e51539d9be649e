"""Plots with matplotlib (the optional `plot` extra): training curves and the layer graph.

matplotlib is imported inside the functions, so `import numkeras` stays light. Figures are
made with `matplotlib.figure.Figure`, not pyplot: no global figure list, no GUI backend.
"""
import os

import numpy as np

from numkeras.layers.input_layer import InputLayer
from numkeras.layers.keras_tensor import flatten
from numkeras.layers.layer import shape_str


def _figure_class(function):
    try:
        from matplotlib.figure import Figure
    except ImportError as e:
        raise ImportError(
            f"{function} needs matplotlib, which numkeras installs only with the `plot` extra: "
            "pip install 'numkeras[plot]' (or pip install matplotlib)."
        ) from e
    return Figure


# --- training curves ------------------------------------------------------------------------------
def _logs(history):
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict):
        raise TypeError(
            "plot_history expects the History that `fit` returns, or its `.history` dict, got "
            f"{type(history).__name__}."
        )
    if not any(len(np.atleast_1d(v)) for v in logs.values()):
        raise ValueError("plot_history got an empty history: nothing was trained yet.")
    return logs


def plot_history(history, path=None):
    """Plot the loss and each metric per epoch, training and validation, one panel each.

    Args:
        history: the `History` that `model.fit` returns, or its `.history` dict
            (`{"loss": [...], "val_loss": [...], "accuracy": [...], ...}`).
        path: where to save the figure (the extension picks the format: `.png`, `.svg`,
            `.pdf`); None to only return it.

    Returns:
        The matplotlib `Figure`.
    """
    Figure = _figure_class("plot_history")
    from matplotlib.ticker import MaxNLocator

    logs = _logs(history)
    names = [k for k in logs if not k.startswith("val_")]
    names += [k[4:] for k in logs if k.startswith("val_") and k[4:] not in logs]
    names.sort(key=lambda name: name != "loss")  # the loss first, then the metrics in order
    cols = min(len(names), 3)
    rows = -(-len(names) // cols)
    fig = Figure(figsize=(4.6 * cols, 3.4 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    first = getattr(history, "epoch", None)
    for ax, name in zip(axes, names):
        for key, label in ((name, "training"), ("val_" + name, "validation")):
            if key not in logs:
                continue
            values = np.asarray(logs[key], dtype="float64").reshape(-1)
            epochs = np.arange(1, len(values) + 1)
            if first is not None and len(first) == len(values):
                epochs = np.asarray(first) + 1  # History.epoch counts from 0
            ax.plot(epochs, values, marker="o", markersize=3, label=label)
            # whole epochs only, each one when there are few (even a single one)
            if len(epochs) <= 12:
                ax.set_xticks(epochs)
            else:
                ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend()
    for ax in axes[len(names):]:
        ax.set_visible(False)
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig


# --- the layer graph ------------------------------------------------------------------------------
def _graph(model):
    """Boxes (layer, input shape, output shape) and edges (from box, to box) of `model`."""
    from numkeras.models.functional import Functional

    if isinstance(model, Functional):
        layers = list(model.operations)
        index = {id(layer): i for i, layer in enumerate(layers)}
        shapes, edges = {}, []
        for layer in layers:
            if isinstance(layer, InputLayer):
                shapes[id(layer)] = (layer.batch_shape, layer.batch_shape)
        for node in model._nodes:
            ins = [t.shape for t in node.input_tensors]
            outs = [t.shape for t in flatten(node.outputs)]
            shapes.setdefault(id(node.layer), (ins if len(ins) > 1 else ins[0],
                                               outs if len(outs) > 1 else outs[0]))
            for t in node.input_tensors:
                edge = (index[id(t._keras_history[0])], index[id(node.layer)])
                if edge not in edges:
                    edges.append(edge)
        return [(layer, *shapes.get(id(layer), (None, None))) for layer in layers], edges
    shape = getattr(model, "_input_batch_shape", None)
    boxes = []
    if shape is not None:
        boxes.append((InputLayer(batch_shape=shape, name="input_layer"), shape, shape))
    for layer in model.layers:
        out = getattr(layer, "_output_shape", None)
        boxes.append((layer, shape, out))
        shape = out
    return boxes, [(i, i + 1) for i in range(len(boxes) - 1)]


def _ranks(count, edges):
    """Each box's depth: the longest path to it from a box with no inputs."""
    rank = [0] * count
    for _ in range(count):  # edges follow the layer order, so this settles quickly
        changed = False
        for a, b in edges:
            if rank[b] < rank[a] + 1:
                rank[b], changed = rank[a] + 1, True
        if not changed:
            break
    return rank


def _shape_text(shape):
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return ", ".join(shape_str(s) for s in shape)
    return shape_str(shape)


def _label(layer, shapes, options):
    """(title, detail lines) of one box, as Keras's plot_model writes them."""
    kind = type(layer).__name__
    title = f"{layer.name} ({kind})" if options["show_layer_names"] else kind
    lines = []
    if options["show_shapes"]:
        lines += [f"Input shape: {_shape_text(shapes[0])}",
                  f"Output shape: {_shape_text(shapes[1])}"]
    if options["show_dtype"]:
        lines.append(f"dtype: {layer.dtype}")
    activation = getattr(layer, "activation", None)
    if options["show_layer_activations"] and activation is not None:
        lines.append(f"Activation: {getattr(activation, '__name__', str(activation))}")
    if options["show_trainable"]:
        lines.append(f"Trainable: {bool(layer.trainable)}")
    return title, lines


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False,
               show_layer_names=False, rankdir="TB", expand_nested=False, dpi=200,
               show_layer_activations=False, show_trainable=False, splines="ortho", **kwargs):
    """Draw the model's layer graph to `to_file`, as Keras's `plot_model`, with matplotlib
    (boxes and arrows) instead of graphviz.

    Args:
        model: a built Sequential or functional model.
        to_file: the image file; its extension picks the format (`.png`, `.svg`, `.pdf`).
        show_shapes: write each layer's input and output shapes.
        show_dtype: write each layer's dtype.
        show_layer_names: write each layer's name before its type.
        rankdir: "TB" (top to bottom) or "LR" (left to right).
        expand_nested: accepted for Keras compatibility; nested models are drawn as one box.
        dpi: resolution of raster images.
        show_layer_activations: write the activation of layers that have one.
        show_trainable: write whether each layer is trainable.
        splines: accepted for Keras compatibility; arrows are straight.

    Returns:
        An `IPython.display.Image` of the file when IPython is installed and the file is an
        image it shows, else None.
    """
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("Argument `layer_range` is no longer supported.")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
    if rankdir not in ("TB", "LR"):
        raise ValueError(f"plot_model: rankdir must be 'TB' or 'LR', got {rankdir!r}.")
    if not model.built:
        raise ValueError(
            "This model has not yet been built. Build the model first by calling `build()` or "
            "by calling the model on a batch of data."
        )
    Figure = _figure_class("plot_model")
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    options = dict(show_shapes=show_shapes, show_dtype=show_dtype,
                   show_layer_names=show_layer_names,
                   show_layer_activations=show_layer_activations, show_trainable=show_trainable)
    boxes, edges = _graph(model)
    if not boxes:
        raise ValueError("plot_model: the model has no layers to draw.")
    labels = [_label(layer, (ins, outs), options) for layer, ins, outs in boxes]
    rank = _ranks(len(boxes), edges)
    # Sizes in inches: 9-point text is about 0.075 in per character and 0.19 in per line.
    widths = [0.075 * max(len(line) for line in [t, *lines]) + 0.35
              for t, lines in labels]
    heights = [0.19 * (1 + len(lines)) + 0.22 for _, lines in labels]
    column, row = max(widths) + 0.4, max(heights) + 0.5
    slots = {}
    for i, r in enumerate(rank):
        slots.setdefault(r, []).append(i)
    across = max(len(s) for s in slots.values())
    spread, deep = (column, row) if rankdir == "TB" else (row, column)
    side = 0.4 if any(rank[b] - rank[a] > 1 for a, b in edges) else 0.1  # room for bends
    fig_w, fig_h = across * spread + 2 * side, len(slots) * deep + 0.2
    if rankdir == "LR":
        fig_w, fig_h = len(slots) * deep + 0.2, across * spread + 2 * side
    centre = {}
    for r, members in slots.items():
        for k, i in enumerate(members):
            offset = (k - (len(members) - 1) / 2) * spread
            if rankdir == "TB":
                centre[i] = (fig_w / 2 + offset, fig_h - 0.1 - (r + 0.5) * deep)
            else:
                centre[i] = (0.1 + (r + 0.5) * deep, fig_h / 2 - offset)

    fig = Figure(figsize=(fig_w, fig_h))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, fig_w)
    ax.set_ylim(0, fig_h)
    ax.set_axis_off()
    patches = []
    for i, (title, lines) in enumerate(labels):
        (x, y), w, h = centre[i], widths[i], heights[i]
        box = FancyBboxPatch((x - w / 2, y - h / 2), w, h,
                             boxstyle="round,pad=0,rounding_size=0.06",
                             facecolor="#eef2ff", edgecolor="#3b4a8c", linewidth=1)
        ax.add_patch(box)
        patches.append(box)
        top = y + h / 2 - 0.11 - 0.095
        ax.text(x, top, title, ha="center", va="center", fontsize=9, fontweight="bold")
        for k, line in enumerate(lines):
            ax.text(x, top - 0.19 * (k + 1), line, ha="center", va="center", fontsize=8.5)
    for a, b in edges:
        # An edge that skips ranks bends around the boxes between: a quadratic curve strays
        # rad * length / 2 from the straight line, so it clears half the widest box.
        length = np.hypot(centre[b][0] - centre[a][0], centre[b][1] - centre[a][1])
        clear = (max(widths) if rankdir == "TB" else max(heights)) / 2 + 0.25
        rad = 2 * clear / length if rank[b] - rank[a] > 1 else 0.0
        ax.add_patch(FancyArrowPatch(centre[a], centre[b], patchA=patches[a], patchB=patches[b],
                                     connectionstyle=f"arc3,rad={rad:.3f}", arrowstyle="-|>",
                                     mutation_scale=12, linewidth=1, color="#3b4a8c",
                                     shrinkA=2, shrinkB=2))
    fig.savefig(to_file, dpi=dpi)
    extension = os.path.splitext(str(to_file))[1].lower()
    if extension in (".png", ".jpg", ".jpeg"):
        try:
            from IPython import display
        except ImportError:
            return None
        return display.Image(filename=to_file)
    return None
