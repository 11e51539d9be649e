"""`model.summary()`: Keras 3's box table, with its column widths and wrapping rules."""

import shutil

import numpy as np

from numkeras.layers.layer import shape_str


def _column_widths(positions, line_length):
    """Cell widths (padding included) as rich lays out fixed columns squeezed into a line."""
    widths, current = [], 0
    for pos in positions:
        width = int(pos * line_length) - current
        widths.append(width + 2)
        current += width
    excess = sum(widths) + len(widths) + 1 - line_length
    remaining, count = excess, len(widths)
    for i in range(len(widths)):  # spread the excess evenly, rounding half to even
        cut = round(remaining / count)
        widths[i] -= cut
        remaining, count = remaining - cut, count - 1
    return [w - 2 for w in widths]


def _wrap(text, width):
    """Word-wrap `text` to `width`; a word longer than the width is cut with an ellipsis."""
    lines, line = [], ""
    for word in text.split(" "):
        if len(word) > width:
            word = word[: width - 1] + "…"
        if line and len(line) + 1 + len(word) <= width:
            line += " " + word
        else:
            if line:
                lines.append(line)
            line = word
    return lines + [line]


def _size(variables):
    """The bytes of `variables` in Keras's units (1 KB = 1024 B)."""
    size = float(sum(v.size * np.dtype(v.dtype).itemsize for v in variables))
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}"
        size /= 1024


def _row(cells, widths, aligns):
    wrapped = [_wrap(c, w) for c, w in zip(cells, widths)]
    height = max(len(w) for w in wrapped)
    lines = []
    for i in range(height):
        parts = []
        for lines_, w, a in zip(wrapped, widths, aligns):
            text = lines_[i] if i < len(lines_) else ""
            parts.append(" " + (text.rjust(w) if a == "right" else text.ljust(w)) + " ")
        lines.append("│" + "│".join(parts) + "│")
    return lines


def format_summary(model, rows, connected, line_length=None):
    """The summary text. `rows` are (name_and_type, shape, params[, connected_to])."""
    header = ["Layer (type)", "Output Shape", "Param #"]
    positions, default = [0.45, 0.80, 1.0], 88
    if connected:
        header.append("Connected to")
        positions, default = [0.3, 0.56, 0.74, 1.0], 108
    line_length = line_length or min(default, shutil.get_terminal_size().columns - 4)
    widths = _column_widths(positions, line_length)
    aligns = ["left", "left", "right", "left"]

    def rule(left, mid, right, fill):
        return left + mid.join(fill * (w + 2) for w in widths) + right

    out = [f'Model: "{model.name}"', rule("┏", "┳", "┓", "━")]
    out.append(
        "┃"
        + "┃".join(
            " " + (h.rjust(w) if a == "right" else h.ljust(w)) + " "
            for h, w, a in zip(header, widths, aligns)
        )
        + "┃"
    )
    out.append(rule("┡", "╇", "┩", "━"))
    for i, cells in enumerate(rows):
        if i:
            out.append(rule("├", "┼", "┤", "─"))
        out.extend(_row(cells, widths, aligns))
    out.append(rule("└", "┴", "┘", "─"))
    trainable, weights = model.trainable_weights, model.weights
    frozen = [w for w in weights if all(w is not t for t in trainable)]
    optimizer = getattr(model, "optimizer", None)
    # as Keras: once the optimizer has its variables (after the first step), they count too
    slots = list(optimizer.variables) if optimizer is not None and optimizer.built else []
    everything = weights + slots
    out.append(f" Total params: {_count(everything):,} ({_size(everything)})")
    out.append(f" Trainable params: {_count(trainable):,} ({_size(trainable)})")
    out.append(f" Non-trainable params: {_count(frozen):,} ({_size(frozen)})")
    if slots:
        out.append(f" Optimizer params: {_count(slots):,} ({_size(slots)})")
    return "\n".join(out)


def _count(variables):
    return sum(v.size for v in variables)


def layer_row(layer, output_shape):
    name = f"{layer.name} ({type(layer).__name__})"
    if not getattr(layer, "built", True):  # (ops in a graph have nothing to build)
        return [name, "?", "0 (unbuilt)"]
    if isinstance(output_shape, list):
        shape = ", ".join(shape_str(s) for s in output_shape)
    else:
        shape = "?" if output_shape is None else shape_str(output_shape)
    weights = getattr(layer, "weights", [])
    return [name, shape, f"{int(np.sum([v.size for v in weights])):,}"]
