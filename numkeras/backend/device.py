"""`numkeras.device`: Keras's device-placement scope; NumPy computes on the CPU only."""

import contextlib
import threading

__all__ = ["device", "get_device"]

_state = threading.local()


@contextlib.contextmanager
def device(device_name):
    """Run the block on `device_name`: "cpu" or "cpu:0" (any case), the one device numkeras
    has; the block sees the normalized name.

    >>> with device("CPU:0") as name:
    ...     name, get_device()
    ('cpu:0', 'cpu:0')
    """
    if not isinstance(device_name, str):
        raise ValueError(
            "Invalid value for argument `device_name`. Expected a string like 'gpu:0' or "
            f"'cpu'. Received: device_name='{device_name}'"
        )
    name = device_name.lower()
    if name not in ("cpu", "cpu:0", "/cpu:0", "/device:cpu:0"):
        raise ValueError(
            f"numkeras computes with NumPy on the CPU only: device_name must be 'cpu' or "
            f"'cpu:0'. Received: device_name='{device_name}'"
        )
    previous = getattr(_state, "device", None)
    _state.device = "cpu:0"
    try:
        yield _state.device
    finally:
        _state.device = previous


def get_device():
    """The device computations run on: always "cpu:0"."""
    return getattr(_state, "device", None) or "cpu:0"
