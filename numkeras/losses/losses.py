"""`LossFunctionWrapper`, and the regression and hinge losses as functions and classes.

Each function takes `(y_true, y_pred)` and returns one value per sample (the last axis is
reduced); each class wraps its function and adds Keras's reduction and `sample_weight`.
"""

import numpy as np

from numkeras import ops
from numkeras.backend import epsilon, floatx
from numkeras.engine import Tensor
from numkeras.losses.loss import Loss, squeeze_or_expand_to_same_rank

__all__ = [
    "LossFunctionWrapper",
    "MeanSquaredError",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError",
    "CosineSimilarity",
    "Huber",
    "LogCosh",
    "Hinge",
    "SquaredHinge",
    "CategoricalHinge",
    "mean_squared_error",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error",
    "cosine_similarity",
    "huber",
    "log_cosh",
    "hinge",
    "squared_hinge",
    "categorical_hinge",
]


class LossFunctionWrapper(Loss):
    """A `Loss` around a function `fn(y_true, y_pred, **kwargs)` that returns per-sample values.

    Before calling `fn`, a trailing axis of size 1 is squeezed or added so that the ranks of
    `y_true` and `y_pred` agree (so labels of shape `(N,)` fit outputs of shape `(N, 1)`).

    >>> loss = LossFunctionWrapper(mean_absolute_error, name="l1")
    >>> float(loss([1.0, 2.0], [[1.5], [2.5]]))
    0.5
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        config = {**super().get_config(), **self._fn_kwargs}
        if type(self) is LossFunctionWrapper:
            from numkeras.losses import serialize

            config["fn"] = serialize(self.fn)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("fn"), dict):
            from numkeras.losses import deserialize

            config["fn"] = deserialize(config["fn"])
        return cls(**config)

    def __repr__(self):
        if type(self) is not LossFunctionWrapper:
            return super().__repr__()
        return f"<LossFunctionWrapper({getattr(self.fn, '__name__', self.fn)}, {self._fn_kwargs})>"


# --- shared input handling --------------------------------------------------------------


def batch_shape(shape):
    """`(128, 10)` -> `(None, 10)`: how Keras prints a shape with a free batch axis."""
    shape = tuple(shape)
    return (None,) + shape[1:] if shape else shape


def as_float_pair(y_true, y_pred):
    """`y_pred` as a float Tensor and `y_true` converted to its dtype."""
    y_pred = ops.convert_to_tensor(y_pred)
    if not y_pred.dtype.startswith("float"):
        y_pred = ops.cast(y_pred, floatx())
    return ops.convert_to_tensor(y_true, y_pred.dtype), y_pred


def prepare(name, y_true, y_pred):
    """Convert, match ranks, and check that the targets broadcast against the output."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(*as_float_pair(y_true, y_pred))
    try:
        np.broadcast_shapes(y_true.shape, y_pred.shape)
    except ValueError:
        raise ValueError(
            f'Loss "{name}" expects targets of shape {batch_shape(y_pred.shape)} to match the '
            f"output, got {tuple(y_true.shape)}."
        ) from None
    return y_true, y_pred


# --- regression ---------------------------------------------------------------------------


