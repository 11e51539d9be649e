"""History: the per-epoch logs of `fit`, returned by it and kept as `model.history`."""

from numkeras.callbacks.callback import Callback


class History(Callback):
    """Records each epoch's logs; `fit` adds one and returns it.

    `history.history` maps each metric name to its list of per-epoch values and
    `history.epoch` lists the (0-based) epochs run. An epoch is recorded only once it has
    finished, so after an interrupted `fit` it holds the completed epochs.

    >>> history = History()
    >>> history.on_train_begin()
    >>> history.on_epoch_end(0, {"loss": 0.5})
    >>> history.history, history.epoch
    ({'loss': [0.5]}, [0])
    """

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
        if self.model is not None:
            self.model.history = self

    def set_model(self, model):
        super().set_model(model)
        if model is not None:
            model.history = self
