"""Ops that make new tensors or leave the graph: conversion, constants, stop_gradient."""

import numpy as np

from numkeras.backend.config import floatx
from numkeras.engine.tensor import Tensor, as_array, as_tensor


def convert_to_tensor(x, dtype=None, sparse=None):
    """A Tensor from an array, list, number, Tensor or Variable (Variables pass through)."""
    return as_tensor(x, dtype)


def convert_to_numpy(x):
    """A NumPy array with the values of `x`."""
    return np.array(as_array(x))


def stop_gradient(x):
    return Tensor(as_array(x))


def zeros(shape, dtype=None):
    return Tensor(np.zeros(shape, dtype=dtype or floatx()))


def ones(shape, dtype=None):
    return Tensor(np.ones(shape, dtype=dtype or floatx()))


def full(shape, fill_value, dtype=None):
    return Tensor(np.full(shape, fill_value, dtype=dtype or as_array(fill_value).dtype))


def eye(N, M=None, k=0, dtype=None):
    return Tensor(np.eye(N, M, k, dtype=dtype or floatx()))


def arange(start, stop=None, step=1, dtype=None):
    values = np.arange(start, stop, step)
    if dtype is None:
        dtype = "int32" if values.dtype.kind == "i" else floatx()
    return Tensor(values.astype(dtype))


def linspace(start, stop, num=50, endpoint=True, dtype=None):
    return Tensor(np.linspace(start, stop, num, endpoint=endpoint).astype(dtype or floatx()))


def is_tensor(x):
    return isinstance(x, Tensor)


def dtype(x):
    return as_tensor(x).dtype
