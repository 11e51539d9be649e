"""Plots with matplotlib (the optional `plot` extra): training curves and the layer graph.

matplotlib is imported inside the functions, so `import numkeras` stays light. Figures are
made with `matplotlib.figure.Figure`, not pyplot: no global figure list, no GUI backend.
"""

import io
import os

import numpy as np

from numkeras.layers.input_layer import InputLayer
from numkeras.layers.layer import shape_str
from numkeras.tree import flatten


def _figure_class(function):
    try:
        from matplotlib.figure import Figure
    except ImportError as e:
        raise ImportError(
            f"{function} needs matplotlib, which numkeras installs only with the `plot` extra: "
            "pip install 'numkeras[plot]' (or pip install matplotlib)."
        ) from e
    return Figure


def _notebook_figure_class():
    """A Figure that shows itself as a PNG in Jupyter even without `%matplotlib inline`:
    IPython asks an object for `_repr_png_`, and plain Figures have none."""
    from matplotlib.figure import Figure

    class NotebookFigure(Figure):
        def _repr_png_(self):
            buffer = io.BytesIO()
            self.savefig(buffer, format="png", dpi=100)
            return buffer.getvalue()

    return NotebookFigure


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
        The matplotlib `Figure`; as the last value of a notebook cell it shows as an image.
    """
    _figure_class("plot_history")
    Figure = _notebook_figure_class()
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
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig


# --- the layer graph ------------------------------------------------------------------------------
def _graph(model):
    """Boxes (layer, input shape, output shape) and edges (from box, to box) of `model`."""
    if getattr(model, "_nodes", None) is not None:  # a functional graph (not a Sequential)
        layers = list(model.operations)
        index = {id(layer): i for i, layer in enumerate(layers)}
        shapes, edges = {}, []
        for layer in layers:
            if isinstance(layer, InputLayer):
                shapes[id(layer)] = (layer.batch_shape, layer.batch_shape)
        for node in model._nodes:
            ins = [t.shape for t in node.input_tensors]
            outs = [t.shape for t in flatten(node.outputs)]
            shapes.setdefault(
                id(node.layer),
                (ins if len(ins) > 1 else ins[0], outs if len(outs) > 1 else outs[0]),
            )
            for t in node.input_tensors:
                edge = (index[id(t._keras_history[0])], index[id(node.layer)])
                if edge not in edges:
                    edges.append(edge)
        return [(layer, *shapes.get(id(layer), (None, None))) for layer in layers], edges
    # Sequential: its layers only, as Keras draws it (no InputLayer box), each with the shape
    # it receives, chained from the model's input shape.
    shape = getattr(model, "_input_batch_shape", None)
    boxes = []
    for layer in model.layers:
        out = getattr(layer, "_built_output_shape", None)
        if out is None and shape is not None:
            out = layer.compute_output_shape(shape)
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


def _layout(count, edges, rank):
    """Layered layout: the slots of each rank, and each edge as the chain of slots it passes.

    An edge that skips ranks gets a placeholder in every rank between (so it never runs
    through a box); each rank is then ordered by the mean position of its neighbours, sweeping
    down and up, which leaves chains and simple branches without crossings.
    """
    depth = max(rank) + 1
    slots = [[] for _ in range(depth)]  # a box index, or ("via", edge number, rank)
    for i in range(count):
        slots[rank[i]].append(i)
    chains = []
    for e, (a, b) in enumerate(edges):
        via = [("via", e, r) for r in range(rank[a] + 1, rank[b])]
        for v in via:
            slots[v[2]].append(v)
        chains.append([a, *via, b])
    up, down = {}, {}
    for chain in chains:
        for u, v in zip(chain, chain[1:]):
            down.setdefault(u, []).append(v)
            up.setdefault(v, []).append(u)
    for sweep in range(4):
        order = range(1, depth) if sweep % 2 == 0 else range(depth - 2, -1, -1)
        near = up if sweep % 2 == 0 else down
        for r in order:
            where = {}
            for row in slots:
                for k, item in enumerate(row):
                    where[item] = k - (len(row) - 1) / 2
            old = {item: k for k, item in enumerate(slots[r])}

            def key(item, where=where, near=near, old=old):
                others = [where[n] for n in near.get(item, [])]
                return (sum(others) / len(others) if others else where[item], old[item])

            slots[r].sort(key=key)
    return slots, chains


def _shape_text(shape):
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return "[" + ", ".join(shape_str(s) for s in shape) + "]"
    return shape_str(shape)


def _label(layer, shapes, options):
    """(title, detail lines) of one box: the text of Keras's plot_model, in its order."""
    kind = type(layer).__name__
    title = f"{layer.name} ({kind})" if options["show_layer_names"] else kind
    lines = []
    activation = getattr(layer, "activation", None)
    if options["show_layer_activations"] and activation is not None:
        lines.append(f"Activation: {getattr(activation, '__name__', str(activation))}")
    if options["show_shapes"]:
        if not isinstance(layer, InputLayer):
            lines.append(f"Input shape: {_shape_text(shapes[0])}")
        lines.append(f"Output shape: {_shape_text(shapes[1])}")
    if options["show_dtype"]:
        lines.append(f"Output dtype: {layer.dtype if shapes[1] is not None else '?'}")
    if options["show_trainable"] and layer.weights:
        lines.append("Trainable" if layer.trainable else "Non-trainable")
    return title, lines


