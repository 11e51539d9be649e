"""CallbackList: fan each hook out to the user's callbacks plus History and the progress bar."""

from numkeras.backend import process
from numkeras.callbacks.callback import _HOOKS, Callback
from numkeras.callbacks.history import History
from numkeras.callbacks.progbar_logger import ProgbarLogger
from numkeras.tree import flatten


class CallbackList(Callback):
    """Calls every hook on each callback in turn, in the order given.

    As in Keras, `History` and then `ProgbarLogger` are appended when asked for and not
    already present, and each hook passes one shared `logs` dict along the list (so a key a
    callback adds, such as ReduceLROnPlateau's `learning_rate`, reaches those after it).

    Args:
        callbacks: a list (possibly nested) of `Callback` instances.
        add_history: append a `History` if there is none.
        add_progbar: append a `ProgbarLogger` if there is none.
        model: the model the callbacks see as `self.model`.
        **params: passed to each callback's `set_params` (verbose, epochs, steps).

    >>> calls = []
    >>> class Log(Callback):
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         calls.append(epoch)
    >>> CallbackList([Log(), [Log()]]).on_epoch_end(3)
    >>> calls
    [3, 3]
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        super().__init__()
        callbacks = flatten(callbacks) if callbacks is not None else []
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(
                    f"`callbacks` must hold numkeras.callbacks.Callback instances, got "
                    f"{type(cb).__name__}."
                )
        if not process.is_chief():  # data-parallel: files and the progress bar are process 0's
            callbacks, add_progbar = [cb for cb in callbacks if not cb.chief_only], False
        if add_history and not any(isinstance(cb, History) for cb in callbacks):
            callbacks.append(History())
        if add_progbar and not any(isinstance(cb, ProgbarLogger) for cb in callbacks):
            callbacks.append(ProgbarLogger())
        self.callbacks = callbacks
        self.set_params(params)
        if model is not None:
            self.set_model(model)

    def append(self, callback):
        self.callbacks.append(callback)

    def set_params(self, params):
        self.params = params
        for cb in self.callbacks:
            cb.set_params(params)

    def set_model(self, model):
        self.model = model
        for cb in self.callbacks:
            cb.set_model(model)

    def on_epoch_end(self, epoch, logs=None):
        """Call `on_epoch_end` on every callback; if one raises, a History not yet reached
        still records the epoch (its training finished), then the exception goes on."""
        logs = {} if logs is None else logs
        for i, cb in enumerate(self.callbacks):
            try:
                cb.on_epoch_end(epoch, logs)
            except BaseException:
                for later in self.callbacks[i + 1 :]:
                    if isinstance(later, History):
                        later.on_epoch_end(epoch, logs)
                raise


def _fan_out(name):
    # as Keras calls them: `on_*_batch_*(batch, logs=logs)`, `on_epoch_*(epoch, logs)`,
    # `on_*_begin/end(logs)`; logs are always a dict (a new one when None is given)
    if "batch" in name:

        def hook(self, batch, logs=None):
            logs = {} if logs is None else logs
            for cb in self.callbacks:
                getattr(cb, name)(batch, logs=logs)
    elif "epoch" in name:

        def hook(self, epoch, logs=None):
            logs = {} if logs is None else logs
            for cb in self.callbacks:
                getattr(cb, name)(epoch, logs)
    else:

        def hook(self, logs=None):
            logs = {} if logs is None else logs
            for cb in self.callbacks:
                getattr(cb, name)(logs)

    hook.__name__ = name
    hook.__doc__ = f"Call `{name}` on every callback."
    return hook


for _hook in _HOOKS + ["on_batch_begin", "on_batch_end"]:
    if _hook not in vars(CallbackList):  # hooks the class defines itself stay
        setattr(CallbackList, _hook, _fan_out(_hook))
