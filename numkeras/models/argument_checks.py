"""Checks on the arguments of `compile`, `fit`, `evaluate` and `predict`, run before anything
changes: every error names the argument, what was expected and what was received.

Targets are checked against the model's output shapes and the compiled loss over the whole
array at once, so that a bad label at sample 50,000 is found before the first step rather than
when its batch comes round (with the weights already half trained).
"""

import numbers
import warnings

import numpy as np

from numkeras.engine import autodiff
from numkeras.layers.layer import shape_str
from numkeras.models import data as data_lib
from numkeras.tree import flatten


def input_mismatch_hint(expected, received):
    """What to add to 'expected shape E, got G' when the array given had shape `received`:
    that shape itself, and the fix when it is one sample without the batch axis."""
    received = tuple(received)
    text = f" (from an array of shape {shape_str(received)})"

    def fits(sample):
        return len(sample) == len(received) and all(
            e is None or e == r for e, r in zip(sample, received)
        )

    sample = tuple(expected[1:])
    if fits(sample):
        text += (
            f". It looks like one sample without the batch axis: pass x[None] or "
            f"np.expand_dims(x, 0), of shape {shape_str((1, *received))}"
        )
    elif sample and sample[-1] == 1 and fits(sample[:-1]):
        text += (
            f". It looks like one sample without the batch and channel axes: pass "
            f"x[None, ..., None], of shape {shape_str((1, *received, 1))}"
        )
    elif None not in sample and np.prod(sample) == np.prod(received[1:]):
        text += f". Did you mean to reshape to {shape_str((-1, *sample))}?"
        return text
    return text + "."


def check_int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"`{name}` must be an integer >= {minimum}, got {name}={value!r}.")


def check_batch_size(batch_size, default=32):
    if batch_size is None:
        return default
    check_int("batch_size", batch_size, 1)
    return int(batch_size)


def check_steps(name, value):
    """`value` is None or an integer >= 1."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"`{name}` must be None or an integer >= 1, received {name}={value!r}.")


def check_fit_arguments(
    validation_split,
    validation_data,
    validation_freq,
    shuffle,
    class_weight,
    steps_per_epoch,
    validation_steps,
    validation_batch_size,
):
    """The arguments of `fit` that do not depend on the data."""
    for name, value in (
        ("steps_per_epoch", steps_per_epoch),
        ("validation_steps", validation_steps),
        ("validation_batch_size", validation_batch_size),
    ):
        check_steps(name, value)
    if (
        isinstance(validation_split, bool)
        or not isinstance(validation_split, numbers.Real)
        or not 0 <= validation_split < 1
    ):
        raise ValueError(
            "`validation_split` must be a number in [0, 1), received "
            f"validation_split={validation_split!r}."
        )
    freqs = validation_freq if isinstance(validation_freq, list) else [validation_freq]
    if not freqs or any(
        isinstance(f, bool) or not isinstance(f, (int, np.integer)) or f < 1 for f in freqs
    ):
        raise ValueError(
            "Expected `validation_freq` to be a list or int (epoch numbers >= 1). "
            f"Received: validation_freq={validation_freq!r} of the type "
            f"{type(validation_freq)}."
        )
    if not (shuffle is None or shuffle == "batch" or isinstance(shuffle, (bool, np.bool_))):
        raise ValueError(f"`shuffle` must be True, False or 'batch', received shuffle={shuffle!r}.")
    check_class_weight(class_weight)
    _check_validation_data(validation_data)


def check_class_weight(class_weight):
    if class_weight is not None and not isinstance(class_weight, dict):
        raise ValueError(
            "`class_weight` must be a dict mapping class indices to weights, e.g. "
            f"{{0: 1.0, 1: 5.0}}, received {type(class_weight).__name__} "
            f"{class_weight!r}."
        )
    if class_weight and not all(isinstance(w, numbers.Real) for w in class_weight.values()):
        raise ValueError(f"`class_weight` values must be numbers, received {class_weight!r}.")


def _check_validation_data(validation_data):
    if validation_data is None or data_lib.is_batch_iterable(validation_data):
        return
    if not isinstance(validation_data, (tuple, list)) or not 2 <= len(validation_data) <= 3:
        received = (
            f"a {type(validation_data).__name__} of {len(validation_data)} items"
            if isinstance(validation_data, (tuple, list))
            else f"{type(validation_data).__name__} of shape {np.shape(validation_data)}"
            if hasattr(validation_data, "shape")
            else repr(validation_data)[:80]
        )
        raise ValueError(
            "`validation_data` must be a tuple (x_val, y_val) or (x_val, y_val, "
            f"val_sample_weight), a generator or a PyDataset; received {received}."
        )


def check_sample_weight(data):
    """Sample weights of shape (samples,), or the leading axes of `y`'s shape."""
    weights, y = data.sample_weight, data.y
    if weights is None or weights.ndim == 1:
        return
    shape = weights.shape[:-1] if weights.shape[-1] == 1 else weights.shape
    targets = flatten(y) if y is not None else []
    if len(targets) == 1 and targets[0].shape[: len(shape)] == shape:
        return
    expected = f"({data.size},)" + (
        f" or a prefix of y's shape {targets[0].shape}" if len(targets) == 1 else ""
    )
    raise ValueError(
        f"`sample_weight` must have shape {expected}, received an array of shape {weights.shape}."
    )


