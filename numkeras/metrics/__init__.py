"""`numkeras.metrics`: Keras 3's metrics, computed in NumPy, and the rules that pick them.

>>> get("categorical_accuracy")
<CategoricalAccuracy name=categorical_accuracy>
>>> m = resolve_metric("accuracy", y_true=(128, 10), y_pred=(128, 10))
>>> type(m).__name__, m.name
('CategoricalAccuracy', 'accuracy')
"""

import inspect

import numpy as np

from numkeras.losses import (
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    categorical_hinge,
    hinge,
    huber,
    kl_divergence,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
)
from numkeras.metrics.accuracy_metrics import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from numkeras.metrics.confusion_counts import (
    FalseNegatives,
    FalsePositives,
    TrueNegatives,
    TruePositives,
)
from numkeras.metrics.confusion_metrics import AUC, Precision, Recall
from numkeras.metrics.correlation_metrics import (
    ConcordanceCorrelation,
    PearsonCorrelation,
    concordance_correlation,
    pearson_correlation,
)
from numkeras.metrics.f_score_metrics import F1Score, FBetaScore
from numkeras.metrics.iou_metrics import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from numkeras.metrics.metric import Metric
from numkeras.metrics.reduction_metrics import Mean, MeanMetricWrapper, Sum
from numkeras.metrics.regression_metrics import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    CategoricalHinge,
    CosineSimilarity,
    Hinge,
    KLDivergence,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
    R2Score,
    RootMeanSquaredError,
    SparseCategoricalCrossentropy,
    SquaredHinge,
)
from numkeras.metrics.sensitivity_specificity import (
    PrecisionAtRecall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
)

__all__ = [
    "Metric",
    "Mean",
    "Sum",
    "MeanMetricWrapper",
    "Accuracy",
    "BinaryAccuracy",
    "CategoricalAccuracy",
    "SparseCategoricalAccuracy",
    "TopKCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy",
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
    "Precision",
    "Recall",
    "AUC",
    "F1Score",
    "FBetaScore",
    "accuracy",
    "binary_accuracy",
    "categorical_accuracy",
    "sparse_categorical_accuracy",
    "top_k_categorical_accuracy",
    "sparse_top_k_categorical_accuracy",
    "get",
    "serialize",
    "deserialize",
    "resolve_metric",
    "IoU",
    "BinaryIoU",
    "MeanIoU",
    "OneHotIoU",
    "OneHotMeanIoU",
    "R2Score",
    "TruePositives",
    "FalsePositives",
    "TrueNegatives",
    "FalseNegatives",
    "SensitivityAtSpecificity",
    "SpecificityAtSensitivity",
    "PrecisionAtRecall",
    "RecallAtPrecision",
    "PearsonCorrelation",
    "ConcordanceCorrelation",
    "pearson_correlation",
    "concordance_correlation",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_hinge",
    "hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "poisson",
    "sparse_categorical_crossentropy",
    "squared_hinge",
]

_CLASSES = [
    Metric,
    Mean,
    Sum,
    MeanMetricWrapper,
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    TopKCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    MeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    RootMeanSquaredError,
    CosineSimilarity,
    LogCoshError,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    KLDivergence,
    Poisson,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    Precision,
    Recall,
    AUC,
    F1Score,
    FBetaScore,
    IoU,
    BinaryIoU,
    MeanIoU,
    OneHotIoU,
    OneHotMeanIoU,
    R2Score,
    TruePositives,
    FalsePositives,
    TrueNegatives,
    FalseNegatives,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
    PrecisionAtRecall,
    RecallAtPrecision,
    PearsonCorrelation,
    ConcordanceCorrelation,
]
_ABSTRACT = {"Metric", "MeanMetricWrapper"}


def _snake(name):
    from numkeras.backend.naming import to_snake_case

    return to_snake_case(name)


