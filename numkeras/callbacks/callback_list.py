"""CallbackList: fan each hook out to the user's callbacks plus History and the progress bar."""
from numkeras.callbacks.callback import _HOOKS, Callback
from numkeras.callbacks.history import History
from numkeras.callbacks.progbar_logger import ProgbarLogger


class CallbackList:
    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None,
                 **params):
        callbacks = list(callbacks or [])
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(
                    f"`callbacks` must hold numkeras.callbacks.Callback instances, got "
                    f"{type(cb).__name__}."
                )
        if add_progbar and not any(isinstance(cb, ProgbarLogger) for cb in callbacks):
            callbacks.append(ProgbarLogger())
        if add_history:
            callbacks.append(History())
        self.callbacks = callbacks
        for cb in callbacks:
            cb.set_params(params)
            cb.set_model(model)


def _fan_out(name):
    def hook(self, *args, **kwargs):
        for cb in self.callbacks:
            getattr(cb, name)(*args, **kwargs)

    hook.__name__ = name
    return hook


for _hook in _HOOKS:
    setattr(CallbackList, _hook, _fan_out(_hook))
