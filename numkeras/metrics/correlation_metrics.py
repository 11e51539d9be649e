"""Pearson and concordance correlation: per-sample coefficients along `axis`, averaged."""

import numpy as np

from numkeras.backend import epsilon
from numkeras.losses.loss import squeeze_or_expand_to_same_rank
from numkeras.metrics.reduction_metrics import MeanMetricWrapper, to_numpy

__all__ = [
    "PearsonCorrelation",
    "ConcordanceCorrelation",
    "pearson_correlation",
    "concordance_correlation",
]


def _pair(y_true, y_pred):
    y_pred = to_numpy(y_pred)
    if not np.issubdtype(y_pred.dtype, np.floating):
        y_pred = y_pred.astype(np.float32)
    return squeeze_or_expand_to_same_rank(to_numpy(y_true, y_pred.dtype), y_pred)


def pearson_correlation(y_true, y_pred, axis=-1):
    """Pearson's r between `y_true` and `y_pred` along `axis` (from -1 to 1).

    >>> np.round(pearson_correlation([[0.0, 1.0, 2.0]], [[0.0, 2.0, 4.0]]), 4).tolist()
    [1.0]
    """
    y_true, y_pred = _pair(y_true, y_pred)
    t = y_true - y_true.mean(axis=axis, keepdims=True)
    p = y_pred - y_pred.mean(axis=axis, keepdims=True)
    t = t / t.std(axis=axis, keepdims=True)
    p = p / p.std(axis=axis, keepdims=True)
    return np.mean(t * p, axis=axis)


def concordance_correlation(y_true, y_pred, axis=-1):
    """Lin's concordance coefficient along `axis`, written as Keras 3.15 computes it.

    Keras centres `y_true` on the mean of `y_pred` in the covariance term (so the value
    drops when the two means differ); we keep that so the metric matches Keras's.
    """
    y_true, y_pred = _pair(y_true, y_pred)
    true_mean = y_true.mean(axis=axis, keepdims=True)
    pred_mean = y_pred.mean(axis=axis, keepdims=True)
    true_var = (y_true - true_mean).var(axis=axis, keepdims=True)
    pred_var = (y_pred - pred_mean).var(axis=axis, keepdims=True)
    covar = (y_true - pred_mean) * (y_pred - pred_mean)
    norm = true_var + pred_var + np.square(true_mean - pred_mean)
    return np.mean(2 * covar / (norm + epsilon()), axis=axis)


class PearsonCorrelation(MeanMetricWrapper):
    """Running mean of the per-sample Pearson correlation along `axis`."""

    def __init__(self, name="pearson_correlation", dtype=None, axis=-1):
        super().__init__(pearson_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis


class ConcordanceCorrelation(MeanMetricWrapper):
    """Running mean of the per-sample concordance correlation along `axis`."""

    def __init__(self, name="concordance_correlation", dtype=None, axis=-1):
        super().__init__(concordance_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis
