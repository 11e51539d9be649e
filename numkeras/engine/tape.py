"""GradientTape: record the ops run inside it, then ask for gradients, as in TensorFlow."""

import numpy as np

from numkeras.engine import autodiff
from numkeras.engine.tensor import Tensor, as_array


class GradientTape:
    """Records operations on trainable variables (and watched tensors) for `gradient`.

    Args:
        persistent: allow more than one `gradient` call.
        watch_accessed_variables: kept for TensorFlow compatibility; trainable variables
            are always watched.

    >>> import numkeras
    >>> w = numkeras.Variable(3.0)
    >>> with numkeras.GradientTape() as tape:
    ...     y = w * w
    >>> float(tape.gradient(y, w))
    6.0
    """

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self.persistent = persistent
        self._switch = None
        self._used = False

    def __enter__(self):
        self._switch = autodiff.enable_grad().__enter__()
        return self

    def __exit__(self, *exc):
        self._switch.__exit__(*exc)
        return False

    def watch(self, tensor):
        """Also track gradients for `tensor` (or each tensor in a list)."""
        for t in tensor if isinstance(tensor, (list, tuple)) else [tensor]:
            if not isinstance(t, Tensor):
                raise TypeError(
                    "GradientTape.watch: expected a numkeras Tensor or Variable, "
                    f"got {type(t).__name__}. Convert it with numkeras.ops.convert_to_tensor first."
                )
            t.requires_grad = True

    def gradient(self, target, sources, output_gradients=None, unconnected_gradients="none"):
        """NumPy gradients of `target` for each source, in the structure of `sources`."""
        if self._used and not self.persistent:
            raise RuntimeError(
                "A non-persistent GradientTape can only compute one set of gradients; "
                "use GradientTape(persistent=True) for more."
            )
        self._used = True
        if not isinstance(target, Tensor):
            raise TypeError(
                f"GradientTape.gradient: target must be a Tensor, got {type(target).__name__}."
            )
        flat, rebuild = _flatten(sources)
        seed = None if output_gradients is None else as_array(output_gradients, target.dtype)
        if target.requires_grad:
            grads = autodiff.gradients(target, flat, seed)
        else:
            grads = [None] * len(flat)
        if unconnected_gradients == "zero":
            grads = [np.zeros(s.shape, s.dtype) if g is None else g for g, s in zip(grads, flat)]
        return rebuild(grads)


def _flatten(sources):
    """Flatten a tensor, list, tuple or dict of tensors, with a function to rebuild it."""
    if isinstance(sources, Tensor):
        return [sources], lambda grads: grads[0]
    if isinstance(sources, dict):
        keys = list(sources)
        return [sources[k] for k in keys], lambda grads: dict(zip(keys, grads))
    items = list(sources)
    return items, lambda grads: type(sources)(grads) if isinstance(sources, tuple) else list(grads)
