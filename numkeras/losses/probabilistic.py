"""Cross-entropies, focal losses, KL divergence and Poisson, as functions and classes.

Cross-entropies check that the labels fit the output before computing anything, and say
which loss was probably meant when they do not (one-hot labels given to a sparse loss, or
integer labels given to `categorical_crossentropy`).
"""

import warnings

import numpy as np

from numkeras import ops
from numkeras.backend import epsilon
from numkeras.losses.losses import (
    LossFunctionWrapper,
    as_float_pair,
    batch_shape,
    prepare,
    squeeze_or_expand_to_same_rank,
)

__all__ = [
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy",
    "SparseCategoricalCrossentropy",
    "KLDivergence",
    "Poisson",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "sparse_categorical_crossentropy",
    "kl_divergence",
    "poisson",
    "CategoricalGeneralizedCrossEntropy",
    "categorical_generalized_cross_entropy",
]


# --- label checks ----------------------------------------------------------------------------


def _mismatch(name, y_true_shape, y_pred_shape, hint=""):
    return ValueError(
        f'Loss "{name}" expects targets of shape {batch_shape(y_pred_shape)} to match the '
        f"output, got {tuple(y_true_shape)}.{hint}"
    )


def _check_categorical(name, y_true, y_pred):
    """One-hot (or probability) targets must have the output's exact shape."""
    t, p = tuple(y_true.shape), tuple(y_pred.shape)
    if t == p:
        return
    hint = ""
    if t == p[:-1] or t == p[:-1] + (1,):
        hint = " Did you mean sparse_categorical_crossentropy?"
    elif len(t) == len(p) and t[:-1] == p[:-1]:
        hint = (
            f" The labels have {t[-1]} classes but the output has {p[-1]} units: check "
            "`num_classes` in to_categorical or the units of the last layer."
        )
    raise _mismatch(name, t, p, hint)


def _check_binary(name, y_true, y_pred):
    t, p = tuple(y_true.shape), tuple(y_pred.shape)
    if t == p:
        return
    hint = ""
    if p[-1:] == (1,) and len(t) == len(p) and t[-1] > 1:
        hint = " Did you mean categorical_crossentropy (with one output unit per class)?"
    elif t == p[:-1]:
        hint = " Did you mean sparse_categorical_crossentropy?"
    raise _mismatch(name, t, p, hint)


def _smooth(y_true, label_smoothing, num_classes):
    if not label_smoothing:
        return y_true
    return y_true * (1.0 - label_smoothing) + label_smoothing / num_classes


def _categorical_inputs(name, y_true, y_pred, label_smoothing, axis):
    if isinstance(axis, bool):
        raise ValueError(f"`axis` must be an int, got axis={axis!r}.")
    y_true, y_pred = as_float_pair(y_true, y_pred)
    _check_categorical(name, y_true, y_pred)
    if y_pred.shape[-1] == 1:
        warnings.warn(
            f"In loss {name}, expected y_pred.shape to be (batch_size, num_classes) with "
            f"num_classes > 1, got y_pred.shape={y_pred.shape}. Consider using "
            "'binary_crossentropy' if you only have 2 classes.",
            SyntaxWarning,
            stacklevel=3,
        )
    return _smooth(y_true, label_smoothing, y_true.shape[-1]), y_pred


def _binary_inputs(name, y_true, y_pred, label_smoothing):
    y_true, y_pred = squeeze_or_expand_to_same_rank(*as_float_pair(y_true, y_pred))
    _check_binary(name, y_true, y_pred)
    return _smooth(y_true, label_smoothing, 2), y_pred


