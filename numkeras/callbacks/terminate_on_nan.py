"""TerminateOnNaN: stop `fit` at the first NaN or infinite loss (and `fit`'s warning without it)."""

import math
import warnings

from numkeras.callbacks.callback import Callback
from numkeras.tree import flatten


def _bad_loss(logs):
    loss = (logs or {}).get("loss")
    return loss is not None and not math.isfinite(float(loss))


class TerminateOnNaN(Callback):
    """Terminate training when a NaN or infinite loss is encountered.

    By default training stops gracefully after the batch (`model.stop_training = True`, so
    every callback's `on_train_end` still runs); with `raise_error=True` a `RuntimeError` is
    raised at once instead, skipping `on_train_end` (so that, e.g., a `BackupAndRestore`
    checkpoint is kept).

    Args:
        raise_error: raise instead of stopping gracefully.

    >>> callback = TerminateOnNaN(raise_error=True)
    >>> callback.on_batch_end(4, {"loss": float("nan")})
    Traceback (most recent call last):
    RuntimeError: NaN or Inf loss encountered at epoch 1, batch 4. Loss value: nan. ...
    """

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = raise_error
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_batch_end(self, batch, logs=None):
        if not _bad_loss(logs):
            return
        where = f"epoch {self._epoch + 1}, batch {batch}"
        if self.raise_error:
            raise RuntimeError(
                f"NaN or Inf loss encountered at {where}. Loss value: "
                f"{logs['loss']}. Terminating training immediately."
            )
        print(f"Epoch {self._epoch + 1}, batch {batch}: Invalid loss, terminating training")
        self.model.stop_training = True


class NonFiniteLossWarning(Callback):
    """Added by `fit` when no TerminateOnNaN is given: warns once when the loss turns NaN/Inf."""

    def on_train_begin(self, logs=None):
        self._warned = False
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if not getattr(self, "_warned", False) and _bad_loss(logs):
            self._warned = True
            warnings.warn(
                f"The loss became {logs['loss']} at epoch {self._epoch + 1}, batch {batch}; "
                "training continues but the weights are likely no longer finite. Lower the "
                "learning rate, check the data for NaN/Inf, or pass "
                "callbacks=[numkeras.callbacks.TerminateOnNaN()] to stop at the first bad loss.",
                RuntimeWarning,
                stacklevel=4,  # the user's `fit` call
            )


def with_nan_warning(callbacks):
    """`callbacks` as a list, plus a NonFiniteLossWarning unless a TerminateOnNaN is there."""
    callbacks = flatten(callbacks) if callbacks is not None else []
    if any(isinstance(cb, TerminateOnNaN) for cb in callbacks):
        return callbacks
    return callbacks + [NonFiniteLossWarning()]
