"""ReduceLROnPlateau: multiply the learning rate by `factor` when a metric stalls."""

import warnings

import numpy as np

from numkeras.backend import io_utils
from numkeras.callbacks.callback import check_argument
from numkeras.callbacks.learning_rate_scheduler import learning_rate_logs
from numkeras.callbacks.monitor_callback import MonitorCallback


class ReduceLROnPlateau(MonitorCallback):
    """Reduce the learning rate when a metric has stopped improving.

    After `patience` epochs without an improvement of more than `min_delta`, the optimizer's
    learning rate becomes `max(lr * factor, min_lr)`; then `cooldown` epochs pass before
    waiting starts again. Each epoch's logs gain a `learning_rate` entry.

    Args:
        monitor: quantity to be monitored.
        factor: factor by which the learning rate is reduced (`new_lr = lr * factor`), < 1.
        patience: number of epochs with no improvement after which the rate is reduced.
        verbose: 0 (quiet) or 1 (print a message when the rate changes).
        mode: "auto", "min" or "max".
        min_delta: threshold for measuring a new optimum.
        cooldown: number of epochs to wait after a reduction before resuming normal operation.
        min_lr: lower bound on the learning rate.

    >>> callback = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=2)
    >>> callback.factor, callback.min_delta
    (0.5, 0.0001)
    """

    def __init__(
        self,
        monitor="val_loss",
        factor=0.1,
        patience=10,
        verbose=0,
        mode="auto",
        min_delta=1e-4,
        cooldown=0,
        min_lr=0.0,
        **kwargs,
    ):
        super().__init__(monitor, mode, min_delta=min_delta)
        if isinstance(factor, (int, float)) and factor >= 1.0:
            raise ValueError(
                f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor}"
            )
        self.factor = check_argument(self, "factor", factor, integer=False)
        self.min_lr = check_argument(self, "min_lr", min_lr, integer=False)
        self.patience = check_argument(self, "patience", patience)
        check_argument(self, "cooldown", cooldown)
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.wait = 0

    def _reset(self):
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs=None):
        self._reset()

    def _reduce_lr(self, optimizer, epoch):
        """Reduce the rate (each sub-optimizer's for a MultiOptimizer); True if any fell."""
        if hasattr(optimizer, "optimizers"):
            reduced = [
                self._reduce_lr_of(inner, epoch, inner.name) for inner in optimizer.optimizers
            ]
            return any(reduced)
        return self._reduce_lr_of(optimizer, epoch)

    def _reduce_lr_of(self, optimizer, epoch, name=""):
        old_lr = float(np.asarray(optimizer.learning_rate))
        if old_lr <= np.float32(self.min_lr):
            return False
        new_lr = max(old_lr * self.factor, self.min_lr)
        optimizer.learning_rate = new_lr
        if self.verbose > 0:
            name = f" {name}" if name else ""
            io_utils.print_msg(
                f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing{name} learning rate to {new_lr}."
            )
        return True

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        logs = logs if logs is not None else {}
        logs.update(learning_rate_logs(self.model.optimizer))
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                "Learning rate reduction is conditioned on metric "
                f"`{self.monitor}` which is not available. Available metrics are: "
                f"{','.join(list(logs.keys()))}.",
                stacklevel=2,
            )
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience and self._reduce_lr(self.model.optimizer, epoch):
                self.cooldown_counter = self.cooldown
                self.wait = 0

    def in_cooldown(self):
        return self.cooldown_counter > 0