# Keras's lookup table: class names, their snake_case forms, and the short aliases.
_BY_NAME = {cls.__name__: cls for cls in _CLASSES}
_BY_NAME.update({_snake(cls.__name__): cls for cls in _CLASSES})
_BY_NAME.update(
    {
        "acc": Accuracy,
        "bce": BinaryCrossentropy,
        "BCE": BinaryCrossentropy,
        "mse": MeanSquaredError,
        "MSE": MeanSquaredError,
        "mae": MeanAbsoluteError,
        "MAE": MeanAbsoluteError,
        "mape": MeanAbsolutePercentageError,
        "MAPE": MeanAbsolutePercentageError,
        "msle": MeanSquaredLogarithmicError,
        "MSLE": MeanSquaredLogarithmicError,
        "rmse": RootMeanSquaredError,
    }
)
_FUNCTIONS = {
    fn.__name__: fn
    for fn in (
        accuracy,
        binary_accuracy,
        categorical_accuracy,
        sparse_categorical_accuracy,
        top_k_categorical_accuracy,
        sparse_top_k_categorical_accuracy,
        pearson_correlation,
        concordance_correlation,
    )
}

_BINARY_LOSSES = {"binary_crossentropy", "binary_focal_crossentropy"}
_SPARSE_LOSSES = {"sparse_categorical_crossentropy"}
_CATEGORICAL_LOSSES = {
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "kl_divergence",
    "categorical_hinge",
}


def get(identifier, y_true_shape=None, y_pred_shape=None, loss=None):
    """A `Metric` for a name, a config dict, a `Metric` (returned as is), a class or a function.

    Names are Keras's: class names, their snake_case forms (`"categorical_accuracy"`,
    `"auc"`, `"precision"`) and aliases (`"mse"`, `"mae"`, ...). A function
    `fn(y_true, y_pred)` returning per-sample values is wrapped in a `MeanMetricWrapper`
    named after it.

    `"accuracy"` / `"acc"` with any of `y_true_shape`, `y_pred_shape` or `loss` is resolved as
    `resolve_metric` does; without them it is `Accuracy` (exact equality), as in Keras.
    """
    if isinstance(identifier, dict):
        identifier = deserialize(identifier)
    if identifier is None or isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        wants_resolution = (y_true_shape, y_pred_shape, loss) != (None, None, None)
        if identifier.lower() in ("accuracy", "acc") and wants_resolution:
            return resolve_metric(identifier, y_true_shape, y_pred_shape, loss)
        cls = _BY_NAME.get(identifier)
        if cls is None or cls.__name__ in _ABSTRACT:
            names = sorted(n for n, c in _BY_NAME.items() if c.__name__ not in _ABSTRACT)
            raise ValueError(f"Unknown metric {identifier!r}. Valid names: {', '.join(names)}.")
        return cls()
    if inspect.isclass(identifier) and issubclass(identifier, Metric):
        return identifier()
    if callable(identifier):
        name = getattr(identifier, "name", None) or getattr(identifier, "__name__", None)
        return MeanMetricWrapper(identifier, name=name)
    raise ValueError(
        f"Could not interpret metric identifier {identifier!r}: expected a name, a config "
        "dict, a Metric or a function."
    )


def _shape(x):
    """A shape from an array, a Tensor, or a shape tuple itself."""
    if x is None:
        return None
    if isinstance(x, tuple) and all(d is None or isinstance(d, (int, np.integer)) for d in x):
        return x
    return tuple(np.shape(x))


def _loss_name(loss):
    """The loss function's name behind a string, a Loss or a function (or None)."""
    if loss is None:
        return None
    from numkeras import losses

    if isinstance(loss, str):
        try:
            loss = losses.get(loss)
        except ValueError:
            return loss
    fn = getattr(loss, "fn", loss)
    return getattr(fn, "__name__", None)


