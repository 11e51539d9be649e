"""The CTC loss for unaligned sequence labels (speech, handwriting, OCR)."""

import numpy as np

from numkeras import ops
from numkeras.losses.losses import LossFunctionWrapper
from numkeras.ops.layer_ops.ctc import ctc_loss

__all__ = ["CTC", "ctc"]


def ctc(y_true, y_pred):
    """Per-sample CTC loss: `y_true` (batch, max_length) integer labels padded with 0 (the
    blank), `y_pred` (batch, frames, classes) logits; every frame of `y_pred` is used."""
    y_true = np.asarray(ops.convert_to_numpy(y_true))
    y_pred = ops.convert_to_tensor(y_pred)
    if y_true.ndim != 2:
        raise ValueError(
            "Targets `y_true` are expected to be a tensor of shape `(batch_size, max_length)` "
            f"in integer format. Received: y_true.shape={y_true.shape}"
        )
    if y_pred.ndim != 3:
        raise ValueError(
            "Logits `y_pred` are expected to be a tensor of shape "
            f"`(batch_size, max_length, num_classes)`. Received: y_pred.shape={y_pred.shape}"
        )
    labels = y_true.astype(np.int32)
    return ctc_loss(labels, y_pred, np.sum(labels != 0, axis=-1), y_pred.shape[1], mask_index=0)


class CTC(LossFunctionWrapper):
    """The CTC loss; see `ctc`."""

    def __init__(self, reduction="sum_over_batch_size", name="ctc", dtype=None):
        super().__init__(ctc, reduction=reduction, name=name, dtype=dtype)
