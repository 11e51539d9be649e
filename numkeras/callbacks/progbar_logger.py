"""ProgbarLogger: drives the progress bar from the training loop's logs."""

from numkeras.backend import io_utils
from numkeras.callbacks.callback import Callback
from numkeras.utils.progbar import Progbar


class ProgbarLogger(Callback):
    """Prints `Epoch i/N` and one bar per epoch (or per evaluate/predict call).

    When the number of steps is unknown (a generator without `steps_per_epoch`), the bar
    counts up and takes the number of batches seen as its target when it finishes.
    """

    chief_only = True  # writes files or prints

    def __init__(self):
        super().__init__()
        self.progbar = None
        self.seen = 0

    def _start(self, target):
        self.seen = 0
        self.progbar = Progbar(target, verbose=self.params.get("verbose", 1))

    def _update(self, batch, logs):
        self.seen = batch + 1
        self.progbar.update(self.seen, list((logs or {}).items()), finalize=False)

    def _finish(self, logs):
        if self.progbar.target is None:
            self.progbar.target = self.seen
        self.progbar.update(self.progbar.target, list((logs or {}).items()), finalize=True)

    def on_epoch_begin(self, epoch, logs=None):
        epochs = self.params.get("epochs", 1)
        if epochs > 1 and self.params.get("verbose", 1):
            io_utils.print_msg(f"Epoch {epoch + 1}/{epochs}")
        self._start(self.params.get("steps"))

    def on_train_batch_end(self, batch, logs=None):
        self._update(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._finish(logs)

    def on_test_begin(self, logs=None):
        if self.params.get("mode") == "test":
            self._start(self.params.get("steps"))

    def on_test_batch_end(self, batch, logs=None):
        if self.params.get("mode") == "test":
            self._update(batch, dict(sorted((logs or {}).items())))

    def on_test_end(self, logs=None):
        if self.params.get("mode") == "test":
            self._finish(dict(sorted((logs or {}).items())))

    def on_predict_begin(self, logs=None):
        self._start(self.params.get("steps"))

    def on_predict_batch_end(self, batch, logs=None):
        self._update(batch, None)

    def on_predict_end(self, logs=None):
        self._finish(None)
