"""Connectionist temporal classification: the per-sample loss and its gradient to the logits.

Graves et al. (2006). Each label sequence `l` of length L is extended with blanks to
`l' = (blank, l1, blank, l2, ..., blank)` of length S = 2L + 1. The forward variables
`alpha[t, s]` (log-probability of emitting the first t+1 frames and ending at `l'_s`) and the
backward ones `beta[t, s]` (log-probability of the remaining frames from there) are computed
in log space, vectorized over the batch and over s, with one loop over time.
"""

import numpy as np

from numkeras.engine.tensor import Tensor, as_array, as_tensor

NEG_INF = -np.inf


def _log_softmax(x):
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _logsumexp(*terms):
    stacked = np.stack(terms)
    peak = stacked.max(axis=0)
    safe = np.where(np.isfinite(peak), peak, 0)
    with np.errstate(divide="ignore"):
        return np.log(np.exp(stacked - safe).sum(axis=0)) + safe


def _shift(x, k, fill=NEG_INF):
    """`x[..., s - k]` at position s (k > 0) or `x[..., s + |k|]` (k < 0); `fill` off the end."""
    out = np.full_like(x, fill)
    if k > 0:
        out[..., k:] = x[..., :-k]
    else:
        out[..., :k] = x[..., -k:]
    return out


def _extended_labels(target, target_length, blank):
    """`l'` per sample, the mask of allowed skips `s-2 -> s`, and each sample's S."""
    B, L = target.shape
    ext = np.full((B, 2 * L + 1), blank, np.intp)
    ext[:, 1::2] = target
    skip = np.zeros(ext.shape, bool)
    skip[:, 3::2] = ext[:, 3::2] != ext[:, 1:-2:2]
    return ext, skip, 2 * target_length + 1


def ctc_forward_backward(logits, target, target_length, output_length, blank=0):
    """Per-sample `-log p(l | x)` and its gradient `d loss / d logits` (B, T, C)."""
    B, T, C = logits.shape
    log_probs = _log_softmax(logits.astype(np.float64))
    ext, skip, S = _extended_labels(target, target_length, blank)
    emit = np.take_along_axis(
        log_probs, np.broadcast_to(ext[:, None], (B, T, ext.shape[1])), axis=2
    )  # (B, T, 2L+1): log y_t(l'_s)
    rows = np.arange(B)
    alpha = np.full(emit.shape, NEG_INF)
    alpha[:, 0, 0] = emit[:, 0, 0]
    alpha[:, 0, 1] = np.where(S > 1, emit[:, 0, 1], NEG_INF)
    for t in range(1, T):
        prev = alpha[:, t - 1]
        from_skip = np.where(skip, _shift(prev, 2), NEG_INF)
        alpha[:, t] = _logsumexp(prev, _shift(prev, 1), from_skip) + emit[:, t]
    last = output_length - 1
    end = alpha[rows, last, S - 1]
    end_minus_one = np.where(S > 1, alpha[rows, last, np.maximum(S - 2, 0)], NEG_INF)
    log_likelihood = _logsumexp(end, end_minus_one)

    beta = np.full(emit.shape, NEG_INF)  # excludes the emission at t
    s_index = np.arange(ext.shape[1])
    finals = (s_index == (S - 1)[:, None]) | (s_index == (S - 2)[:, None])
    for t in range(T - 1, -1, -1):
        if t < T - 1:
            nxt = beta[:, t + 1] + emit[:, t + 1]
            into_skip = np.where(_shift(skip, -2, False), _shift(nxt, -2), NEG_INF)
            recurse = _logsumexp(nxt, _shift(nxt, -1), into_skip)
        else:
            recurse = np.full(beta[:, t].shape, NEG_INF)
        beta[:, t] = np.where(
            (t == last)[:, None],
            np.where(finals, 0.0, NEG_INF),
            np.where((t < last)[:, None], recurse, NEG_INF),
        )

    finite = np.isfinite(log_likelihood)
    with np.errstate(invalid="ignore"):
        posterior = np.exp(alpha + beta - np.where(finite, log_likelihood, 0)[:, None, None])
    onehot = np.zeros((B, ext.shape[1], C))
    onehot[rows[:, None], s_index[None, :], ext] = 1.0
    gamma = posterior @ onehot  # (B, T, C): expected occupancy of each class per frame
    frames = np.arange(T)[None, :, None] < output_length[:, None, None]
    grad = np.where(frames & finite[:, None, None], np.exp(log_probs) - gamma, 0.0)
    return -log_likelihood, grad


def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """Per-sample CTC loss for integer `target` (B, L) and unnormalized `output` (B, T, C).

    `output` holds logits (a log-softmax is applied over the classes); `mask_index` is the
    blank class. Impossible alignments give `inf`, with a zero gradient.
    """
    output = as_tensor(output)
    target = as_array(target).astype(np.intp)
    target_length = np.broadcast_to(as_array(target_length).astype(np.intp), target.shape[:1])
    output_length = np.broadcast_to(as_array(output_length).astype(np.intp), target.shape[:1])
    if output.ndim != 3 or target.ndim != 2 or output.shape[0] != target.shape[0]:
        raise ValueError(
            "ctc_loss expects `target` of shape (batch, max_label_length) and `output` of shape "
            f"(batch, max_time, num_classes); received {target.shape} and {output.shape}."
        )
    loss, grad = ctc_forward_backward(output.data, target, target_length, output_length, mask_index)
    dtype = output.dtype if output.dtype.startswith("float") else "float32"

    def vjp(g):
        return ((g[:, None, None] * grad).astype(dtype),)

    return Tensor(loss.astype(dtype), (output,), vjp, "ctc_loss")
