"""LambdaCallback: a callback built from plain functions."""

from numkeras.callbacks.callback import Callback


class LambdaCallback(Callback):
    """Callback for creating simple, custom callbacks on-the-fly.

    Each function is called positionally like the hook it replaces: `on_epoch_begin(epoch,
    logs)`, `on_train_begin(logs)`, `on_train_batch_end(batch, logs)`, ...

    Args:
        on_epoch_begin: called at the beginning of every epoch.
        on_epoch_end: called at the end of every epoch.
        on_train_begin: called at the beginning of model training.
        on_train_end: called at the end of model training.
        on_train_batch_begin: called at the beginning of every train batch.
        on_train_batch_end: called at the end of every train batch.
        **kwargs: any other hook, as `hook_name=function` (e.g. `on_test_end=fn`).

    >>> seen = []
    >>> callback = LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))
    >>> callback.on_epoch_end(2, {})
    >>> seen
    [2]
    """

    def __init__(
        self,
        on_epoch_begin=None,
        on_epoch_end=None,
        on_train_begin=None,
        on_train_end=None,
        on_train_batch_begin=None,
        on_train_batch_end=None,
        **kwargs,
    ):
        super().__init__()
        hooks = {
            "on_epoch_begin": on_epoch_begin,
            "on_epoch_end": on_epoch_end,
            "on_train_begin": on_train_begin,
            "on_train_end": on_train_end,
            "on_train_batch_begin": on_train_batch_begin,
            "on_train_batch_end": on_train_batch_end,
            **kwargs,
        }
        for name, function in hooks.items():
            if function is not None and not callable(function):
                raise ValueError(
                    f"LambdaCallback: `{name}` must be a function or None, "
                    f"received {name}={function!r}."
                )
        for name, function in hooks.items():
            if function is not None:
                setattr(self, name, function)