def _port(centre, width, height, rankdir, side):
    """Where edges leave (side 1: bottom, or right for LR) or enter (-1: top, left) a box."""
    x, y = centre
    return (x, y - side * height / 2) if rankdir == "TB" else (x + side * width / 2, y)


def plot_model(
    model,
    to_file="model.png",
    show_shapes=False,
    show_dtype=False,
    show_layer_names=False,
    rankdir="TB",
    expand_nested=False,
    dpi=200,
    show_layer_activations=False,
    show_trainable=False,
    splines="ortho",
    **kwargs,
):
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
    options = dict(
        show_shapes=show_shapes,
        show_dtype=show_dtype,
        show_layer_names=show_layer_names,
        show_layer_activations=show_layer_activations,
        show_trainable=show_trainable,
    )
    fig = _model_figure(model, rankdir, options)
    fig.savefig(to_file, dpi=dpi)
    extension = os.path.splitext(str(to_file))[1].lower()
    if extension in (".png", ".jpg", ".jpeg"):
        try:
            from IPython import display
        except ImportError:
            return None
        return display.Image(filename=to_file)
    return None


def _model_figure(model, rankdir, options):
    """The layer graph as a matplotlib Figure: one labelled box per layer, arrows between."""
    Figure = _figure_class("plot_model")
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    boxes, edges = _graph(model)
    if not boxes:
        raise ValueError("plot_model: the model has no layers to draw.")
    labels = [_label(layer, (ins, outs), options) for layer, ins, outs in boxes]
    rank = _ranks(len(boxes), edges)
    slots, chains = _layout(len(boxes), edges, rank)
    # Sizes in inches: 9-point text is about 0.075 in per character and 0.19 in per line.
    widths = [0.075 * max(len(line) for line in [t, *lines]) + 0.35 for t, lines in labels]
    heights = [0.19 * (1 + len(lines)) + 0.22 for _, lines in labels]
    column, row = max(widths) + 0.4, max(heights) + 0.5
    across = max(len(s) for s in slots)
    spread, deep = (column, row) if rankdir == "TB" else (row, column)
    fig_w, fig_h = across * spread + 0.2, len(slots) * deep + 0.2
    if rankdir == "LR":
        fig_w, fig_h = len(slots) * deep + 0.2, across * spread + 0.2
    centre = {}
    for r, members in enumerate(slots):
        for k, item in enumerate(members):
            offset = (k - (len(members) - 1) / 2) * spread
            if rankdir == "TB":
                centre[item] = (fig_w / 2 + offset, fig_h - 0.1 - (r + 0.5) * deep)
            else:
                centre[item] = (0.1 + (r + 0.5) * deep, fig_h / 2 - offset)

    fig = Figure(figsize=(fig_w, fig_h))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, fig_w)
    ax.set_ylim(0, fig_h)
    ax.set_axis_off()
    for i, (title, lines) in enumerate(labels):
        (x, y), w, h = centre[i], widths[i], heights[i]
        ax.add_patch(
            FancyBboxPatch(
                (x - w / 2, y - h / 2),
                w,
                h,
                boxstyle="round,pad=0,rounding_size=0.06",
                facecolor="#eef2ff",
                edgecolor="#3b4a8c",
                linewidth=1,
            )
        )
        top = y + h / 2 - 0.11 - 0.095
        ax.text(x, top, title, ha="center", va="center", fontsize=9, fontweight="bold")
        for k, line in enumerate(lines):
            ax.text(x, top - 0.19 * (k + 1), line, ha="center", va="center", fontsize=8.5)
    band = (max(heights) if rankdir == "TB" else max(widths)) / 2  # half a rank's boxes
    for chain in chains:
        # Straight out of the source's bottom (right, for LR) to the edge of its rank's band,
        # straight through each placeholder's band, straight into the target's top: slanted
        # segments lie only in the gaps between ranks, where the ordering keeps them apart.
        a, b = chain[0], chain[-1]
        points = [_port(centre[a], widths[a], heights[a], rankdir, 1)]
        for item in chain[:-1]:
            if item != a:
                points.append(_port(centre[item], 2 * band, 2 * band, rankdir, -1))
            points.append(_port(centre[item], 2 * band, 2 * band, rankdir, 1))
        points += [
            _port(centre[b], 2 * band, 2 * band, rankdir, -1),
            _port(centre[b], widths[b], heights[b], rankdir, -1),
        ]
        points = [p for k, p in enumerate(points) if k == 0 or p != points[k - 1]]
        xs, ys = zip(*points)
        ax.plot(xs, ys, color="#3b4a8c", linewidth=1, solid_capstyle="butt")
        ax.add_patch(
            FancyArrowPatch(
                points[-2],
                points[-1],
                arrowstyle="-|>",
                linewidth=1,
                mutation_scale=12,
                color="#3b4a8c",
                shrinkA=0,
                shrinkB=0,
            )
        )
    return fig
