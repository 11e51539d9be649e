"""The array shapes a weights file stores, while a model is being loaded from it.

`Layer.add_weight` checks that the file stores an array of the weight's shape before creating
the weight, so a small file whose config declares huge layers is refused before anything is
allocated (the full check, variable by variable, follows when the weights are read; a layer
may build a weight that is not saved, such as a wrapper's template, so shapes aren't counted).
"""

import contextlib
import threading

_state = threading.local()


@contextlib.contextmanager
def expecting(shapes):
    """While active, every weight a layer creates must have one of `shapes`."""
    saved = getattr(_state, "shapes", None)
    _state.shapes = {tuple(s) for s in shapes}
    try:
        yield
    finally:
        _state.shapes = saved


def check(shape, layer_name, weight_name):
    """ValueError unless the file being loaded stores an array of `shape` (outside
    `expecting`: no check)."""
    shapes = getattr(_state, "shapes", None)
    if shapes is not None and tuple(shape) not in shapes:
        stored = sorted(shapes, key=lambda s: (len(s), s))
        raise ValueError(
            f"layer '{layer_name}' declares weight '{weight_name}' with shape {tuple(shape)}, "
            f"but the weights file stores no array of that shape (its shapes: {stored[:20]}"
            f"{' ...' if len(stored) > 20 else ''})."
        )
