"""MonitorCallback: the shared "is this value an improvement?" logic of the monitoring callbacks.

EarlyStopping, ModelCheckpoint and ReduceLROnPlateau watch one entry of the epoch logs. In
`mode="auto"` the direction comes from the metric: `loss`/`val_loss` go down, and a compiled
metric of that name goes the way Keras's class of that name does (accuracy up, error down).
"""

import numbers
import operator

from numkeras.callbacks.callback import Callback, check_argument

# Keras 3 metric classes that set `_direction = "up"`; the other built-in metrics go down.
_UP = {
    "Accuracy",
    "BinaryAccuracy",
    "CategoricalAccuracy",
    "SparseCategoricalAccuracy",
    "TopKCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy",
    "AUC",
    "Precision",
    "Recall",
    "SensitivitySpecificityBase",
    "FBetaScore",
    "F1Score",
    "R2Score",
    "CosineSimilarity",
    "PearsonCorrelation",
    "ConcordanceCorrelation",
    "_IoUBase",
    "_PrecisionRecall",
}
_DOWN = {
    "MeanSquaredError",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError",
    "RootMeanSquaredError",
    "LogCoshError",
    "Hinge",
    "SquaredHinge",
    "CategoricalHinge",
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy",
    "KLDivergence",
    "Poisson",
}


def metric_direction(metric):
    """ "up", "down" or None for a metric object, as Keras's `_direction` attribute."""
    direction = getattr(metric, "_direction", None)
    if direction:
        return direction
    for cls in type(metric).__mro__:
        if cls.__name__ in _UP:
            return "up"
        if cls.__name__ in _DOWN:
            return "down"
    return None


def _compiled_metrics(model):
    found = []
    for metric in getattr(model, "metrics", None) or []:
        inner = getattr(metric, "metrics", None)
        if isinstance(inner, list):  # CompileMetrics holds (output index, metric) pairs
            found.extend(m[-1] if isinstance(m, tuple) else m for m in inner)
        else:
            found.append(metric)
    return found


class MonitorCallback(Callback):
    """Base class: compare `logs[monitor]` with the best value so far.

    Args:
        monitor: the logs key to watch, e.g. "val_loss" or "accuracy".
        mode: "min", "max", or "auto" (inferred from the metric; an unknown mode warns and
            falls back to "auto").
        baseline: the initial best value, or None to take the first value seen.
        min_delta: the smallest change that counts as an improvement.
    """

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        if mode not in ("auto", "min", "max"):  # Keras warns and falls back to "auto"
            raise ValueError(
                f"{type(self).__name__}: `mode` must be one of 'auto', 'min' or "
                f"'max', received mode={mode!r}."
            )
        if not isinstance(monitor, str):
            raise ValueError(
                f"{type(self).__name__}: `monitor` must be the name of a logged "
                f"metric such as 'val_loss', received monitor={monitor!r}."
            )
        check_argument(
            self,
            "min_delta",
            abs(min_delta) if isinstance(min_delta, numbers.Real) else min_delta,
            integer=False,
        )
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op = None

    def _set_monitor_op(self):
        if self.mode == "min":
            self.monitor_op = operator.lt
        elif self.mode == "max":
            self.monitor_op = operator.gt
        else:
            name = self.monitor.removeprefix("val_")
            if name == "loss":
                self.monitor_op = operator.lt
            for metric in _compiled_metrics(self.model):
                direction = metric_direction(metric)
                if getattr(metric, "name", None) == name and direction:
                    self.monitor_op = operator.gt if direction == "up" else operator.lt
            if self.monitor_op is None:
                raise ValueError(
                    f"{type(self).__name__} callback received monitor={self.monitor}, but "
                    "numkeras isn't able to automatically determine whether that metric should "
                    "be maximized or minimized. Pass `mode='max'` in order to monitor based on "
                    "the highest metric value, or pass `mode='min'` in order to use the "
                    "lowest value."
                )
        if self.monitor_op is operator.lt:
            self.min_delta = -abs(self.min_delta)

    def _is_improvement(self, monitor_value, reference_value):
        if reference_value is None:
            return True
        return bool(self.monitor_op(monitor_value - self.min_delta, reference_value))