def mean_squared_error(y_true, y_pred):
    """`mean(square(y_true - y_pred), axis=-1)`."""
    y_true, y_pred = prepare("mean_squared_error", y_true, y_pred)
    return ops.mean(ops.square(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """`mean(abs(y_true - y_pred), axis=-1)`."""
    y_true, y_pred = prepare("mean_absolute_error", y_true, y_pred)
    return ops.mean(ops.abs(y_true - y_pred), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """`100 * mean(abs((y_true - y_pred) / max(abs(y_true), epsilon)), axis=-1)`."""
    y_true, y_pred = prepare("mean_absolute_percentage_error", y_true, y_pred)
    diff = ops.abs((y_true - y_pred) / ops.maximum(ops.abs(y_true), epsilon()))
    return 100.0 * ops.mean(diff, axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    """`mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), axis=-1)`."""
    y_true, y_pred = prepare("mean_squared_logarithmic_error", y_true, y_pred)
    first = ops.log(ops.maximum(y_pred, epsilon()) + 1.0)
    second = ops.log(ops.maximum(y_true, epsilon()) + 1.0)
    return ops.mean(ops.square(first - second), axis=-1)


def l2_normalize(x, axis=-1):
    """`x / max(norm(x), epsilon)`, with a zero gradient (not NaN) for all-zero vectors."""
    square_sum = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return x / ops.sqrt(ops.maximum(square_sum, epsilon() ** 2))


def cosine_similarity(y_true, y_pred, axis=-1):
    """`-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)`: -1 when they align."""
    y_true, y_pred = prepare("cosine_similarity", y_true, y_pred)
    return -ops.sum(l2_normalize(y_true, axis) * l2_normalize(y_pred, axis), axis=axis)


def huber(y_true, y_pred, delta=1.0):
    """`0.5 * e**2` where `|e| <= delta`, else `delta * |e| - 0.5 * delta**2`; mean over -1."""
    y_true, y_pred = prepare("huber", y_true, y_pred)
    error = y_pred - y_true
    abs_error = ops.abs(error)
    quadratic = 0.5 * ops.square(error)
    linear = delta * abs_error - 0.5 * delta**2
    return ops.mean(ops.where(abs_error.data <= delta, quadratic, linear), axis=-1)


def log_cosh(y_true, y_pred):
    """`mean(log(cosh(y_pred - y_true)), axis=-1)`, as `x + softplus(-2x) - log(2)`."""
    y_true, y_pred = prepare("log_cosh", y_true, y_pred)
    x = y_pred - y_true
    return ops.mean(x + ops.softplus(x * -2.0) - float(np.log(2.0)), axis=-1)


# --- hinge ---------------------------------------------------------------------------------


def _to_signed_labels(y_true):
    """Labels in {0, 1} become {-1, 1}; other labels are left as they are (Keras's rule)."""
    data = y_true.data if isinstance(y_true, Tensor) else np.asarray(y_true)
    if np.all((data == 0) | (data == 1)):
        return 2.0 * y_true - 1.0
    return y_true


def hinge(y_true, y_pred):
    """`mean(maximum(1 - y_true * y_pred, 0), axis=-1)`; 0/1 labels are mapped to -1/1."""
    y_true, y_pred = prepare("hinge", y_true, y_pred)
    return ops.mean(ops.maximum(1.0 - _to_signed_labels(y_true) * y_pred, 0.0), axis=-1)


def squared_hinge(y_true, y_pred):
    """`mean(square(maximum(1 - y_true * y_pred, 0)), axis=-1)`; 0/1 labels become -1/1."""
    y_true, y_pred = prepare("squared_hinge", y_true, y_pred)
    margin = ops.maximum(1.0 - _to_signed_labels(y_true) * y_pred, 0.0)
    return ops.mean(ops.square(margin), axis=-1)


def categorical_hinge(y_true, y_pred):
    """`maximum(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)` over the last axis."""
    y_true, y_pred = prepare("categorical_hinge", y_true, y_pred)
    pos = ops.sum(y_true * y_pred, axis=-1)
    neg = ops.max((1.0 - y_true) * y_pred, axis=-1)
    return ops.maximum(neg - pos + 1.0, 0.0)


# --- classes -------------------------------------------------------------------------------

_R = "sum_over_batch_size"


class MeanSquaredError(LossFunctionWrapper):
    """Mean of squared errors; see `mean_squared_error`.

    >>> float(MeanSquaredError()([[1.0, 0.0]], [[0.5, 0.5]]))
    0.25
    """

    def __init__(self, reduction=_R, name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, reduction=reduction, name=name, dtype=dtype)


class MeanAbsoluteError(LossFunctionWrapper):
    """Mean of absolute errors; see `mean_absolute_error`."""

    def __init__(self, reduction=_R, name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, reduction=reduction, name=name, dtype=dtype)


class MeanAbsolutePercentageError(LossFunctionWrapper):
    """Mean absolute percentage error; see `mean_absolute_percentage_error`."""

    def __init__(self, reduction=_R, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(
            mean_absolute_percentage_error, reduction=reduction, name=name, dtype=dtype
        )


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    """Mean squared logarithmic error; see `mean_squared_logarithmic_error`."""

    def __init__(self, reduction=_R, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(
            mean_squared_logarithmic_error, reduction=reduction, name=name, dtype=dtype
        )


class CosineSimilarity(LossFunctionWrapper):
    """Negative cosine similarity along `axis`; see `cosine_similarity`."""

    def __init__(self, axis=-1, reduction=_R, name="cosine_similarity", dtype=None):
        super().__init__(cosine_similarity, reduction=reduction, name=name, dtype=dtype, axis=axis)
        self.axis = axis


class Huber(LossFunctionWrapper):
    """Huber loss, quadratic within `delta` and linear outside; see `huber`."""

    def __init__(self, delta=1.0, reduction=_R, name="huber_loss", dtype=None):
        super().__init__(huber, reduction=reduction, name=name, dtype=dtype, delta=delta)
        self.delta = delta


class LogCosh(LossFunctionWrapper):
    """Logarithm of the hyperbolic cosine of the error; see `log_cosh`."""

    def __init__(self, reduction=_R, name="log_cosh", dtype=None):
        super().__init__(log_cosh, reduction=reduction, name=name, dtype=dtype)


class Hinge(LossFunctionWrapper):
    """Hinge loss for -1/1 (or 0/1) labels; see `hinge`."""

    def __init__(self, reduction=_R, name="hinge", dtype=None):
        super().__init__(hinge, reduction=reduction, name=name, dtype=dtype)


class SquaredHinge(LossFunctionWrapper):
    """Squared hinge loss for -1/1 (or 0/1) labels; see `squared_hinge`."""

    def __init__(self, reduction=_R, name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, reduction=reduction, name=name, dtype=dtype)


class CategoricalHinge(LossFunctionWrapper):
    """Categorical hinge loss for one-hot labels; see `categorical_hinge`."""

    def __init__(self, reduction=_R, name="categorical_hinge", dtype=None):
        super().__init__(categorical_hinge, reduction=reduction, name=name, dtype=dtype)
