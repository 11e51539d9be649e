"""F-beta and F1 scores: per-class true/false positive counts accumulated in NumPy."""

import numpy as np

from numkeras.backend import epsilon
from numkeras.metrics.metric import Metric, as_result
from numkeras.metrics.reduction_metrics import to_numpy

__all__ = ["F1Score", "FBetaScore"]


class FBetaScore(Metric):
    """F-beta score, `(1 + b^2) * P * R / (b^2 * P + R)`, for multi-class or multi-label data.

    `y_true` and `y_pred` are `(batch, classes)`. With `threshold=None` the highest score in
    each row is the positive prediction; otherwise scores above `threshold` are. `average` is
    None (one score per class), "micro", "macro" or "weighted".
    """

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(
                "Invalid `average` argument value. Expected one of: {None, 'micro', 'macro', "
                f"'weighted'}}. Received: average={average}"
            )
        if not isinstance(beta, float) or beta <= 0:
            raise ValueError(f"`beta` must be a Python float > 0, got {beta!r}.")
        if threshold is not None and (not isinstance(threshold, float) or not 0 < threshold <= 1):
            raise ValueError(f"`threshold` must be a Python float in (0, 1], got {threshold!r}.")
        self.average, self.beta, self.threshold = average, beta, threshold
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, y_true_shape, y_pred_shape):
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(
                f"{type(self).__name__} expects 2D inputs with shape (batch_size, output_dim). "
                f"Received input shapes: y_pred.shape={y_pred_shape} and "
                f"y_true.shape={y_true_shape}."
            )
        shape = () if self.average == "micro" else (y_pred_shape[-1],)
        self.true_positives = self.add_variable(shape, name="true_positives")
        self.false_positives = self.add_variable(shape, name="false_positives")
        self.false_negatives = self.add_variable(shape, name="false_negatives")
        self.intermediate_weights = self.add_variable(shape, name="intermediate_weights")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = to_numpy(y_true, self.dtype), to_numpy(y_pred, self.dtype)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        if self.threshold is None:
            predicted = (y_pred >= y_pred.max(axis=-1, keepdims=True)) & (np.abs(y_pred) > 1e-9)
        else:
            predicted = y_pred > self.threshold
        predicted = predicted.astype(self.dtype)
        weight = 1 if sample_weight is None else to_numpy(sample_weight, self.dtype)[:, None]

        def total(value):
            return np.sum(value * weight, axis=self.axis)

        for variable, value in (
            (self.true_positives, predicted * y_true),
            (self.false_positives, predicted * (1 - y_true)),
            (self.false_negatives, (1 - predicted) * y_true),
            (self.intermediate_weights, y_true),
        ):
            variable.assign(variable.data + total(value))

    def result(self):
        if not self._built:
            return 0.0
        eps = epsilon()
        tp, fp, fn = self.true_positives.data, self.false_positives.data, self.false_negatives.data
        precision, recall = tp / (tp + fp + eps), tp / (tp + fn + eps)
        b2 = self.beta**2
        score = (1 + b2) * precision * recall / (b2 * precision + recall + eps)
        if self.average == "weighted":
            weights = self.intermediate_weights.data
            score = np.sum(score * weights / (np.sum(weights) + eps))
        elif self.average is not None:
            score = np.mean(score)
        return as_result(np.asarray(score, self.dtype))

    def get_config(self):
        return {
            **super().get_config(),
            "average": self.average,
            "beta": self.beta,
            "threshold": self.threshold,
        }


class F1Score(FBetaScore):
    """F1 score, the harmonic mean of precision and recall; see `FBetaScore`.

    >>> import numpy as np
    >>> m = F1Score(threshold=0.5)
    >>> m.update_state(np.array([[1, 1, 1], [1, 0, 0], [1, 1, 0]]),
    ...                np.array([[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]]))
    >>> m.result().round(4)
    array([0.5   , 0.8   , 0.6667], dtype=float32)
    """

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config