def resolve_metric(identifier, y_true=None, y_pred=None, loss=None):
    """The metric `compile(metrics=[identifier])` means for these targets, outputs and loss.

    This is Keras's `compile_utils.get_metric`. The string `"accuracy"` (or `"acc"`) becomes:

    - `BinaryAccuracy` if the output's last axis is 1, or the loss is binary cross-entropy;
    - `SparseCategoricalAccuracy` if the labels are integer class ids: `y_true` has one axis
      fewer than `y_pred`, or a last axis of 1 while `y_pred`'s is larger, or the loss is
      `sparse_categorical_crossentropy`;
    - `CategoricalAccuracy` otherwise (argmax of one-hot labels vs argmax of outputs).

    Shapes decide first, as in Keras; the loss only settles what the shapes leave open. The
    metric keeps the name `"accuracy"` (or `"acc"`). Any other string resolves by name and is
    also renamed to that string (so `"mse"` logs as `mse`); callables are wrapped in
    `MeanMetricWrapper`.

    Args:
        identifier: a metric name, `Metric`, class, config dict or function.
        y_true, y_pred: a batch of targets and model outputs, or their shapes (tuples); pass
            them to resolve `"accuracy"` as Keras does at the first batch.
        loss: the compiled loss (a name, `Loss` or function), used when shapes are not given
            or do not decide.

    >>> resolve_metric("accuracy", np.zeros(32), np.zeros((32, 10)))
    <SparseCategoricalAccuracy name=accuracy>
    >>> resolve_metric("acc", (None, 1), (None, 1))
    <BinaryAccuracy name=acc>
    >>> resolve_metric("accuracy", loss="binary_crossentropy")
    <BinaryAccuracy name=accuracy>
    """
    if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc"):
        cls = _accuracy_class(_shape(y_true), _shape(y_pred), _loss_name(loss))
        return cls(name=identifier)
    metric = get(identifier)
    if isinstance(identifier, str):
        metric.name = identifier
    return metric


def _accuracy_class(true_shape, pred_shape, loss_name):
    if pred_shape and pred_shape[-1] == 1 or loss_name in _BINARY_LOSSES:
        return BinaryAccuracy
    if true_shape is not None and pred_shape:
        sparse = len(true_shape) < len(pred_shape) or (
            bool(true_shape) and true_shape[-1] == 1 and pred_shape[-1] != 1
        )
        return (
            SparseCategoricalAccuracy
            if sparse or loss_name in _SPARSE_LOSSES
            else (CategoricalAccuracy)
        )
    if loss_name in _SPARSE_LOSSES:
        return SparseCategoricalAccuracy
    if loss_name in _CATEGORICAL_LOSSES or pred_shape:
        return CategoricalAccuracy
    raise ValueError(
        "Cannot tell which accuracy 'accuracy' means without the shapes of y_true and y_pred "
        f"(got y_true={true_shape}, y_pred={pred_shape}) or a cross-entropy loss (got "
        f"{loss_name!r}). Pass a batch of targets and outputs, or their shapes."
    )


def serialize(metric):
    """Keras's config dict for a `Metric`; strings pass through."""
    if metric is None or isinstance(metric, str):
        return metric
    if not isinstance(metric, Metric):
        from numkeras.losses import serialize as serialize_function

        return serialize_function(metric)
    return {
        "module": "keras.metrics",
        "class_name": type(metric).__name__,
        "config": metric.get_config(),
        "registered_name": None,
    }


def deserialize_function(config, custom_objects=None):
    """A metric or loss function from its `{"class_name": "function", ...}` config."""
    name = config["config"] if isinstance(config, dict) else config
    fn = (custom_objects or {}).get(name) or _FUNCTIONS.get(name)
    if fn is None:
        from numkeras import losses

        fn = losses.deserialize({"class_name": "function", "config": name}, custom_objects)
    return fn


def deserialize(config, custom_objects=None):
    """Rebuild a `Metric` from `serialize`'s dict (or from a name)."""
    custom_objects = custom_objects or {}
    if isinstance(config, str):
        return get(custom_objects.get(config, config))
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Cannot deserialize metric from {config!r}: expected a name or a dict.")
    name = config["class_name"]
    if name == "function":
        return deserialize_function(config, custom_objects)
    cls = custom_objects.get(name) or _BY_NAME.get(name)
    if cls is None:
        raise ValueError(
            f"Unknown metric class {name!r}; pass it in custom_objects. "
            f"Known: {', '.join(sorted(c.__name__ for c in _CLASSES))}."
        )
    inner = dict(config.get("config") or {})
    if isinstance(inner.get("fn"), dict):
        inner["fn"] = deserialize_function(inner["fn"], custom_objects)
    return cls.from_config(inner)
