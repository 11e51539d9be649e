"""Callback: the hooks `fit`, `evaluate` and `predict` call, with `self.model` set."""


class Callback:
    """Base class; override any `on_*` hook. `self.model` and `self.params` are set by fit."""

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params


_HOOKS = [
    "on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_test_begin",
    "on_test_end", "on_predict_begin", "on_predict_end", "on_train_batch_begin",
    "on_train_batch_end", "on_test_batch_begin", "on_test_batch_end",
    "on_predict_batch_begin", "on_predict_batch_end",
]


def _noop(self, *args, **kwargs):
    """Does nothing; override it."""


for _hook in _HOOKS:
    setattr(Callback, _hook, _noop)
Callback.on_batch_begin = _noop
Callback.on_batch_end = _noop
