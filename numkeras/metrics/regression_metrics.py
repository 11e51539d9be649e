"""Regression, hinge and probabilistic metrics: running means of the loss functions' values.

They reuse `numkeras.losses`' functions (run on NumPy inputs, without a graph), so a metric
and the loss of the same name always agree.
"""

import warnings

import numpy as np

from numkeras import losses
from numkeras.losses.loss import squeeze_or_expand_to_same_rank
from numkeras.metrics.metric import Metric, as_result
from numkeras.metrics.reduction_metrics import Mean, MeanMetricWrapper, to_numpy

__all__ = [
    "MeanSquaredError",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError",
    "RootMeanSquaredError",
    "CosineSimilarity",
    "LogCoshError",
    "Hinge",
    "SquaredHinge",
    "CategoricalHinge",
    "KLDivergence",
    "Poisson",
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy",
    "R2Score",
    "cosine_similarity",
]


def cosine_similarity(y_true, y_pred, axis=-1):
    """The cosine of the angle between label and prediction: 1 when they point the same way."""
    return -to_numpy(losses.cosine_similarity(y_true, y_pred, axis=axis))


class MeanSquaredError(MeanMetricWrapper):
    """Running mean of squared errors."""

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(losses.mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    """Running mean of absolute errors."""

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(losses.mean_absolute_error, name=name, dtype=dtype)


class MeanAbsolutePercentageError(MeanMetricWrapper):
    """Running mean absolute percentage error."""

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(losses.mean_absolute_percentage_error, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(MeanMetricWrapper):
    """Running mean squared logarithmic error."""

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(losses.mean_squared_logarithmic_error, name=name, dtype=dtype)


class LogCoshError(MeanMetricWrapper):
    """Running mean of `log(cosh(y_pred - y_true))`."""

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(losses.log_cosh, name=name, dtype=dtype)


class Hinge(MeanMetricWrapper):
    """Running mean hinge loss."""

    def __init__(self, name="hinge", dtype=None):
        super().__init__(losses.hinge, name=name, dtype=dtype)


class SquaredHinge(MeanMetricWrapper):
    """Running mean squared hinge loss."""

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(losses.squared_hinge, name=name, dtype=dtype)


class CategoricalHinge(MeanMetricWrapper):
    """Running mean categorical hinge loss."""

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(losses.categorical_hinge, name=name, dtype=dtype)


class KLDivergence(MeanMetricWrapper):
    """Running mean Kullback-Leibler divergence."""

    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(losses.kl_divergence, name=name, dtype=dtype)


class Poisson(MeanMetricWrapper):
    """Running mean Poisson loss."""

    def __init__(self, name="poisson", dtype=None):
        super().__init__(losses.poisson, name=name, dtype=dtype)


class CosineSimilarity(MeanMetricWrapper):
    """Running mean cosine similarity along `axis` (1 when label and prediction align)."""

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(cosine_similarity, name=name, dtype=dtype, axis=axis)
        self.axis = axis


class BinaryCrossentropy(MeanMetricWrapper):
    """Running mean binary cross-entropy."""

    def __init__(
        self, name="binary_crossentropy", dtype=None, from_logits=False, label_smoothing=0.0
    ):
        super().__init__(
            losses.binary_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
        )
        self.from_logits, self.label_smoothing = from_logits, label_smoothing


class CategoricalCrossentropy(MeanMetricWrapper):
    """Running mean categorical cross-entropy."""

    def __init__(
        self,
        name="categorical_crossentropy",
        dtype=None,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
    ):
        super().__init__(
            losses.categorical_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """Running mean sparse categorical cross-entropy."""

    def __init__(
        self,
        name="sparse_categorical_crossentropy",
        dtype=None,
        from_logits=False,
        ignore_class=None,
        axis=-1,
    ):
        super().__init__(
            losses.sparse_categorical_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            ignore_class=ignore_class,
            axis=axis,
        )
        self.from_logits, self.ignore_class, self.axis = from_logits, ignore_class, axis


class RootMeanSquaredError(Mean):
    """`sqrt` of the running (weighted) mean of squared errors.

    >>> m = RootMeanSquaredError()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> m.result()
    0.5
    """

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = to_numpy(y_true, self.dtype), to_numpy(y_pred, self.dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        super().update_state(np.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self):
        return as_result(np.sqrt(np.float32(super().result())))


class R2Score(Metric):
    """The coefficient of determination, `1 - SS_res / SS_tot`, per output column.

    Args:
        class_aggregation: `"uniform_average"` (mean over columns),
            `"variance_weighted_average"` (weighted by each column's variance) or `None`
            (one score per column).
        num_regressors: `p` for the adjusted score `1 - (1 - r2)(n - 1)/(n - p - 1)`,
            where `n` counts every entry seen; 0 gives the plain score.

    >>> m = R2Score()
    >>> m.update_state([[1.0], [4.0], [3.0]], [[2.0], [4.0], [4.0]])
    >>> round(m.result(), 4)
    0.5714
    """

    _AGGREGATIONS = (None, "uniform_average", "variance_weighted_average")

    def __init__(
        self, class_aggregation="uniform_average", num_regressors=0, name="r2_score", dtype=None
    ):
        if class_aggregation not in self._AGGREGATIONS:
            raise ValueError(
                "Invalid value for argument `class_aggregation`. Expected one of "
                f"{self._AGGREGATIONS}. Received: class_aggregation={class_aggregation}"
            )
        if num_regressors < 0:
            raise ValueError(
                "Invalid value for argument `num_regressors`. Expected a value >= 0. "
                f"Received: num_regressors={num_regressors}"
            )
        super().__init__(name=name, dtype=dtype)
        self.class_aggregation, self.num_regressors = class_aggregation, num_regressors
        self.num_samples = self.add_variable((), name="num_samples")
        self._built = False

    def _build(self, true_shape, pred_shape):
        if len(pred_shape) != 2 or len(true_shape) != 2:
            raise ValueError(
                "R2Score expects 2D inputs with shape (batch_size, output_dim). Received "
                f"input shapes: y_pred.shape={pred_shape} and y_true.shape={true_shape}."
            )
        n = pred_shape[-1]
        self.squared_sum = self.add_variable((n,), name="squared_sum")
        self.sum = self.add_variable((n,), name="sum")
        self.total_mse = self.add_variable((n,), name="residual")
        self.count = self.add_variable((n,), name="count")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = to_numpy(y_true, self.dtype), to_numpy(y_pred, self.dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        weights = np.asarray(1 if sample_weight is None else to_numpy(sample_weight), self.dtype)
        if weights.ndim == 1:
            weights = weights[:, None]
        weights = np.broadcast_to(weights, y_true.shape)
        weighted = y_true * weights
        self.sum.assign(self.sum.data + weighted.sum(axis=0))
        self.squared_sum.assign(self.squared_sum.data + (y_true * weighted).sum(axis=0))
        self.total_mse.assign(
            self.total_mse.data + (np.square(y_true - y_pred) * weights).sum(axis=0)
        )
        self.count.assign(self.count.data + weights.sum(axis=0))
        self.num_samples.assign(self.num_samples.data + y_true.size)

    def result(self):
        if not self._built:
            return 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = self.sum.data / self.count.data
            total = self.squared_sum.data - self.sum.data * mean
            scores = 1 - self.total_mse.data / total
        scores = np.where(np.isinf(scores), 0.0, scores).astype(np.float32)
        if self.class_aggregation == "uniform_average":
            score = np.mean(scores)
        elif self.class_aggregation == "variance_weighted_average":
            score = np.sum(total * scores) / np.sum(total)
        else:
            score = scores
        n, p = float(self.num_samples.data), self.num_regressors
        if p and p >= n - 1:
            warnings.warn(
                "More independent predictors than datapoints in adjusted R2 score. Falling "
                "back to standard R2 score."
                if p > n - 1
                else "Division by zero in Adjusted R2 score. Falling back to standard R2 score.",
                stacklevel=2,
            )
        elif p:
            score = 1 - (1 - score) * (n - 1) / (n - p - 1)
        return as_result(np.asarray(score, np.float32))

    def get_config(self):
        return {
            **super().get_config(),
            "class_aggregation": self.class_aggregation,
            "num_regressors": self.num_regressors,
        }
