"""`numkeras.backend`: global settings and session state (`clear_session`, `floatx`, ...)."""

import gc

from numkeras.backend import dtype_policies, naming
from numkeras.backend.config import (
    epsilon,
    floatx,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)
from numkeras.backend.dtypes import (
    is_float_dtype,
    is_int_dtype,
    result_type,
    standardize_dtype,
)

__all__ = [
    "get_uid",
    "is_float_dtype",
    "is_int_dtype",
    "is_keras_tensor",
    "result_type",
    "standardize_dtype",
    "backend",
    "clear_session",
    "epsilon",
    "floatx",
    "image_data_format",
    "naming",
    "set_epsilon",
    "set_floatx",
    "set_image_data_format",
]


def backend():
    """The name of the engine doing the math: always `"numpy"`."""
    return "numpy"


def get_uid(prefix=""):
    """1, 2, 3, ... for successive calls with the same `prefix` in a session (reset by
    `clear_session`).

    >>> clear_session()
    >>> get_uid("dense"), get_uid("dense"), get_uid("conv")
    (1, 2, 1)
    >>> clear_session()
    """
    naming.uids[prefix] = naming.uids.get(prefix, 0) + 1
    return naming.uids[prefix]


def is_keras_tensor(x):
    """Whether `x` is a symbolic KerasTensor (a functional model's input or layer output);
    known by its class, as the backend sits below the layers that define it."""
    return any(
        c.__name__ == "KerasTensor" and c.__module__.startswith("numkeras.")
        for c in type(x).__mro__
    )


def clear_session(free_memory=True):
    """Reset the session state, so automatic layer names start again at `dense`, `conv2d`, ...

    Args:
        free_memory: also run Python's garbage collector, as Keras does.

    >>> _ = naming.auto_name("dense")
    >>> clear_session()
    >>> naming.auto_name("dense")
    'dense'
    >>> clear_session()
    """
    naming.reset()
    dtype_policies._global["policy"] = None  # Keras's clear_session drops the global policy
    if free_memory:
        gc.collect()
