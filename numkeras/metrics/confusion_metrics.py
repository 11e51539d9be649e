"""Confusion-matrix metrics over thresholds: Precision, Recall and AUC.

Counts at every threshold come from one histogram per batch: each prediction is binned by
how many thresholds it exceeds (`np.searchsorted`, or Keras's bucket formula for evenly
spaced thresholds), then a reversed cumulative sum gives the count above each threshold.
No Python loop runs over samples or thresholds.
"""

import numpy as np

from numkeras.backend import epsilon
from numkeras.losses.loss import squeeze_or_expand_to_same_rank
from numkeras.metrics.metric import Metric, as_result, divide_no_nan
from numkeras.metrics.reduction_metrics import to_numpy

__all__ = ["AUC", "Precision", "Recall", "update_confusion_matrix"]

NEG_INF = -1e10


def _thresholds(thresholds, default):
    if thresholds is None:
        return [default]
    values = [float(t) for t in np.ravel(thresholds)]
    bad = [t for t in values if not 0 <= t <= 1]
    if bad:
        raise ValueError(f"Threshold values must be in [0, 1], got {bad}.")
    return values


def is_evenly_distributed(thresholds):
    """True for `[0, 1/(n-1), ..., 1]` with n >= 3 (which allows the bucket formula)."""
    n = len(thresholds)
    return n >= 3 and np.allclose(thresholds, np.arange(n) / (n - 1), atol=epsilon())


def _filter_top_k(x, k):
    """Keep the `k` largest values on the last axis; set the others to -1e10."""
    top = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    keep = np.zeros(x.shape, bool)
    np.put_along_axis(keep, top, True, axis=-1)
    return np.where(keep, x, np.float32(NEG_INF))


def _exceeded(y_pred, thresholds, evenly):
    """How many thresholds each prediction is strictly greater than (thresholds ascending)."""
    n = len(thresholds)
    if evenly:  # Keras's buckets: (i/(n-1), (i+1)/(n-1)] -> i, computed in float32
        bucket = np.ceil(np.clip(y_pred, 0, 1) * np.float32(n - 1)) - 1
        if thresholds[0] < 0 or thresholds[-1] > 1:
            bucket = np.maximum(bucket, 0)
        return bucket.astype(np.intp) + 1
    return np.searchsorted(np.asarray(thresholds, y_pred.dtype), y_pred, side="left")


def _count_above(exceeded, weights, num_thresholds):
    """`out[t, l]`: total weight of column `l`'s predictions above threshold `t`."""
    labels = exceeded.shape[1]
    index = exceeded * labels + np.arange(labels)
    hist = np.bincount(index.ravel(), weights.ravel(), minlength=(num_thresholds + 1) * labels)
    hist = hist.reshape(num_thresholds + 1, labels)
    return np.cumsum(hist[::-1], axis=0)[::-1][1:]


def update_confusion_matrix(
    variables,
    y_true,
    y_pred,
    thresholds,
    evenly=False,
    top_k=None,
    class_id=None,
    sample_weight=None,
    multi_label=False,
    label_weights=None,
):
    """Add this batch's weighted counts to `variables`, a dict with keys among tp, fp, tn, fn.

    A prediction counts as positive at threshold `t` when `y_pred > t`; any nonzero label is
    positive. Without `multi_label` all entries are pooled; with it, `y_pred` is
    `(batch, labels)` and the counts have shape `(thresholds, labels)`.
    """
    y_true, y_pred = to_numpy(y_true, np.float32), to_numpy(y_pred, np.float32)
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    weights = np.ones(y_pred.shape, np.float32)
    if sample_weight is not None:
        sample_weight = np.expand_dims(to_numpy(sample_weight, np.float32), -1)
        _, sample_weight = squeeze_or_expand_to_same_rank(y_true, sample_weight, False)
        weights = weights * sample_weight
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim == 1:
            raise ValueError(
                "When class_id is given, y_pred must have shape (num_samples, num_classes), "
                f"got {y_pred.shape}."
            )
        y_true, y_pred = y_true[..., class_id, None], y_pred[..., class_id, None]
        weights = weights[..., class_id, None]
    if label_weights is not None:
        weights = weights * np.asarray(label_weights, np.float32)
    columns = y_pred.shape[-1] if multi_label else 1
    y_pred, weights = y_pred.reshape(-1, columns), weights.reshape(-1, columns)
    positive = y_true.reshape(-1, columns) != 0
    true_w, false_w = np.where(positive, weights, 0), np.where(positive, 0, weights)

    order = np.argsort(thresholds, kind="stable")
    exceeded = _exceeded(y_pred, np.asarray(thresholds)[order], evenly)
    counts = {}
    for key, w in (("tp", true_w), ("fp", false_w)):
        sorted_counts = _count_above(exceeded, w, len(thresholds))
        counts[key] = np.empty_like(sorted_counts)
        counts[key][order] = sorted_counts
    counts["fn"] = true_w.sum(axis=0) - counts["tp"]
    counts["tn"] = false_w.sum(axis=0) - counts["fp"]
    for key, variable in variables.items():
        value = counts[key] if multi_label else counts[key][:, 0]
        variable.assign(variable.data + value.astype(variable.dtype))


