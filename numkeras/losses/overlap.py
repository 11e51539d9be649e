"""Overlap losses for segmentation: Dice and Tversky, `1 - overlap / size` over `axis`."""

from numkeras import ops
from numkeras.backend import epsilon
from numkeras.losses.losses import LossFunctionWrapper, as_float_pair

__all__ = ["Dice", "Tversky", "dice", "tversky"]


def dice(y_true, y_pred, axis=None):
    """`1 - 2 sum(y_true * y_pred) / (sum(y_true) + sum(y_pred))` over `axis` (all by default).

    >>> round(float(dice([[1.0, 0.0]], [[1.0, 0.0]])), 4)
    0.0
    """
    y_true, y_pred = as_float_pair(y_true, y_pred)
    intersection = ops.sum(y_true * y_pred, axis=axis)
    size = ops.sum(y_true, axis=axis) + ops.sum(y_pred, axis=axis) + epsilon()
    return 1 - 2.0 * intersection / size


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """`1 - tp / (tp + alpha fp + beta fn)`, soft counts over `axis`; alpha = beta = 0.5 is Dice.

    Keras 3.15 counts `fp` as `sum((1 - y_pred) * y_true)` and `fn` as
    `sum(y_pred * (1 - y_true))`; we keep its convention so the values agree.
    """
    y_true, y_pred = as_float_pair(y_true, y_pred)
    tp = ops.sum(y_true * y_pred, axis=axis)
    fp = ops.sum((1 - y_pred) * y_true, axis=axis)
    fn = ops.sum(y_pred * (1 - y_true), axis=axis)
    return 1 - tp / (tp + fp * alpha + fn * beta + epsilon())


class Dice(LossFunctionWrapper):
    """The Dice loss; see `dice`. `axis=None` reduces everything to one value."""

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis=None, dtype=None):
        super().__init__(dice, reduction=reduction, name=name, dtype=dtype, axis=axis)
        self.axis = axis


class Tversky(LossFunctionWrapper):
    """The Tversky loss; see `tversky`."""

    def __init__(
        self,
        alpha=0.5,
        beta=0.5,
        reduction="sum_over_batch_size",
        name="tversky",
        axis=None,
        dtype=None,
    ):
        super().__init__(
            tversky, reduction=reduction, name=name, dtype=dtype, alpha=alpha, beta=beta, axis=axis
        )
        self.alpha, self.beta, self.axis = alpha, beta, axis
