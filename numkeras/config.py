"""`numkeras.config`: global settings, as `keras.config`, plus the NaN policy for input data.

Keras's settings (`floatx`, `epsilon`, `image_data_format` and their setters, `backend`) are
the ones in `numkeras.backend`. numkeras adds two of its own:

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
from numkeras.backend import backend
from numkeras.backend.blas_threads import blas_threads, set_blas_threads
from numkeras.backend.config import (
    epsilon,
    floatx,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)

__all__ = [
    "backend", "blas_threads", "disable_traceback_filtering", "enable_unsafe_deserialization",
    "enable_traceback_filtering", "epsilon", "floatx", "image_data_format",
    "is_traceback_filtering_enabled", "nan_policy", "set_blas_threads", "set_epsilon",
    "set_floatx", "set_image_data_format", "set_nan_policy",
]

NAN_POLICIES = ("raise", "warn")
_state = {"nan_policy": "raise"}


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
