"""Dtype changes beyond `cast`: saturating casts, bit views, and complex <-> (real, imag) views."""

import numpy as np

from numkeras.engine import math_ops as m
from numkeras.engine.tensor import Tensor, as_array, as_tensor


def _limits(dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return 0, 1
    info = np.iinfo(dtype) if dtype.kind in "iu" else np.finfo(dtype)
    return info.min, info.max


def saturate_cast(x, dtype):
    """Cast after clipping into the target dtype's range, so out-of-range values saturate."""
    x = as_tensor(x)
    source = x.data.dtype
    in_min, in_max = _limits(source)
    out_min, out_max = _limits(dtype)
    low = np.asarray(max(in_min, out_min)).astype(source)
    if low < out_min:  # not representable in the input dtype: step inside the range
        low = np.nextafter(low, 0, dtype=source)
    high = np.asarray(min(in_max, out_max)).astype(source)
    if high > out_max:
        high = np.nextafter(high, 0, dtype=source)
    return m.cast(m.clip(x, low, high), dtype)


def view(x, dtype=None):
    """The same bytes read as another dtype (the last axis rescales with the item size)."""
    data = as_array(x)
    return Tensor(data if dtype is None else data.view(np.dtype(dtype)))


def view_as_real(x):
    """A complex tensor as (..., 2) real parts and imaginary parts."""
    data = as_array(x)
    if data.dtype.kind != "c":
        raise ValueError(f"Op `view_as_real`: expected a complex tensor, got {data.dtype}.")
    return Tensor(np.stack([data.real, data.imag], -1))


def view_as_complex(x):
    """A (..., 2) real tensor as complex values."""
    data = as_array(x)
    if data.shape[-1:] != (2,):
        raise ValueError(
            f"Op `view_as_complex`: the last axis must have size 2, got shape {data.shape}."
        )
    return Tensor(data[..., 0] + 1j * data[..., 1])


def polar(abs_, angle):
    """The complex number abs_ * exp(1j * angle)."""
    r, t = as_array(abs_), as_array(angle)
    return Tensor(r * np.cos(t) + 1j * (r * np.sin(t)))


__all__ = ["polar", "saturate_cast", "view", "view_as_complex", "view_as_real"]
