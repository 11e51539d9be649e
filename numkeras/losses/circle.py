"""The Circle loss (Sun et al., 2020) for metric learning on L2-normalized embeddings."""

import numpy as np

from numkeras import ops
from numkeras.losses.losses import LossFunctionWrapper

__all__ = ["Circle", "circle"]

_MASKED = -1e30  # stands for -inf in the masked logsumexp, and keeps its gradient finite


def _pair_masks(query_labels, key_labels, remove_diagonal):
    """Same-label pairs (less the diagonal when asked) and different-label pairs."""
    positive = query_labels.reshape(-1, 1) == key_labels.reshape(1, -1)
    negative = ~positive
    if remove_diagonal:
        positive &= ~np.eye(*positive.shape, dtype=bool)
    return positive, negative


def circle(
    y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True, gamma=80, margin=0.4
):
    """Per-sample Circle loss of `y_pred` embeddings `(batch, dim)` with integer labels.

    Pairs are scored by cosine distance `d = max(1 - x . y, 0)`; same-label pairs are pushed
    below `margin`, others above `1 - margin`, each weighted by how far it is from its
    optimum. Samples without any pair get 0 and are masked out of the mean, as in Keras.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    labels = np.asarray(ops.convert_to_numpy(y_true)).astype(np.int32)
    refs = y_pred if ref_embeddings is None else ops.convert_to_tensor(ref_embeddings)
    ref_labels = (
        labels
        if ref_labels is None
        else np.asarray(ops.convert_to_numpy(ref_labels)).astype(np.int32)
    )
    distances = ops.maximum(1 - ops.matmul(y_pred, ops.transpose(refs)), 0.0)
    positive, negative = _pair_masks(labels, ref_labels, remove_diagonal)
    dtype = y_pred.dtype
    pos_weights = ops.maximum((margin + distances) * positive.astype(dtype), 0.0)
    neg_weights = ops.maximum((1 + margin - distances) * negative.astype(dtype), 0.0)
    pos_logits = -gamma * pos_weights * (margin - distances)
    neg_logits = gamma * neg_weights * ((1 - margin) - distances)
    p_loss = ops.logsumexp(ops.where(positive, pos_logits, _MASKED), axis=1)
    n_loss = ops.logsumexp(ops.where(negative, neg_logits, _MASKED), axis=1)
    values = ops.softplus(p_loss + n_loss)
    values._keras_mask = ops.convert_to_numpy(values) > 0
    return values


class Circle(LossFunctionWrapper):
    """The Circle loss; see `circle`. `y_true` holds integer labels, `y_pred` embeddings."""

    def __init__(
        self,
        gamma=80.0,
        margin=0.4,
        remove_diagonal=True,
        reduction="sum_over_batch_size",
        name="circle",
        dtype=None,
    ):
        super().__init__(
            circle,
            reduction=reduction,
            name=name,
            dtype=dtype,
            gamma=gamma,
            margin=margin,
            remove_diagonal=remove_diagonal,
        )
        self.gamma, self.margin, self.remove_diagonal = gamma, margin, remove_diagonal
