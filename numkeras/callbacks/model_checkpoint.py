"""ModelCheckpoint: save the model or its weights during training, every epoch or N batches."""

import os
import string
import warnings

import numpy as np

from numkeras.backend import io_utils
from numkeras.callbacks.monitor_callback import MonitorCallback


def _check_template(filepath):
    """A filepath template must parse: balanced braces, valid format specs."""
    try:
        fields = list(string.Formatter().parse(filepath))
        for _, field, spec, _ in fields:
            if field is not None and (field == "" or field.isdigit()):
                raise ValueError(f"positional field {{{field}}}: name it, e.g. {{epoch}}")
            if field is not None and spec:
                format(1, spec) if field in ("epoch", "batch") else format(1.0, spec)
    except ValueError as error:
        raise ValueError(
            f"ModelCheckpoint: `filepath` is not a valid template ({error}); "
            "fields look like {epoch:02d} or {val_loss:.2f}. Received: "
            f"filepath={filepath}"
        ) from None


class ModelCheckpoint(MonitorCallback):
    """Callback to save the model or model weights at some frequency.

    `filepath` may hold format fields filled from the 1-based `epoch`, the 1-based `batch`
    (when saving every N batches) and the logs, e.g. "ckpt-{epoch:02d}-{val_loss:.2f}.keras".
    Whole models are written by `model.save` and must end in ".keras" (or legacy ".h5");
    with `save_weights_only=True`, `model.save_weights` writes a file ending in ".weights.h5".

    Args:
        filepath: the path, or path template, of the checkpoint file.
        monitor: the metric to compare when `save_best_only=True`.
        verbose: 0 (silent) or 1 (print a message at each save).
        save_best_only: only save when the monitored value improves on the best so far.
        save_weights_only: save only the weights (and optimizer state).
        mode: "auto", "min" or "max": how "improves" is decided.
        save_freq: "epoch" to save at each epoch end, or an int to save every that many
            batches.
        initial_value_threshold: the best value to beat at the start (with
            `save_best_only=True`).

    >>> ModelCheckpoint("ckpt.weights.h5", save_weights_only=True).save_freq
    'epoch'
    >>> ModelCheckpoint("ckpt.h5py")
    Traceback (most recent call last):
    ValueError: The filepath provided must end in `.keras` (Keras model format). ...
    """

    chief_only = True  # writes files or prints

    def __init__(
        self,
        filepath,
        monitor="val_loss",
        verbose=0,
        save_best_only=False,
        save_weights_only=False,
        mode="auto",
        save_freq="epoch",
        initial_value_threshold=None,
    ):
        super().__init__(monitor, mode, initial_value_threshold)
        self.verbose = verbose
        self.filepath = os.fspath(filepath)
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = None
        self._current_epoch = 0
        if save_freq != "epoch" and (
            isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq < 1
        ):
            raise ValueError(
                f"Unrecognized save_freq: {save_freq!r}. Expected save_freq are "
                "'epoch' or integer values >= 1"
            )
        _check_template(self.filepath)
        if save_weights_only and not self.filepath.endswith(".weights.h5"):
            raise ValueError(
                "When using `save_weights_only=True` in `ModelCheckpoint`, the "
                "filepath provided must end in `.weights.h5` (Keras weights "
                f"format). Received: filepath={self.filepath}"
            )
        if not save_weights_only and not self.filepath.endswith((".keras", ".h5")):
            raise ValueError(
                "The filepath provided must end in `.keras` (Keras model format). "
                f"Received: filepath={self.filepath}"
            )

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_model(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        if self.save_freq == "epoch":
            self._save_model(epoch, None, logs)

    def _should_save_on_batch(self, batch):
        if self.save_freq == "epoch":
            return False
        if self._last_batch_seen is None or batch <= self._last_batch_seen:
            added = batch + 1  # a new epoch started
        else:
            added = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _should_save_model(self, epoch, logs, filepath):
        if not self.save_best_only:
            if self.verbose > 0:
                io_utils.print_msg(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.", stacklevel=3)
            return True
        if isinstance(current, np.ndarray) and current.ndim > 0:
            warnings.warn(
                "Can save best model only when `monitor` is a scalar value. "
                f"Received: {current}. Falling back to `save_best_only=False`.",
                stacklevel=3,
            )
            return True
        if self.monitor_op is None:
            self._set_monitor_op()
        best = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                io_utils.print_msg(
                    f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to "
                    f"{current:.5f}, saving model to {filepath}"
                )
            self.best = current
            return True
        if self.verbose > 0:
            io_utils.print_msg(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}")
        return False

    def _save_model(self, epoch, batch, logs):
        logs = logs or {}
        filepath = self._get_file_path(epoch, batch, logs)
        if os.path.isdir(filepath):
            raise OSError(
                "Please specify a non-directory filepath for ModelCheckpoint. "
                f"Filepath used is an existing directory: {filepath}"
            )
        if not self._should_save_model(epoch, logs, filepath):
            return
        dirname = os.path.dirname(filepath)
        if dirname:
            os.makedirs(dirname, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)
        if self.verbose > 0:
            io_utils.print_msg(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")

    def _get_file_path(self, epoch, batch, logs):
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as e:
            raise KeyError(
                f'Failed to format this callback filepath: "{self.filepath}". Reason: {e}'
            ) from None
