"""LearningRateScheduler: set the learning rate from `schedule(epoch, lr)` before each epoch."""

import numpy as np

from numkeras.backend import io_utils
from numkeras.callbacks.callback import Callback


class LearningRateScheduler(Callback):
    """Set the optimizer's learning rate at the start of every epoch.

    Args:
        schedule: a function `(epoch, lr) -> new_lr` taking the 0-based epoch index and the
            current rate as a float and returning a float (a one-argument `schedule(epoch)`
            is also accepted, as in Keras).
        verbose: 0 (quiet) or 1 (print the new rate each epoch).

    Each epoch's logs gain a `learning_rate` entry.

    >>> import numpy as np, numkeras
    >>> model = numkeras.Sequential([numkeras.Input((20,)), numkeras.layers.Dense(10)])
    >>> model.compile(numkeras.optimizers.SGD(), loss="mse")
    >>> schedule = lambda epoch, lr: lr if epoch < 10 else lr * float(np.exp(-0.1))
    >>> history = model.fit(np.ones((5, 20)), np.zeros((5, 10)), epochs=15,
    ...                     callbacks=[LearningRateScheduler(schedule)], verbose=0)
    >>> round(float(model.optimizer.learning_rate), 5)
    0.00607
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise ValueError(
                "LearningRateScheduler: `schedule` must be a function of (epoch, lr) "
                f"returning the new learning rate, received schedule={schedule!r}."
            )
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        if hasattr(optimizer, "optimizers"):  # a MultiOptimizer: each sub-optimizer's rate
            for inner in optimizer.optimizers:
                rate = self._update_lr(inner, epoch)
                if self.verbose > 0:
                    io_utils.print_msg(
                        f"\nEpoch {epoch + 1}: LearningRateScheduler setting {inner.name} "
                        f"learning rate to {rate}."
                    )
            return
        rate = self._update_lr(optimizer, epoch)
        if self.verbose > 0:
            io_utils.print_msg(
                f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {rate}."
            )

    def _update_lr(self, optimizer, epoch):
        if not hasattr(optimizer, "learning_rate"):
            raise ValueError('Optimizer must have a "learning_rate" attribute.')
        try:
            learning_rate = self.schedule(epoch, float(np.asarray(optimizer.learning_rate)))
        except TypeError:  # the old one-argument API
            learning_rate = self.schedule(epoch)
        if not isinstance(learning_rate, (float, np.float32, np.float64)):
            raise ValueError(
                f"The output of the `schedule` function should be a float. Got: {learning_rate}"
            )
        optimizer.learning_rate = learning_rate
        return learning_rate

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs.update(learning_rate_logs(self.model.optimizer))


def learning_rate_logs(optimizer):
    """`{"learning_rate": lr}`, or for a MultiOptimizer `{"learning_rate_<name>": lr}` per
    sub-optimizer, as Keras's callbacks log them."""
    if hasattr(optimizer, "optimizers"):
        return {
            f"learning_rate_{inner.name}": float(np.asarray(inner.learning_rate))
            for inner in optimizer.optimizers
        }
    return {"learning_rate": float(np.asarray(optimizer.learning_rate))}