# --- functions ---------------------------------------------------------------------------------


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """`-sum(y_true * log(y_pred), axis)` for one-hot targets, one value per sample.

    Probabilities are renormalised and clipped to `[1e-7, 1 - 1e-7]`; a softmax output (or
    `from_logits=True`) takes the fused, unclipped log-softmax path. `label_smoothing` mixes
    the targets with the uniform distribution over the classes.

    >>> round(float(categorical_crossentropy([[0.0, 1.0]], [[0.5, 0.5]])[0]), 4)
    0.6931
    """
    y_true, y_pred = _categorical_inputs(
        "categorical_crossentropy", y_true, y_pred, label_smoothing, axis
    )
    return ops.categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Cross-entropy for integer class labels of shape `(N,)` or `(N, 1)`.

    `ignore_class` gives a label whose entries contribute 0 and are left out of the mean
    (the result carries a `_keras_mask` that `Loss` reads).
    """
    name = "sparse_categorical_crossentropy"
    y_pred = as_float_pair(0.0, y_pred)[1]
    labels = ops.convert_to_numpy(y_true)
    axis = axis % y_pred.ndim
    if labels.ndim == y_pred.ndim and labels.shape[axis] == 1:
        labels = np.squeeze(labels, axis)
    expected = y_pred.shape[:axis] + y_pred.shape[axis + 1 :]
    if labels.shape != expected:
        hint = " Did you mean categorical_crossentropy?" if labels.shape == y_pred.shape else ""
        raise ValueError(
            f'Loss "{name}" expects integer class labels of shape {batch_shape(expected)} '
            f"for an output of shape {batch_shape(y_pred.shape)}, got {labels.shape}.{hint}"
        )
    valid = None if ignore_class is None else labels != ignore_class
    _check_label_values(name, labels if valid is None else labels[valid], y_pred.shape[axis])
    if valid is not None:
        labels = np.where(valid, labels, 0)
    if axis != y_pred.ndim - 1:
        y_pred = ops.moveaxis(y_pred, axis, -1)
    losses = ops.sparse_categorical_crossentropy(labels, y_pred, from_logits=from_logits)
    if valid is not None:
        losses = ops.where(valid, losses, 0.0)
        losses._keras_mask = valid
    return losses


def _check_label_values(name, labels, num_classes):
    if not labels.size:
        return
    fractional = None if labels.dtype.kind in "iu" else labels != np.round(labels)
    if fractional is not None and np.any(fractional):
        raise ValueError(
            f'Loss "{name}" expects integer class labels, got non-integer values such as '
            f"{labels[fractional].flat[0]:g}. Did you mean categorical_crossentropy?"
        )
    low, high = labels.min(), labels.max()
    if low < 0 or high >= num_classes:
        raise ValueError(
            f'Loss "{name}" expects labels in [0, {num_classes}) for an output with '
            f"{num_classes} units, got labels from {low:g} to {high:g}."
        )


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """`mean(-(y log p + (1 - y) log(1 - p)), axis)`; `p` clipped to `[1e-7, 1 - 1e-7]`.

    `label_smoothing` moves the targets towards 0.5.
    """
    y_true, y_pred = _binary_inputs("binary_crossentropy", y_true, y_pred, label_smoothing)
    return ops.mean(ops.binary_crossentropy(y_true, y_pred, from_logits=from_logits), axis=axis)


def binary_focal_crossentropy(
    y_true,
    y_pred,
    apply_class_balancing=False,
    alpha=0.25,
    gamma=2.0,
    from_logits=False,
    label_smoothing=0.0,
    axis=-1,
):
    """Binary cross-entropy scaled by `(1 - p_t) ** gamma`, optionally by `alpha` per class."""
    y_true, y_pred = _binary_inputs("binary_focal_crossentropy", y_true, y_pred, label_smoothing)
    if from_logits:
        y_pred = ops.sigmoid(y_pred)
    bce = ops.binary_crossentropy(y_true, y_pred)
    p_t = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)
    focal = ops.power(1.0 - p_t, gamma) * bce
    if apply_class_balancing:
        focal = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal
    return ops.mean(focal, axis=axis)


def categorical_focal_crossentropy(
    y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1
):
    """`sum(alpha * (1 - p) ** gamma * -y_true * log(p), axis)` with `p` clipped."""
    y_true, y_pred = _categorical_inputs(
        "categorical_focal_crossentropy", y_true, y_pred, label_smoothing, axis
    )
    if from_logits:
        y_pred = ops.softmax(y_pred, axis=axis)
    p = y_pred / ops.sum(y_pred, axis=axis, keepdims=True)
    p = ops.clip(p, epsilon(), 1.0 - epsilon())
    focal = alpha * ops.power(1.0 - p, gamma) * (-y_true * ops.log(p))
    return ops.sum(focal, axis=axis)


def kl_divergence(y_true, y_pred):
    """`sum(y_true * log(y_true / y_pred), axis=-1)`, both clipped to `[1e-7, 1]`."""
    y_true, y_pred = prepare("kl_divergence", y_true, y_pred)
    y_true = ops.clip(y_true, epsilon(), 1.0)
    y_pred = ops.clip(y_pred, epsilon(), 1.0)
    return ops.sum(y_true * ops.log(y_true / y_pred), axis=-1)


def poisson(y_true, y_pred):
    """`mean(y_pred - y_true * log(y_pred + 1e-7), axis=-1)`."""
    y_true, y_pred = prepare("poisson", y_true, y_pred)
    return ops.mean(y_pred - y_true * ops.log(y_pred + epsilon()), axis=-1)


def categorical_generalized_cross_entropy(y_true, y_pred, q):
    """`(1 - p ** q) / q` with `p` the probability of the integer label (Zhang & Sabuncu, 2018).

    Between cross-entropy (q -> 0) and mean absolute error (q = 1): robust to noisy labels.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    labels = ops.convert_to_numpy(y_true).astype(np.int64)
    onehot = np.eye(y_pred.shape[-1], dtype=y_pred.dtype)[labels]
    p = ops.sum(y_pred * onehot, axis=-1)
    return (1 - ops.power(p, q)) / q


