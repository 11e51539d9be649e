"""`Loss`, the base class of every loss, and the reduction rules it applies (Keras 3's)."""

import numpy as np

from numkeras import ops
from numkeras.backend import floatx
from numkeras.backend.naming import auto_name
from numkeras.engine import Tensor

__all__ = ["Loss", "reduce_weighted_values", "squeeze_or_expand_to_same_rank"]

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


class Loss:
    """Base class of losses: subclasses implement `call(y_true, y_pred)` -> per-sample values.

    Calling the loss converts both inputs to one float dtype, runs `call`, weights the values
    by `sample_weight` and reduces them to a scalar Tensor that is differentiable w.r.t. `y_pred`.

    Args:
        name: the loss's name; defaults to the snake-cased class name.
        reduction: `"sum_over_batch_size"` (default) and `"mean"` divide the weighted sum by the
            number of values; `"sum"` returns the weighted sum; `"mean_with_sample_weight"`
            divides it by the sum of the weights; `None` or `"none"` returns the weighted values.
        dtype: computation dtype. `None` keeps a float Tensor's dtype (so float64 gradient
            checks stay float64) and uses `floatx()` for anything else.

    >>> class L1(Loss):
    ...     def call(self, y_true, y_pred):
    ...         return ops.mean(ops.abs(y_pred - y_true), axis=-1)
    >>> float(L1()([[0.0, 1.0]], [[1.0, 1.0]]))
    0.5
    """

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or auto_name(type(self).__name__)
        self.reduction = standardize_reduction(reduction)
        self._dtype = dtype

    @property
    def dtype(self):
        """The computation dtype: the one given, else `floatx()` (float Tensors keep theirs)."""
        return self._dtype or floatx()

    def __call__(self, y_true, y_pred, sample_weight=None):
        in_mask = getattr(y_pred, "_keras_mask", None)  # a masked model output, as Keras
        dtype = self._dtype or _float_dtype(y_pred)
        y_pred = ops.convert_to_tensor(y_pred, dtype)
        y_true = ops.convert_to_tensor(y_true, dtype)
        values = ops.convert_to_tensor(self.call(y_true, y_pred))
        mask = getattr(values, "_keras_mask", None)
        if in_mask is not None:
            mask = in_mask if mask is None else ops.logical_and(in_mask, mask)
        return reduce_weighted_values(values, sample_weight, mask, self.reduction)

    def call(self, y_true, y_pred):
        raise NotImplementedError(f"{type(self).__name__} must implement `call(y_true, y_pred)`.")

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


def _float_dtype(x):
    dtype = str(getattr(x, "dtype", ""))
    return dtype if isinstance(x, Tensor) and dtype.startswith("float") else floatx()


def standardize_reduction(reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"Invalid value for argument `reduction`: {reduction!r}. Expected one of {REDUCTIONS}."
        )
    return reduction


def _squeeze(x):
    return ops.squeeze(x, -1) if isinstance(x, Tensor) else np.squeeze(x, -1)


def _expand(x):
    return ops.expand_dims(x, -1) if isinstance(x, Tensor) else np.expand_dims(x, -1)


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Make ranks equal when they differ by one trailing axis of size 1 (Keras's rule).

    Works on Tensors (differentiably) and on NumPy arrays.

    >>> [a.shape for a in squeeze_or_expand_to_same_rank(np.zeros(4), np.zeros((4, 1)))]
    [(4, 1), (4, 1)]
    >>> [a.shape for a in squeeze_or_expand_to_same_rank(np.zeros((4, 3)), np.zeros((4, 3, 1)))]
    [(4, 3), (4, 3)]
    """
    r1, r2 = len(x1.shape), len(x2.shape)
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = _expand(x2)
        else:
            x1 = _squeeze(x1)
    elif r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = _expand(x1)
        else:
            x2 = _squeeze(x2)
    return x1, x2


def apply_mask(sample_weight, mask, dtype, reduction):
    """Fold a boolean mask into the sample weights.

    For the mean reductions, valid entries get weight `total / valid` so that dividing by the
    full count averages over the valid entries only.
    """
    if mask is None:
        return sample_weight
    mask = np.asarray(ops.convert_to_numpy(mask), bool)
    if reduction in ("mean", "sum_over_batch_size"):
        valid = mask.sum()
        weight = np.where(mask, mask.size / valid if valid else 0.0, 0.0).astype(dtype)
    else:
        weight = mask.astype(dtype)
    if sample_weight is None:
        return weight
    weight, sample_weight = squeeze_or_expand_to_same_rank(weight, np.asarray(sample_weight, dtype))
    return sample_weight * weight


def reduce_weighted_values(values, sample_weight=None, mask=None, reduction="sum_over_batch_size"):
    """Weight per-sample `values` (a Tensor) and reduce them as `reduction` says."""
    reduction = standardize_reduction(reduction)
    dtype = values.dtype
    if sample_weight is not None:
        sample_weight = ops.convert_to_numpy(sample_weight).astype(dtype)
    sample_weight = apply_mask(sample_weight, mask, dtype, reduction)
    if sample_weight is not None:
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        if sample_weight.ndim < values.ndim:  # (N,) weights for (N, T) values weight each row
            sample_weight = sample_weight.reshape(
                sample_weight.shape + (1,) * (values.ndim - sample_weight.ndim)
            )
        values = values * sample_weight
    if reduction in (None, "none") or values.ndim == 0:
        return values
    loss = ops.sum(values)
    if reduction == "sum":
        return loss
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        divisor = float(np.sum(sample_weight))
    else:
        divisor = values.size
    return loss / divisor if divisor else loss * 0.0
