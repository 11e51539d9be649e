"""TruePositives, FalsePositives, TrueNegatives, FalseNegatives: weighted counts per threshold."""

from numkeras.metrics.confusion_metrics import (
    _thresholds,
    is_evenly_distributed,
    update_confusion_matrix,
)
from numkeras.metrics.metric import Metric, as_result

__all__ = ["TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives"]


class _ConditionCount(Metric):
    """The running weighted count of one confusion-matrix cell at each threshold."""

    _cell = None  # "tp", "fp", "tn" or "fn"

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = _thresholds(thresholds, 0.5)
        self._evenly = is_evenly_distributed(self.thresholds)
        self.accumulator = self.add_variable((len(self.thresholds),), name="accumulator")

    def update_state(self, y_true, y_pred, sample_weight=None):
        update_confusion_matrix(
            {self._cell: self.accumulator},
            y_true,
            y_pred,
            self.thresholds,
            self._evenly,
            sample_weight=sample_weight,
        )

    def result(self):
        value = self.accumulator.data
        return as_result(value[0] if len(self.thresholds) == 1 else value)

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_ConditionCount):
    """Weighted count of positive labels predicted above the threshold (0.5 by default).

    >>> m = TruePositives()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> m.result()
    2.0
    """

    _cell = "tp"


class FalsePositives(_ConditionCount):
    """Weighted count of negative labels predicted above the threshold."""

    _cell = "fp"


class TrueNegatives(_ConditionCount):
    """Weighted count of negative labels predicted at or below the threshold."""

    _cell = "tn"


class FalseNegatives(_ConditionCount):
    """Weighted count of positive labels predicted at or below the threshold."""

    _cell = "fn"
