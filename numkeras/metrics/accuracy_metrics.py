"""Accuracy metrics: per-sample 0/1 matches in NumPy, averaged by `MeanMetricWrapper`."""

import numpy as np

from numkeras.losses.loss import squeeze_or_expand_to_same_rank
from numkeras.metrics.reduction_metrics import MeanMetricWrapper, to_numpy

__all__ = [
    "Accuracy",
    "BinaryAccuracy",
    "CategoricalAccuracy",
    "SparseCategoricalAccuracy",
    "TopKCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy",
    "accuracy",
    "binary_accuracy",
    "categorical_accuracy",
    "sparse_categorical_accuracy",
    "top_k_categorical_accuracy",
    "sparse_top_k_categorical_accuracy",
]

_F = np.float32


def accuracy(y_true, y_pred):
    """1 where `y_true == y_pred` exactly (for class ids, not probabilities)."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(to_numpy(y_true), to_numpy(y_pred))
    return (y_true == y_pred).astype(_F)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1 where `(y_pred > threshold)` equals the 0/1 label."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(to_numpy(y_true), to_numpy(y_pred))
    return (y_true == (y_pred > threshold)).astype(_F)


def categorical_accuracy(y_true, y_pred):
    """1 where the argmax of the one-hot label equals the argmax of the prediction."""
    y_true, y_pred = to_numpy(y_true), to_numpy(y_pred)
    return (np.argmax(y_true, -1) == np.argmax(y_pred, -1)).astype(_F)


def _sparse_labels(y_true, y_pred):
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    return y_true


def sparse_categorical_accuracy(y_true, y_pred):
    """1 where the integer label equals the argmax of the prediction."""
    y_true, y_pred = to_numpy(y_true), to_numpy(y_pred)
    return (_sparse_labels(y_true, y_pred) == np.argmax(y_pred, -1)).astype(_F)


def _in_top_k(labels, y_pred, k):
    """True where the label's score is at least the k-th largest (ties count as hits)."""
    target = np.take_along_axis(y_pred, labels.astype(np.intp)[..., None], axis=-1)
    return np.sum(y_pred > target, axis=-1) < k


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1 where the one-hot label's class is among the `k` highest predictions."""
    y_true, y_pred = to_numpy(y_true), to_numpy(y_pred)
    return _in_top_k(np.argmax(y_true, -1), y_pred, k).astype(_F)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """1 where the integer label is among the `k` highest predictions.

    With `from_sorted_ids=True`, `y_pred` holds class ids sorted by score, best first.
    """
    y_true, y_pred = to_numpy(y_true), to_numpy(y_pred)
    labels = _sparse_labels(y_true, y_pred)
    if from_sorted_ids:
        return np.any(labels[..., None] == y_pred[..., :k], axis=-1).astype(_F)
    return _in_top_k(labels, y_pred, k).astype(_F)


class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels exactly.

    >>> m = Accuracy()
    >>> m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    >>> m.result()
    0.75
    """

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name=name, dtype=dtype)


class BinaryAccuracy(MeanMetricWrapper):
    """How often `y_pred > threshold` matches the 0/1 label.

    >>> m = BinaryAccuracy()
    >>> m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
    >>> m.result()
    0.75
    """

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax of the prediction matches the argmax of the one-hot label.

    >>> m = CategoricalAccuracy()
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> m.result()
    0.5
    """

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax of the prediction equals the integer label.

    >>> m = SparseCategoricalAccuracy()
    >>> m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
    >>> m.result()
    0.5
    """

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label's class is in the top `k` predictions."""

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is in the top `k` predictions."""

    def __init__(
        self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None, from_sorted_ids=False
    ):
        kwargs = {"from_sorted_ids": True} if from_sorted_ids else {}
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k, **kwargs)
        self.k, self.from_sorted_ids = k, from_sorted_ids
