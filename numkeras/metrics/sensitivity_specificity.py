"""One rate at the best threshold that keeps another above a target: Keras's `*At*` metrics.

All four count tp/fp/tn/fn at `num_thresholds` evenly spaced thresholds in [0, 1], then
return the largest value of one rate among the thresholds where the other rate is at least
the target (0 when none is).
"""

import numpy as np

from numkeras.metrics.confusion_metrics import update_confusion_matrix
from numkeras.metrics.metric import Metric, as_result, divide_no_nan

__all__ = [
    "SensitivityAtSpecificity",
    "SpecificityAtSensitivity",
    "PrecisionAtRecall",
    "RecallAtPrecision",
]


class _SensitivitySpecificityBase(Metric):
    """Counts at every threshold; subclasses name the constrained and the returned rate."""

    _target = None  # the constructor argument holding the target value

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        if not 0 <= value <= 1:
            raise ValueError(
                f"Argument `{self._target}` must be in the range [0, 1]. "
                f"Received: {self._target}={value}"
            )
        if num_thresholds <= 0:
            raise ValueError(
                "Argument `num_thresholds` must be an integer > 0. "
                f"Received: num_thresholds={num_thresholds}"
            )
        super().__init__(name=name, dtype=dtype)
        self.value, self.num_thresholds, self.class_id = value, num_thresholds, class_id
        setattr(self, self._target, value)
        if num_thresholds == 1:
            self.thresholds, self._evenly = [0.5], False
        else:
            self.thresholds = [i / (num_thresholds - 1) for i in range(num_thresholds)]
            self._evenly = True
        shape = (len(self.thresholds),)
        self.true_positives = self.add_variable(shape, name="true_positives")
        self.false_positives = self.add_variable(shape, name="false_positives")
        self.true_negatives = self.add_variable(shape, name="true_negatives")
        self.false_negatives = self.add_variable(shape, name="false_negatives")

    def update_state(self, y_true, y_pred, sample_weight=None):
        update_confusion_matrix(
            {
                "tp": self.true_positives,
                "fp": self.false_positives,
                "tn": self.true_negatives,
                "fn": self.false_negatives,
            },
            y_true,
            y_pred,
            self.thresholds,
            self._evenly,
            class_id=self.class_id,
            sample_weight=sample_weight,
        )

    def _rates(self):
        tp, fp, tn, fn = (
            v.data
            for v in (
                self.true_positives,
                self.false_positives,
                self.true_negatives,
                self.false_negatives,
            )
        )
        rates = {
            "sensitivity": divide_no_nan(tp, tp + fn),
            "specificity": divide_no_nan(tn, tn + fp),
            "precision": divide_no_nan(tp, tp + fp),
        }
        return {k: v.astype(np.float32) for k, v in rates.items()}  # compared as Keras does

    def _best(self, constrained, dependent):
        rates = self._rates()
        feasible = rates[constrained] >= self.value
        return as_result(np.float32(np.max(np.where(feasible, rates[dependent], 0), initial=0)))

    def get_config(self):
        return {
            **super().get_config(),
            "class_id": self.class_id,
            "num_thresholds": self.num_thresholds,
            self._target: self.value,
        }


class SensitivityAtSpecificity(_SensitivitySpecificityBase):
    """The best sensitivity (recall) at thresholds whose specificity is at least `specificity`.

    >>> m = SensitivityAtSpecificity(0.5)
    >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    >>> m.result()
    0.5
    """

    _target = "specificity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds, class_id, name, dtype)

    def result(self):
        return self._best("specificity", "sensitivity")


class SpecificityAtSensitivity(_SensitivitySpecificityBase):
    """The best specificity at thresholds whose sensitivity is at least `sensitivity`."""

    _target = "sensitivity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)

    def result(self):
        return self._best("sensitivity", "specificity")


class PrecisionAtRecall(_SensitivitySpecificityBase):
    """The best precision at thresholds whose recall is at least `recall`."""

    _target = "recall"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds, class_id, name, dtype)

    def result(self):
        return self._best("sensitivity", "precision")


class RecallAtPrecision(_SensitivitySpecificityBase):
    """The best recall at thresholds whose precision is at least `precision`."""

    _target = "precision"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds, class_id, name, dtype)

    def result(self):
        return self._best("precision", "sensitivity")
