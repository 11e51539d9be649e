"""Connectionist temporal classification: the CTC loss by the forward (alpha) recursion in log
space, built from differentiable ops, and greedy CTC decoding."""
import numpy as np

from numkeras.engine import math_ops as m
from numkeras.engine.nn_ops import log_softmax
from numkeras.engine.shape_ops import concatenate, getitem, stack, take_along_axis
from numkeras.engine.tensor import Tensor, as_array, as_tensor

_NEG = -1e30  # log(0) that keeps logsumexp's gradient finite


def _logsumexp3(a, b, c):
    return m.logsumexp(stack([a, b, c], axis=0), axis=0)


def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """Per-sample CTC negative log-likelihood of integer `target` (B, L) under logits `output`
    (B, T, C); `mask_index` is the blank class."""
    logits = as_tensor(output)
    if logits.data.dtype.kind != "f":
        logits = m.cast(logits, "float32")
    labels = as_array(target).astype(np.intp)
    target_length = as_array(target_length).astype(np.intp).reshape(-1)
    output_length = as_array(output_length).astype(np.intp).reshape(-1)
    batch, steps, _ = logits.shape
    if labels.ndim != 2 or labels.shape[0] != batch:
        raise ValueError(f"Op `ctc_loss`: target must be (batch, max_label_length) with batch "
                         f"{batch}, got shape {labels.shape}.")
    width = 2 * labels.shape[1] + 1
    extended = np.full((batch, width), mask_index, np.intp)  # blank, l1, blank, l2, ..., blank
    extended[:, 1::2] = labels
    valid = np.arange(width)[None, :] < 2 * target_length[:, None] + 1
    skip = np.zeros((batch, width), bool)  # a label may follow the label two back if they differ
    skip[:, 2:] = (extended[:, 2:] != mask_index) & (extended[:, 2:] != extended[:, :-2])
    dtype = logits.data.dtype
    neg = Tensor(np.asarray(_NEG, dtype))
    log_probs = log_softmax(logits, axis=-1)
    start = np.zeros((batch, width), bool)
    start[:, :2] = True
    start &= valid
    emit = take_along_axis(getitem(log_probs, (slice(None), 0)), extended, axis=-1)
    alpha = m.where(start, emit, neg)
    history = [alpha]
    pad1 = Tensor(np.full((batch, 1), _NEG, dtype))
    pad2 = Tensor(np.full((batch, 2), _NEG, dtype))
    for t in range(1, steps):
        shift1 = concatenate([pad1, getitem(alpha, (slice(None), slice(None, -1)))], axis=1)
        shift2 = concatenate([pad2, getitem(alpha, (slice(None), slice(None, -2)))], axis=1)
        shift2 = m.where(skip, shift2, neg)
        emit = take_along_axis(getitem(log_probs, (slice(None), t)), extended, axis=-1)
        step = m.where(valid, m.add(_logsumexp3(alpha, shift1, shift2), emit), neg)
        # past a sample's output_length its alpha stays as it was
        alpha = m.where((t < output_length)[:, None], step, alpha)
        history.append(alpha)
    last = 2 * target_length
    ends = np.stack([last, np.maximum(last - 1, 0)], axis=1)
    final = take_along_axis(alpha, ends, axis=1)
    both = m.where(np.stack([np.ones(batch, bool), target_length > 0], 1), final, neg)
    return m.negative(m.logsumexp(both, axis=1))


def ctc_decode(inputs, sequence_lengths, strategy="greedy", beam_width=100, top_paths=1,
               merge_repeated=True, mask_index=0):
    """Greedy CTC decoding: best class per step, repeats merged, blanks removed and padded
    with -1 at the end; returns ((1, B, T) labels, (B, 1) negative summed best scores)."""
    if strategy != "greedy":
        raise NotImplementedError(f"Op `ctc_decode`: only strategy='greedy' is available in "
                                  f"numkeras, got {strategy!r}.")
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
