"""Keras masks between layers: read the mask inputs carry, attach `compute_mask`'s to outputs.

A mask is a boolean tensor (e.g. `Embedding(mask_zero=True)` gives `inputs != 0`) stored as
the `_keras_mask` attribute of the tensor it describes.
"""

import warnings

from numkeras.engine import Tensor
from numkeras.tree import flatten


def input_mask(inputs):
    """The mask the inputs carry: a tensor's `_keras_mask`, a list of them for a list of
    inputs with at least one mask, or None."""
    if isinstance(inputs, Tensor):
        return getattr(inputs, "_keras_mask", None)
    if isinstance(inputs, (list, tuple)):
        masks = [getattr(t, "_keras_mask", None) for t in inputs]
        return masks if any(m is not None for m in masks) else None
    return None


def set_output_mask(layer, inputs, outputs, mask, warn=True):
    """Attach `layer.compute_mask(inputs, mask)` to outputs that have no mask yet, as Keras
    does for layers that support masking; warn (for a carried mask) when the layer does not."""
    if not layer.supports_masking:
        if warn and any(m is not None for m in (mask if isinstance(mask, list) else [mask])):
            warnings.warn(
                f"Layer '{layer.name}' (of type {type(layer).__name__}) was passed an input "
                "with a mask attached to it. However, this layer does not support masking and "
                "will therefore destroy the mask information. Downstream layers will not see "
                "the mask.",
                stacklevel=3,
            )
        return
    flat = [t for t in flatten(outputs) if isinstance(t, Tensor)]
    if all(getattr(t, "_keras_mask", None) is not None for t in flat):
        return
    masks = layer.compute_mask(inputs, mask)
    if masks is None:
        return
    for tensor, m in zip(flat, masks if isinstance(masks, (list, tuple)) else [masks]):
        if m is not None and getattr(tensor, "_keras_mask", None) is None:
            tensor._keras_mask = m
