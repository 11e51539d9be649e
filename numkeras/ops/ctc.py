"""Connectionist temporal classification: the loss (the engine's forward-backward op, shared
with `losses.CTC`) and greedy decoding."""

import numpy as np

from numkeras.engine.tensor import Tensor, as_array
from numkeras.ops.layer_ops.ctc import ctc_loss


def ctc_decode(
    inputs,
    sequence_lengths,
    strategy="greedy",
    beam_width=100,
    top_paths=1,
    merge_repeated=True,
    mask_index=0,
):
    """Greedy CTC decoding: best class per step, repeats merged, blanks removed and padded
    with -1 at the end; returns ((1, B, T) labels, (B, 1) negative summed best scores)."""
    if strategy != "greedy":
        raise NotImplementedError(
            f"Op `ctc_decode`: only strategy='greedy' is available in numkeras, got {strategy!r}."
        )
    scores_in = as_array(inputs)
    lengths = as_array(sequence_lengths).astype(np.intp).reshape(-1)
    batch, steps, classes = scores_in.shape
    blank = classes - 1 if mask_index is None else mask_index
    labels = scores_in.argmax(-1).astype("int32")
    best = scores_in.max(-1)
    past = np.arange(steps)[None, :] >= lengths[:, None]
    labels[past] = blank
    best = np.where(past, 0, best)
    if merge_repeated:
        repeated = np.zeros_like(past)
        repeated[:, 1:] = labels[:, 1:] == labels[:, :-1]
        labels[repeated] = blank
    blank_mask = labels == blank
    labels[blank_mask] = -1
    order = np.argsort(np.where(blank_mask, steps, np.arange(steps)), axis=-1, kind="stable")
    decoded = np.take_along_axis(labels, order, -1)
    return Tensor(decoded[None]), Tensor(-best.sum(1, keepdims=True).astype(scores_in.dtype))


__all__ = ["ctc_decode", "ctc_loss"]
