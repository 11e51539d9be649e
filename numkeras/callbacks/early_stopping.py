"""EarlyStopping: end `fit` when a monitored metric stops improving."""

import warnings

from numkeras.backend import io_utils
from numkeras.callbacks.callback import check_argument
from numkeras.callbacks.monitor_callback import MonitorCallback


class EarlyStopping(MonitorCallback):
    """Stop training when a monitored metric has stopped improving.

    At each epoch end the monitored value is compared with the best so far; after `patience`
    epochs without an improvement of more than `min_delta`, `model.stop_training` is set.

    Args:
        monitor: quantity to be monitored. Defaults to "val_loss".
        min_delta: minimum change in the monitored quantity to qualify as an improvement.
        patience: number of epochs with no improvement after which training is stopped.
        verbose: 0 (silent) or 1 (print a message when the callback acts).
        mode: "auto", "min" or "max": whether the quantity should go down or up ("auto"
            infers it from the metric).
        baseline: a value the monitored quantity must beat; if no epoch does, training stops
            after `patience` epochs.
        restore_best_weights: at the end of training, set the weights back to those of the
            best epoch (even if none beat `baseline`).
        start_from_epoch: number of warm-up epochs before monitoring starts.

    >>> import numkeras
    >>> model = numkeras.Sequential([numkeras.Input((2,)), numkeras.layers.Dense(1)])
    >>> callback = EarlyStopping(monitor="loss", patience=2)
    >>> callback.set_model(model)
    >>> callback.on_train_begin()
    >>> for epoch, loss in enumerate([1.0, 0.5, 0.6, 0.7]):  # what fit does each epoch
    ...     callback.on_epoch_end(epoch, {"loss": loss})
    >>> model.stop_training, callback.stopped_epoch, callback.best
    (True, 3, 0.5)
    """

    def __init__(
        self,
        monitor="val_loss",
        min_delta=0,
        patience=0,
        verbose=0,
        mode="auto",
        baseline=None,
        restore_best_weights=False,
        start_from_epoch=0,
    ):
        super().__init__(monitor, mode, min_delta=min_delta)
        self.patience = check_argument(self, "patience", patience)
        check_argument(self, "start_from_epoch", start_from_epoch)
        self.verbose = verbose
        self.baseline = baseline
        self.wait = 0
        self.stopped_epoch = 0
        self.restore_best_weights = restore_best_weights
        self.best_weights = None
        self.best_epoch = 0
        self.start_from_epoch = start_from_epoch

    def on_train_begin(self, logs=None):
        # reset, so that one instance can serve several fit calls
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()  # late: compiled metrics exist after the first batch
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            # the count restarts only when both the baseline and the best are beaten
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            io_utils.print_msg(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                io_utils.print_msg(
                    "Restoring model weights from the end of the best epoch: "
                    f"{self.best_epoch + 1}."
                )
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs):
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(
                f"Early stopping conditioned on metric `{self.monitor}` which is not "
                f"available. Available metrics are: {','.join(list(logs.keys()))}",
                stacklevel=2,
            )
        return value
