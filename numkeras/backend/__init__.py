"""`numkeras.backend`: global settings and session state (`clear_session`, `floatx`, ...)."""
import gc

from numkeras.backend import naming
from numkeras.backend.config import (
    epsilon,
    floatx,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)

__all__ = [
    "backend", "clear_session", "epsilon", "floatx", "image_data_format", "naming",
    "set_epsilon", "set_floatx", "set_image_data_format",
]


def backend():
    """The name of the engine doing the math: always `"numpy"`."""
    return "numpy"


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
    if free_memory:
        gc.collect()