# --- classes -------------------------------------------------------------------------------------

_R = "sum_over_batch_size"


class CategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy for one-hot targets; see `categorical_crossentropy`.

    >>> import numpy as np
    >>> y_true = np.array([[0, 1, 0], [0, 0, 1]])
    >>> y_pred = np.array([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])
    >>> round(float(CategoricalCrossentropy()(y_true, y_pred)), 4)
    1.1769
    """

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction=_R,
        name="categorical_crossentropy",
        dtype=None,
    ):
        super().__init__(
            categorical_crossentropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy for integer labels; see `sparse_categorical_crossentropy`."""

    def __init__(
        self,
        from_logits=False,
        ignore_class=None,
        reduction=_R,
        axis=-1,
        name="sparse_categorical_crossentropy",
        dtype=None,
    ):
        super().__init__(
            sparse_categorical_crossentropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            ignore_class=ignore_class,
            axis=axis,
        )
        self.from_logits, self.ignore_class, self.axis = from_logits, ignore_class, axis


class BinaryCrossentropy(LossFunctionWrapper):
    """Cross-entropy for 0/1 targets; see `binary_crossentropy`."""

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction=_R,
        name="binary_crossentropy",
        dtype=None,
    ):
        super().__init__(
            binary_crossentropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis


class BinaryFocalCrossentropy(LossFunctionWrapper):
    """Focal binary cross-entropy; see `binary_focal_crossentropy`."""

    def __init__(
        self,
        apply_class_balancing=False,
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction=_R,
        name="binary_focal_crossentropy",
        dtype=None,
    ):
        super().__init__(
            binary_focal_crossentropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            apply_class_balancing=apply_class_balancing,
            alpha=alpha,
            gamma=gamma,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )
        self.apply_class_balancing, self.alpha, self.gamma = apply_class_balancing, alpha, gamma
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis


class CategoricalFocalCrossentropy(LossFunctionWrapper):
    """Focal categorical cross-entropy; see `categorical_focal_crossentropy`."""

    def __init__(
        self,
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction=_R,
        name="categorical_focal_crossentropy",
        dtype=None,
    ):
        super().__init__(
            categorical_focal_crossentropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            alpha=alpha,
            gamma=gamma,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )
        self.alpha, self.gamma = alpha, gamma
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis


class KLDivergence(LossFunctionWrapper):
    """Kullback-Leibler divergence; see `kl_divergence`."""

    def __init__(self, reduction=_R, name="kl_divergence", dtype=None):
        super().__init__(kl_divergence, reduction=reduction, name=name, dtype=dtype)


class Poisson(LossFunctionWrapper):
    """Poisson loss; see `poisson`."""

    def __init__(self, reduction=_R, name="poisson", dtype=None):
        super().__init__(poisson, reduction=reduction, name=name, dtype=dtype)


class CategoricalGeneralizedCrossEntropy(LossFunctionWrapper):
    """Generalized cross-entropy for integer labels; see `categorical_generalized_cross_entropy`."""

    def __init__(
        self, q=0.5, reduction=_R, name="categorical_generalized_cross_entropy", dtype=None
    ):
        if not 0 < q < 1:
            raise ValueError("q must be in the interval (0, 1)")
        super().__init__(
            categorical_generalized_cross_entropy, reduction=reduction, name=name, dtype=dtype, q=q
        )
        self.q = q