class _PrecisionRecall(Metric):
    """Precision or Recall at one or more thresholds, or over the top-k predictions."""

    _second = None  # "fp" for precision, "fn" for recall

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds, self.top_k, self.class_id = thresholds, top_k, class_id
        self.thresholds = _thresholds(thresholds, 0.5 if top_k is None else NEG_INF)
        self._evenly = is_evenly_distributed(self.thresholds)
        n = len(self.thresholds)
        self.true_positives = self.add_variable((n,), name="true_positives")
        other = {"fp": "false_positives", "fn": "false_negatives"}[self._second]
        self._other = self.add_variable((n,), name=other)

    def update_state(self, y_true, y_pred, sample_weight=None):
        update_confusion_matrix(
            {"tp": self.true_positives, self._second: self._other},
            y_true,
            y_pred,
            self.thresholds,
            self._evenly,
            self.top_k,
            self.class_id,
            sample_weight,
        )

    def result(self):
        tp = self.true_positives.data
        value = divide_no_nan(tp, tp + self._other.data).astype(self.dtype)
        return as_result(value[0] if len(self.thresholds) == 1 else value)

    def get_config(self):
        return {
            **super().get_config(),
            "thresholds": self.init_thresholds,
            "top_k": self.top_k,
            "class_id": self.class_id,
        }


class Precision(_PrecisionRecall):
    """`tp / (tp + fp)`: the fraction of positive predictions that are right.

    A prediction is positive when it exceeds `thresholds` (0.5 by default; a list gives one
    result per threshold), or with `top_k`, when it is among the k largest of its row.
    `class_id` restricts the metric to one column.

    >>> m = Precision()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> round(m.result(), 4)
    0.6667
    """

    _second = "fp"

    @property
    def false_positives(self):
        return self._other


class Recall(_PrecisionRecall):
    """`tp / (tp + fn)`: the fraction of positive labels that are found.

    >>> m = Recall()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> round(m.result(), 4)
    0.6667
    """

    _second = "fn"

    @property
    def false_negatives(self):
        return self._other