def check_compile_arguments(loss_weights, metrics, steps_per_execution):
    if metrics is not None and not isinstance(metrics, (list, tuple, dict)):
        raise ValueError(
            "Expected `metrics` argument to be a list, tuple, or dict. Received "
            f"instead: metrics={metrics!r} of type {type(metrics)}"
        )
    weights = (
        loss_weights.values()
        if isinstance(loss_weights, dict)
        else (loss_weights if isinstance(loss_weights, (list, tuple)) else [loss_weights])
    )
    if loss_weights is not None and not all(
        w is None or (isinstance(w, numbers.Real) and not isinstance(w, bool)) for w in weights
    ):
        raise ValueError(
            "Expected `loss_weights` to be a number (one output) or a list, tuple or "
            f"dict of numbers (several outputs). Received: loss_weights="
            f"{loss_weights!r}"
        )
    check_steps("steps_per_execution", steps_per_execution)


# --- targets against the compiled loss ---------------------------------------------------------
def _output_shapes(model):
    """The model's output shapes (a list, one per output), or None when not known yet."""
    outputs = getattr(model, "outputs", None)
    if outputs is not None and all(hasattr(t, "shape") for t in outputs):
        return [tuple(t.shape) for t in outputs]
    input_shape = getattr(model, "_input_batch_shape", None)
    if model.built and input_shape is not None and hasattr(model, "_stack"):
        shapes = model.compute_output_shape(tuple(input_shape))
        return [shapes] if isinstance(shapes, tuple) else None
    return None


def check_targets(model, source, method):
    """Targets given as arrays must exist and fit each output's loss (shape and values)."""
    if method == "predict" or not isinstance(source, data_lib.ArraySource) or not model.compiled:
        return
    check_target_arrays(model, source.data.y, method)


def check_target_arrays(model, y, method):
    """Targets `y` (arrays, or a batch of them) must fit each output's loss, when the model
    trains with the default step."""
    from numkeras.models.model import Model

    step = "test_step" if method in ("evaluate", "test_on_batch") else "train_step"
    if getattr(type(model), step) is not getattr(Model, step) or (
        type(model).compute_loss is not Model.compute_loss
    ):
        return  # a custom step may not need targets at all
    compile_loss = model._compile_loss
    if not compile_loss.has_loss() or compile_loss.losses is None:
        return  # (a subclassed model's outputs are named at its first step)
    names = [loss.name for loss in compile_loss.losses if loss is not None]
    if y is None:
        raise ValueError(
            f"`{method}` needs targets `y`: the model was compiled with "
            f"loss={names[0] if len(names) == 1 else names}, which compares them "
            "with the outputs. Received y=None."
        )
    shapes = _output_shapes(model)
    if shapes is None:
        return
    from numkeras.models.compile_utils import _align

    targets = _align(y, compile_loss.output_names)
    for loss, target, shape in zip(compile_loss.losses, targets, shapes):
        if (
            loss is None
            or not isinstance(target, np.ndarray)
            or None in shape[1:]
            or not type(loss).__module__.startswith("numkeras.")
        ):
            continue
        _probe_loss(loss, target, shape)
        _check_label_values(loss, target, shape)


def _probe_loss(loss, y, shape):
    """Run the loss on zeros shaped as the targets and outputs, so that its own shape checks
    speak. Broadcast views take no memory; a very large output is probed on 4 rows only."""
    per_sample = int(np.prod(shape[1:], dtype=np.int64))
    rows = len(y) if len(y) * per_sample <= 4_000_000 else 4
    y_true = np.broadcast_to(np.zeros((), y.dtype), (rows,) + y.shape[1:])  # shapes only
    y_pred = np.broadcast_to(np.float32(0.5), (rows,) + tuple(shape[1:]))
    with autodiff.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loss(y_true, y_pred)


def _check_label_values(loss, y, shape):
    from numkeras.losses import probabilistic

    fn, kwargs = getattr(loss, "fn", None), getattr(loss, "_fn_kwargs", {})
    if fn is probabilistic.sparse_categorical_crossentropy:
        axis = kwargs.get("axis", -1) % len(shape)
        labels = y.squeeze(-1) if y.ndim == len(shape) and y.shape[-1] == 1 else y
        ignore = kwargs.get("ignore_class")
        labels = labels if ignore is None else labels[labels != ignore]
        probabilistic._check_label_values(fn.__name__, labels, shape[axis])
    elif fn in (probabilistic.binary_crossentropy, probabilistic.binary_focal_crossentropy):
        low, high = (y.min(), y.max()) if y.size else (0, 0)
        if low < 0 or high > 1:
            raise ValueError(
                f'Loss "{fn.__name__}" expects targets between 0 and 1 for an output of shape '
                f"{shape_str(shape)}, got values from {low:g} to {high:g}. For more than two "
                "classes use sparse_categorical_crossentropy (integer labels) or "
                "categorical_crossentropy (one-hot labels) with a softmax output."
            )


def should_validate(epoch, validation_freq):
    """Validate after 1-based epoch `epoch + 1`: every `validation_freq` epochs (an int) or
    at the listed epochs (a list)."""
    if isinstance(validation_freq, int) and not isinstance(validation_freq, bool):
        return (epoch + 1) % validation_freq == 0
    if isinstance(validation_freq, list):
        return epoch + 1 in validation_freq
    raise ValueError(
        "Expected `validation_freq` to be a list or int. Received: "
        f"validation_freq={validation_freq} of the type {type(validation_freq)}."
    )


def check_verbose(verbose):
    """`verbose` as 0, 1 or 2 ("auto" is 1, as in Keras outside Colab)."""
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2):
        raise ValueError(f"`verbose` must be 'auto', 0, 1 or 2, got {verbose!r}.")
    return verbose
