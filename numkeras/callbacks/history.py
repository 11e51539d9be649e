"""History: the per-epoch logs of `fit`, returned by it and kept as `model.history`."""
from numkeras.callbacks.callback import Callback


class History(Callback):
    """`history.history` maps each metric name to its list of per-epoch values."""

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)

    def set_model(self, model):
        super().set_model(model)
        model.history = self
