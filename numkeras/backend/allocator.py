"""glibc malloc settings that let each training step reuse the heap memory of the last one.

A training step allocates and frees arrays of 1-30 MB (patch matrices, GEMM outputs,
gradients). With glibc's defaults the heap top is handed back to the kernel after each step
and every array is page-faulted and zero-filled anew: on the tutorial CNN that was 3,500 page
faults and 10 ms of kernel time per 18 ms step. Keeping arrays below 32 MB on the heap and
trimming it only past 256 MB removes both; peak memory is unchanged, since only memory the
step already used is kept. MALLOC_* environment variables the user set take precedence.

This is a setting, on by default: `numkeras.config.set_step_memory_reuse(False)` before the
first `fit`, `evaluate`, `predict`, `*_on_batch` or optimizer `apply` call (a GradientTape
loop's step) leaves glibc's defaults alone. It is
applied once per process when the first of those starts (importing numkeras changes nothing),
and stays.
"""

import ctypes
import os
import platform

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)
MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's largest allowed value on 64-bit systems
TRIM_THRESHOLD = 256 * 1024 * 1024


def keep_step_memory():
    """Apply the settings; True when they were applied (glibc only, and not overridden)."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    if any(name.startswith("MALLOC_") for name in os.environ):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )


_state = {"reuse": True, "applied": False}


def step_memory_reuse():
    """Whether training and inference keep their step memory on the heap (default True)."""
    return _state["reuse"]


def set_step_memory_reuse(enabled):
    """Turn the malloc settings on or off; they take effect when the first step starts."""
    if not isinstance(enabled, bool):
        raise TypeError(f"`enabled` must be True or False, received {enabled!r}.")
    _state["reuse"] = enabled


def apply_step_memory_setting():
    """Apply the setting once per process (called as fit, evaluate, predict, the `*_on_batch`
    calls and an optimizer's `apply` start)."""
    if _state["reuse"] and not _state["applied"]:
        _state["applied"] = True
        keep_step_memory()
