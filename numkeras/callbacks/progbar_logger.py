"""ProgbarLogger: drives the progress bar from the training loop's logs."""
from numkeras.callbacks.callback import Callback
from numkeras.utils.progbar import Progbar


class ProgbarLogger(Callback):
    """Prints `Epoch i/N` and one bar per epoch (or per evaluate/predict call)."""

    def __init__(self):
        super().__init__()
        self.progbar = None

    def _start(self, target):
        self.progbar = Progbar(target, verbose=self.params.get("verbose", 1))

    def on_epoch_begin(self, epoch, logs=None):
        epochs = self.params.get("epochs", 1)
        if epochs > 1 and self.params.get("verbose", 1):
            print(f"Epoch {epoch + 1}/{epochs}")
        self._start(self.params.get("steps"))

    def on_train_batch_end(self, batch, logs=None):
        self.progbar.update(batch + 1, list((logs or {}).items()), finalize=False)

    def on_epoch_end(self, epoch, logs=None):
        self.progbar.update(self.progbar.target or 0, list((logs or {}).items()), finalize=True)

    def on_test_begin(self, logs=None):
        if self.params.get("mode") == "test":
            self._start(self.params.get("steps"))

    def on_test_batch_end(self, batch, logs=None):
        if self.params.get("mode") == "test":
            self.progbar.update(batch + 1, list(sorted((logs or {}).items())), finalize=False)

    def on_test_end(self, logs=None):
        if self.params.get("mode") == "test":
            self.progbar.update(self.progbar.target, list(sorted((logs or {}).items())),
                                finalize=True)

    def on_predict_begin(self, logs=None):
        self._start(self.params.get("steps"))

    def on_predict_batch_end(self, batch, logs=None):
        self.progbar.update(batch + 1, finalize=False)

    def on_predict_end(self, logs=None):
        self.progbar.update(self.progbar.target, finalize=True)
