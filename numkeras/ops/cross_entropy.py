"""Keras's cross-entropy rules over the engine's ops: which fused op a loss takes, and the clipped
probabilities otherwise (`keras.ops.categorical_crossentropy` and its siblings)."""

from numkeras.engine.math_ops import clip, log, sum
from numkeras.engine.tensor import as_array, as_tensor
from numkeras.ops.layer_ops.nn_ops import (
    check_pair,
    one_hot,
    sigmoid_cross_entropy,
    softmax_cross_entropy,
    sparse_softmax_cross_entropy,
)

EPSILON = 1e-7


def _logits_of(output, op, axis=-1):
    """The logits behind a `softmax` or `sigmoid` output, for the loss matching it; else None."""
    if output.op != op or getattr(output, "_keras_logits", None) is None:
        return None
    if op == "softmax" and output._keras_axis != axis % output.ndim:
        return None
    return output._keras_logits


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Keras's rule: probabilities are renormalised and clipped to [eps, 1-eps]; a softmax's
    output is traced back to its logits for the fused, stable op (as TensorFlow does)."""
    output = as_tensor(output)
    logits = None if from_logits else _logits_of(output, "softmax", axis)
    if logits is not None:
        output, from_logits = logits, True
    if from_logits:
        return softmax_cross_entropy(target, output, axis)
    target = as_tensor(target, output.dtype)
    check_pair("categorical_crossentropy", target, output)
    p = output / sum(output, axis=axis, keepdims=True)
    p = clip(p, EPSILON, 1 - EPSILON)
    return -sum(target * log(p), axis=axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    output = as_tensor(output)
    if axis not in (-1, output.ndim - 1):
        raise ValueError(
            f"Op `sparse_categorical_crossentropy`: only axis=-1 is supported, got axis={axis} "
            f"for output shape {output.shape}."
        )
    labels = as_array(target)
    if labels.ndim == output.ndim and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if labels.shape != output.shape[:-1]:
        raise ValueError(
            "Op `sparse_categorical_crossentropy`: labels must have the output's shape without "
            f"its last axis, expected {output.shape[:-1]}, got {labels.shape}."
        )
    classes = output.shape[axis]
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(
            f"Op `sparse_categorical_crossentropy`: labels must be in [0, {classes}), "
            f"got values from {labels.min()} to {labels.max()}."
        )
    logits = output if from_logits else _logits_of(output, "softmax")
    if logits is not None:  # no one-hot targets needed
        return sparse_softmax_cross_entropy(labels, logits)
    target = one_hot(labels, classes, dtype=output.dtype)
    return categorical_crossentropy(target, output, from_logits, axis)


def binary_crossentropy(target, output, from_logits=False):
    """Keras's rule: probabilities clipped to [eps, 1-eps]; a sigmoid's output is traced back to
    its logits for the fused, stable op."""
    output = as_tensor(output)
    logits = None if from_logits else _logits_of(output, "sigmoid")
    if logits is not None:
        output, from_logits = logits, True
    if from_logits:
        return sigmoid_cross_entropy(target, output)
    target = as_tensor(target, output.dtype)
    check_pair("binary_crossentropy", target, output)
    p = clip(output, EPSILON, 1 - EPSILON)
    return -(target * log(p) + (1 - target) * log(1 - p))
