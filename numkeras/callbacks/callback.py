"""Callback: the hooks `fit`, `evaluate` and `predict` call, with `self.model` set."""

import numbers


class Callback:
    """Base class for callbacks: override the `on_*` hooks you need.

    `fit`, `evaluate` and `predict` call `set_model(model)` and `set_params(params)` first, so
    a hook can read `self.model` (set `self.model.stop_training = True` to end `fit` after
    the current batch or epoch) and `self.params` (`verbose`, `epochs`, `steps`). Epoch hooks
    receive a 0-based `epoch` and `logs`, a dict of metric values (`val_`-prefixed for
    validation); batch hooks receive the 0-based batch index within the epoch.

    >>> class Counter(Callback):
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         self.last = (epoch, sorted(logs))
    >>> counter = Counter()
    >>> counter.on_epoch_end(0, {"loss": 0.5})
    >>> counter.last
    (0, ['loss'])
    """

    # In data-parallel training, a callback that writes files or prints runs on process 0 only.
    chief_only = False

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    # --- fit ----------------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        """Called once when `fit` starts."""

    def on_train_end(self, logs=None):
        """Called once when `fit` ends; `logs` are the last epoch's."""

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of each training epoch."""

    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of each epoch with its training and `val_` metrics."""

    def on_train_batch_begin(self, batch, logs=None):
        """Called before each training step; calls the legacy `on_batch_begin`."""
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        """Called after each training step with the running metrics; calls `on_batch_end`."""
        self.on_batch_end(batch, logs=logs)

    def on_batch_begin(self, batch, logs=None):
        """Backwards-compatible alias of `on_train_batch_begin`."""

    def on_batch_end(self, batch, logs=None):
        """Backwards-compatible alias of `on_train_batch_end`."""

    # --- evaluate (and validation inside fit) ------------------------------------------------
    def on_test_begin(self, logs=None):
        """Called when `evaluate` (or validation in `fit`) starts."""

    def on_test_end(self, logs=None):
        """Called when `evaluate` (or validation in `fit`) ends, with its metrics."""

    def on_test_batch_begin(self, batch, logs=None):
        """Called before each evaluation step."""

    def on_test_batch_end(self, batch, logs=None):
        """Called after each evaluation step with the running metrics."""

    # --- predict -----------------------------------------------------------------------------
    def on_predict_begin(self, logs=None):
        """Called when `predict` starts."""

    def on_predict_end(self, logs=None):
        """Called when `predict` ends."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Called before each prediction step."""

    def on_predict_batch_end(self, batch, logs=None):
        """Called after each prediction step."""


_HOOKS = [
    "on_train_begin",
    "on_train_end",
    "on_epoch_begin",
    "on_epoch_end",
    "on_test_begin",
    "on_test_end",
    "on_predict_begin",
    "on_predict_end",
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_test_batch_begin",
    "on_test_batch_end",
    "on_predict_batch_begin",
    "on_predict_batch_end",
]


def check_argument(callback, name, value, integer=True, minimum=0):
    """A callback's count or threshold argument: a number (an int if `integer`) >= minimum."""
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind) or not value >= minimum:
        what = "an integer" if integer else "a number"
        raise ValueError(
            f"{type(callback).__name__}: `{name}` must be {what} >= {minimum}, "
            f"received {name}={value!r}."
        )
    return value