class AUC(Metric):
    """Area under the ROC or precision-recall curve, approximated over `num_thresholds`.

    Keras's algorithm: counts at `num_thresholds` evenly spaced thresholds (plus `-eps` and
    `1 + eps` at the ends), then a Riemann sum; `summation_method="interpolation"` uses the
    trapezoid rule for ROC and Davis & Goadrich's interpolation for PR.

    >>> m = AUC(num_thresholds=3)
    >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    >>> round(m.result(), 4)
    0.75
    """

    def __init__(
        self,
        num_thresholds=200,
        curve="ROC",
        summation_method="interpolation",
        name=None,
        dtype=None,
        thresholds=None,
        multi_label=False,
        num_labels=None,
        label_weights=None,
        from_logits=False,
    ):
        self.curve = str(curve).upper()
        if self.curve not in ("ROC", "PR"):
            raise ValueError(f'Invalid AUC curve value: "{curve}". Expected "ROC" or "PR".')
        self.summation_method = str(summation_method).lower()
        if self.summation_method not in ("interpolation", "majoring", "minoring"):
            raise ValueError(
                f'Invalid AUC summation method value: "{summation_method}". Expected '
                '"interpolation", "majoring" or "minoring".'
            )
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(_thresholds(thresholds, None))
            self._evenly = is_evenly_distributed([0.0] + inner + [1.0])
        else:
            if num_thresholds <= 1:
                raise ValueError(f"`num_thresholds` must be > 1, got {num_thresholds}.")
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._evenly = True
        self.num_thresholds = len(inner) + 2
        self._thresholds = [0.0 - epsilon()] + inner + [1.0 + epsilon()]
        super().__init__(name=name, dtype=dtype)
        self.multi_label, self.num_labels, self._from_logits = multi_label, num_labels, from_logits
        self.label_weights = (
            None if label_weights is None else [float(w) for w in np.ravel(label_weights)]
        )
        if num_labels and not multi_label:
            raise ValueError("`num_labels` is needed only when `multi_label` is True.")
        self._built = False
        if not multi_label or num_labels:
            self._build(num_labels)

    @property
    def thresholds(self):
        return list(self._thresholds)

    def _build(self, num_labels):
        shape = (self.num_thresholds, num_labels) if self.multi_label else (self.num_thresholds,)
        self.true_positives = self.add_variable(shape, name="true_positives")
        self.false_positives = self.add_variable(shape, name="false_positives")
        self.true_negatives = self.add_variable(shape, name="true_negatives")
        self.false_negatives = self.add_variable(shape, name="false_negatives")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = to_numpy(y_pred, np.float32)
        if not self._built:
            if y_pred.ndim != 2:
                raise ValueError(
                    f"AUC(multi_label=True) needs y_pred of rank 2, got shape {y_pred.shape}."
                )
            self._build(y_pred.shape[1])
        if self._from_logits:
            y_pred = (0.5 * (1 + np.tanh(0.5 * y_pred))).astype(np.float32)  # stable sigmoid
        update_confusion_matrix(
            {
                "tp": self.true_positives,
                "fp": self.false_positives,
                "tn": self.true_negatives,
                "fn": self.false_negatives,
            },
            y_true,
            y_pred,
            self._thresholds,
            self._evenly,
            sample_weight=sample_weight,
            multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights,
        )

    def _average(self, per_threshold):
        if not self.multi_label:
            return np.sum(per_threshold)
        by_label = np.sum(per_threshold, axis=0)
        if self.label_weights is None:
            return np.mean(by_label)
        weights = np.asarray(self.label_weights, np.float64)
        return divide_no_nan(np.sum(by_label * weights), np.sum(weights))

    def _interpolate_pr_auc(self, tp, fp, fn):
        """Davis & Goadrich (2006): precision interpolated between thresholds."""
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = divide_no_nan(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        ratio = np.where(both, divide_no_nan(p[:-1], np.maximum(p[1:], 0)), 1.0)
        area = slope * (dtp + intercept * np.log(ratio))
        return divide_no_nan(area, np.maximum(tp[1:] + fn[1:], 0))

    def result(self):
        if not self._built:
            return 0.0
        tp, fp, tn, fn = (
            v.data.astype(np.float64)
            for v in (
                self.true_positives,
                self.false_positives,
                self.true_negatives,
                self.false_negatives,
            )
        )
        if self.curve == "PR" and self.summation_method == "interpolation":
            return as_result(np.float32(self._average(self._interpolate_pr_auc(tp, fp, fn))))
        recall = divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = divide_no_nan(fp, fp + tn), recall
        else:
            x, y = recall, divide_no_nan(tp, tp + fp)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2
        elif self.summation_method == "minoring":
            heights = np.minimum(y[:-1], y[1:])
        else:
            heights = np.maximum(y[:-1], y[1:])
        return as_result(np.float32(self._average((x[:-1] - x[1:]) * heights)))

    def reset_state(self):
        if self._built:
            super().reset_state()

    def get_config(self):
        config = {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": self.label_weights,
            "from_logits": self._from_logits,
        }
        if self._init_from_thresholds:
            config["thresholds"] = self._thresholds[1:-1]
        return config
