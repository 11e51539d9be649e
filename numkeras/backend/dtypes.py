"""Dtype names as Keras standardizes them, and the dtype of mixed operands."""

import numpy as np

from numkeras.backend.config import floatx

ALLOWED_DTYPES = (
    "float16",
    "float32",
    "float64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "int8",
    "int16",
    "int32",
    "int64",
    "bfloat16",
    "bool",
    "string",
    "float8_e4m3fn",
    "float8_e5m2",
    "complex64",
    "complex128",
)
PYTHON_DTYPES = {
    bool: "bool",
    int: "int32",
    float: "float32",
    str: "string",
    "int": "int32",
    complex: "complex64",
}


def standardize_dtype(dtype):
    """Keras's name of `dtype` (None is floatx(); Python types map as on torch and JAX)."""
    if dtype is None:
        return floatx()
    dtype = PYTHON_DTYPES.get(dtype, dtype)
    if hasattr(dtype, "name"):
        dtype = dtype.name
    elif hasattr(dtype, "__name__"):
        dtype = dtype.__name__
    if dtype not in ALLOWED_DTYPES:
        raise ValueError(f"Invalid dtype: {dtype}")
    return dtype


def is_float_dtype(dtype):
    dtype = standardize_dtype(dtype)
    return dtype.startswith(("float", "bfloat"))


def is_int_dtype(dtype):
    dtype = standardize_dtype(dtype)
    return dtype.startswith(("int", "uint"))


def result_type(*dtypes):
    """The dtype of an op on operands of these dtypes, by Keras's JAX-like rules for the
    common cases: any float wins over ints and bools (the widest float present), ints
    promote as NumPy's do, and no dtypes give floatx(). Unlike Keras on torch and JAX, 64-bit
    results stay 64-bit: numkeras computes in float64 when asked."""
    names = [standardize_dtype(d) for d in dtypes]
    if not names:
        return floatx()
    floats = [n for n in names if is_float_dtype(n)]
    if floats:
        return max(floats, key=lambda n: np.dtype(n).itemsize)
    return np.result_type(*names).name
