"""`numkeras.config`: global settings, as `keras.config`, plus the NaN policy for input data.

Keras's settings (`floatx`, `epsilon`, `image_data_format` and their setters, `backend`) are
the ones in `numkeras.backend`. numkeras adds two of its own:

- `set_step_memory_reuse(True)` (the default): on Linux with glibc, the first `fit`,
  `evaluate` or `predict` sets malloc to keep arrays under 32 MB on the heap, so each step
  reuses the last one's memory instead of faulting in fresh pages (numkeras/backend/
  allocator.py). `set_step_memory_reuse(False)` before then leaves glibc's defaults;
  `MALLOC_*` environment variables always win. Importing numkeras changes nothing.

- `set_nan_policy("raise")` (the default): NaN or infinite values in the arrays given to
  `fit`, `evaluate`, `predict` or `*_on_batch` (inputs, targets, sample weights) raise a
  ValueError that counts them, before anything is trained.
- `set_nan_policy("warn")`: the same finding is a `UserWarning`, and the call goes on (the
  loss is then likely NaN too: `callbacks.TerminateOnNaN` stops training at the first such
  batch, and without it `fit` warns once).
- `set_blas_threads(n)` fixes the number of BLAS threads (`None`: numkeras chooses them from
  the cores other processes leave free, see `numkeras/backend/blas_threads.py`);
  `blas_threads()` is the count in use.

Traceback filtering, which Keras can switch on and off here, does not exist in numkeras:
errors about arguments are raised from the public call itself and no frame is ever hidden,
so `is_traceback_filtering_enabled()` is always False and the switches do nothing.
"""

import os

from numkeras.backend import backend
from numkeras.backend.allocator import set_step_memory_reuse, step_memory_reuse
from numkeras.backend.blas_threads import blas_threads, set_blas_threads
from numkeras.backend.config import (
    epsilon,
    floatx,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)
from numkeras.backend.dtype_policies import dtype_policy, set_dtype_policy
from numkeras.backend.io_utils import (
    disable_interactive_logging,
    enable_interactive_logging,
    is_interactive_logging_enabled,
)

__all__ = [
    "disable_flash_attention",
    "enable_flash_attention",
    "is_flash_attention_enabled",
    "disable_interactive_logging",
    "dtype_policy",
    "enable_interactive_logging",
    "set_dtype_policy",
    "is_interactive_logging_enabled",
    "max_epochs",
    "max_steps_per_epoch",
    "set_max_epochs",
    "set_max_steps_per_epoch",
    "backend",
    "blas_threads",
    "disable_traceback_filtering",
    "enable_unsafe_deserialization",
    "enable_traceback_filtering",
    "epsilon",
    "floatx",
    "image_data_format",
    "is_traceback_filtering_enabled",
    "nan_policy",
    "set_blas_threads",
    "set_epsilon",
    "set_floatx",
    "set_image_data_format",
    "set_nan_policy",
    "set_step_memory_reuse",
    "step_memory_reuse",
]

NAN_POLICIES = ("raise", "warn")
_state = {
    "nan_policy": "raise",
    # debugging caps on every fit (and every epoch of fit/evaluate/predict), as Keras's
    "max_epochs": int(os.environ["KERAS_MAX_EPOCHS"])
    if os.environ.get("KERAS_MAX_EPOCHS")
    else None,
    "max_steps_per_epoch": int(os.environ["KERAS_MAX_STEPS_PER_EPOCH"])
    if os.environ.get("KERAS_MAX_STEPS_PER_EPOCH")
    else None,
}


def set_max_epochs(max_epochs):
    """Cap the epochs of every `fit` at `max_epochs` (None: no cap), for quick debugging
    runs; the `KERAS_MAX_EPOCHS` environment variable sets it at import."""
    _state["max_epochs"] = max_epochs


def max_epochs():
    """The cap `set_max_epochs` set, or None."""
    return _state["max_epochs"]


def set_max_steps_per_epoch(max_steps_per_epoch):
    """Cap the batches of each epoch of `fit`, `evaluate` and `predict` (None: no cap); the
    `KERAS_MAX_STEPS_PER_EPOCH` environment variable sets it at import."""
    _state["max_steps_per_epoch"] = max_steps_per_epoch


def max_steps_per_epoch():
    """The cap `set_max_steps_per_epoch` set, or None."""
    return _state["max_steps_per_epoch"]


def nan_policy():
    """What happens to NaN or infinite values in input data: `"raise"` (default) or `"warn"`.

    >>> nan_policy()
    'raise'
    """
    return _state["nan_policy"]


def set_nan_policy(policy):
    """Choose between an error (`"raise"`) and a warning (`"warn"`) for NaN/inf in input data.

    Args:
        policy: `"raise"` or `"warn"`.

    >>> set_nan_policy("warn")
    >>> nan_policy()
    'warn'
    >>> set_nan_policy("raise")
    >>> set_nan_policy("ignore")
    Traceback (most recent call last):
    ValueError: Invalid `policy` for set_nan_policy: expected one of ('raise', 'warn'), ...
    """
    if policy not in NAN_POLICIES:
        raise ValueError(
            f"Invalid `policy` for set_nan_policy: expected one of {NAN_POLICIES}, "
            f"received policy={policy!r}."
        )
    _state["nan_policy"] = policy


def is_flash_attention_enabled():
    """None (Keras's "choose automatically") unless set: numkeras has no flash attention
    kernel, so the setting is only recorded; attention always runs the plain computation."""
    return _state.get("flash_attention")


def enable_flash_attention():
    """Record the request (see `is_flash_attention_enabled`); attention is unchanged."""
    _state["flash_attention"] = True


def disable_flash_attention():
    """Record the request (see `is_flash_attention_enabled`); attention is unchanged."""
    _state["flash_attention"] = False


def is_traceback_filtering_enabled():
    """Always False: numkeras never hides frames from a traceback."""
    return False


def enable_traceback_filtering():
    """Does nothing (kept so Keras scripts run): numkeras has no traceback filtering."""


def disable_traceback_filtering():
    """Does nothing (kept so Keras scripts run): numkeras has no traceback filtering."""


def enable_unsafe_deserialization():
    """Kept so Keras scripts run; numkeras stays safe: Keras would now load lambdas' Python
    bytecode from files, numkeras never executes code from a file and still refuses them."""
