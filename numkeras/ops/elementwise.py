"""Elementwise math beyond the engine's core: trig, hyperbolic, exponent/log variants, rounding,
special functions, complex parts, and binary ops such as arctan2, hypot and logaddexp."""

import math

import numpy as np

from numkeras.backend.config import floatx
from numkeras.engine.math_ops import _binary, _unary, pair
from numkeras.engine.tensor import Tensor, as_array, as_tensor


def _floating(x):
    """`x` as a Tensor, integers and bools cast to floatx (Keras's result dtype for float math)."""
    x = as_tensor(x)
    if x.data.dtype.kind in "biu":
        return Tensor(x.data.astype(floatx()))
    return x


def _float_op(name, forward, derivative):
    """An elementwise float op; `derivative(x, y)` is dy/dx (None: piecewise constant)."""

    def op(x):
        if derivative is None:
            return Tensor(forward(as_array(_floating(x))))
        return _unary(name, _floating(x), forward, lambda g, x, y: g * derivative(x, y))

    op.__name__ = name
    op.__doc__ = f"Elementwise `{name}`, as `keras.ops.{name}`."
    return op


_LN2, _LN10 = math.log(2.0), math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _np_erf(x):
    """erf to float64 accuracy via math.erf (NumPy has no erf ufunc)."""
    return np.vectorize(math.erf, otypes=[np.float64])(x).astype(x.dtype)


def _np_erfinv(y):
    """Inverse erf: a rational first guess, then Newton steps on erf (quadratic convergence)."""
    y64 = np.asarray(y, np.float64)
    w = -np.log(np.clip((1 - y64) * (1 + y64), 1e-300, None))
    t = 2 / (math.pi * 0.147) - w / 2  # Winitzki's approximation
    x = np.sign(y64) * np.sqrt(np.sqrt(t * t + w / 0.147) - t)
    for _ in range(4):
        err = _np_erf(x) - y64
        x = x - err / (_TWO_OVER_SQRT_PI * np.exp(-x * x))
    x = np.where(np.abs(y64) == 1, np.copysign(np.inf, y64), x)
    return np.where(np.abs(y64) > 1, np.nan, x).astype(np.asarray(y).dtype)


def _i0(x):
    return np.i0(x).astype(x.dtype)


def _i1(x):
    """Modified Bessel function I1 by its power series (the derivative of i0)."""
    x64 = np.asarray(x, np.float64)
    half, term, total = x64 / 2, x64 / 2, x64 / 2
    for k in range(1, 60):
        term = term * half * half / (k * (k + 1))
        total = total + term
    return total.astype(x.dtype)


def _sinc_derivative(x, y):
    px = np.pi * np.where(x == 0, 1, x)
    return np.where(x == 0, 0, (np.cos(px) * np.pi - y * np.pi) / px)


tan = _float_op("tan", np.tan, lambda x, y: 1 + y * y)
arcsin = _float_op("arcsin", np.arcsin, lambda x, y: 1 / np.sqrt(1 - x * x))
arccos = _float_op("arccos", np.arccos, lambda x, y: -1 / np.sqrt(1 - x * x))
arctan = _float_op("arctan", np.arctan, lambda x, y: 1 / (1 + x * x))
sinh = _float_op("sinh", np.sinh, lambda x, y: np.cosh(x))
cosh = _float_op("cosh", np.cosh, lambda x, y: np.sinh(x))
arcsinh = _float_op("arcsinh", np.arcsinh, lambda x, y: 1 / np.sqrt(x * x + 1))
arccosh = _float_op("arccosh", np.arccosh, lambda x, y: 1 / np.sqrt(x * x - 1))
arctanh = _float_op("arctanh", np.arctanh, lambda x, y: 1 / (1 - x * x))
exp2 = _float_op("exp2", np.exp2, lambda x, y: y * x.dtype.type(_LN2))
expm1 = _float_op("expm1", np.expm1, lambda x, y: y + 1)
log2 = _float_op("log2", np.log2, lambda x, y: 1 / (x * x.dtype.type(_LN2)))
log10 = _float_op("log10", np.log10, lambda x, y: 1 / (x * x.dtype.type(_LN10)))
cbrt = _float_op("cbrt", np.cbrt, lambda x, y: 1 / (3 * y * y))
reciprocal = _float_op("reciprocal", np.reciprocal, lambda x, y: -y * y)
deg2rad = _float_op("deg2rad", np.deg2rad, lambda x, y: np.full_like(x, np.pi / 180))
rad2deg = _float_op("rad2deg", np.rad2deg, lambda x, y: np.full_like(x, 180 / np.pi))
erf = _float_op("erf", _np_erf, lambda x, y: _TWO_OVER_SQRT_PI * np.exp(-x * x))
erfc = _float_op("erfc", lambda x: 1 - _np_erf(x), lambda x, y: -_TWO_OVER_SQRT_PI * np.exp(-x * x))
erfinv = _float_op("erfinv", _np_erfinv, lambda x, y: np.exp(y * y) / _TWO_OVER_SQRT_PI)
sinc = _float_op("sinc", np.sinc, _sinc_derivative)
i0 = _float_op("i0", _i0, lambda x, y: _i1(x))
fabs = _float_op("fabs", np.fabs, lambda x, y: np.sign(x))
ceil = _float_op("ceil", np.ceil, None)
trunc = _float_op("trunc", np.trunc, None)


def signbit(x):
    return Tensor(np.signbit(as_array(x)))


def isinf(x):
    return Tensor(np.isinf(as_array(x)))


def isposinf(x):
    return Tensor(np.isposinf(as_array(x)))


def isneginf(x):
    return Tensor(np.isneginf(as_array(x)))


def isreal(x):
    return Tensor(np.isreal(as_array(x)))


def conj(x):
    x = as_tensor(x)
    return _unary("conj", x, np.conj, lambda g, x, y: np.conj(g))


conjugate = conj


def real(x):
    x = as_tensor(x)
    return _unary("real", x, lambda d: np.real(d).copy(), lambda g, x, y: g.astype(x.dtype))


def imag(x):
    x = as_tensor(x)
    if x.data.dtype.kind != "c":
        return Tensor(np.zeros_like(x.data))
    return _unary("imag", x, lambda d: np.imag(d).copy(), lambda g, x, y: (1j * g).astype(x.dtype))


def angle(x):
    """The complex argument; for real inputs 0 or pi (as float32 for integers)."""
    x = _floating(x)
    return Tensor(np.angle(x.data).astype(np.real(x.data).dtype))


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    x = as_tensor(x)
    data = x.data
    y = np.nan_to_num(data, nan=nan, posinf=posinf, neginf=neginf)
    return Tensor(y, (x,), lambda g: (g * np.isfinite(data),), "nan_to_num")


def trapezoid(y, x=None, dx=1.0, axis=-1):
    """The integral of `y` by the trapezoidal rule, along `axis`."""
    from numkeras.engine.math_ops import sum as _sum
    from numkeras.engine.shape_ops import getitem

    y = _floating(y)
    ax = axis % y.ndim
    lo = (slice(None),) * ax + (slice(None, -1),)
    hi = (slice(None),) * ax + (slice(1, None),)
    spacing = dx if x is None else diff(x, axis=axis)
    return _sum((getitem(y, lo) + getitem(y, hi)) * spacing / 2.0, axis=ax)


def diff(a, n=1, axis=-1):
    """The n-th discrete difference along `axis`."""
    from numkeras.engine.shape_ops import getitem

    a = as_tensor(a)
    ax = axis % a.ndim
    for _ in range(n):
        a = getitem(a, (slice(None),) * ax + (slice(1, None),)) - getitem(
            a, (slice(None),) * ax + (slice(None, -1),)
        )
    return a


# --- binary --------------------------------------------------------------------------------


def _float_pair(name, x1, x2):
    a, b = pair(name, x1, x2)
    if a.data.dtype.kind in "biu" and b.data.dtype.kind in "biu":
        a, b = Tensor(a.data.astype(floatx())), Tensor(b.data.astype(floatx()))
    return a, b


def arctan2(x1, x2):
    def ga(g, a, b, y):
        return g * b / (a * a + b * b)

    def gb(g, a, b, y):
        return -g * a / (a * a + b * b)

    return _binary("arctan2", *_float_pair("arctan2", x1, x2), np.arctan2, ga, gb)


def hypot(x1, x2):
    return _binary(
        "hypot",
        *_float_pair("hypot", x1, x2),
        np.hypot,
        lambda g, a, b, y: g * a / y,
        lambda g, a, b, y: g * b / y,
    )


def logaddexp(x1, x2):
    return _binary(
        "logaddexp",
        *_float_pair("logaddexp", x1, x2),
        np.logaddexp,
        lambda g, a, b, y: g * np.exp(a - y),
        lambda g, a, b, y: g * np.exp(b - y),
    )


def logaddexp2(x1, x2):
    return _binary(
        "logaddexp2",
        *_float_pair("logaddexp2", x1, x2),
        np.logaddexp2,
        lambda g, a, b, y: g * np.exp2(a - y),
        lambda g, a, b, y: g * np.exp2(b - y),
    )


def fmax(x1, x2):
    return _binary(
        "fmax",
        x1,
        x2,
        np.fmax,
        lambda g, a, b, y: g * ((a >= b) | np.isnan(b)),
        lambda g, a, b, y: g * ((a < b) | np.isnan(a)),
    )


def fmin(x1, x2):
    return _binary(
        "fmin",
        x1,
        x2,
        np.fmin,
        lambda g, a, b, y: g * ((a <= b) | np.isnan(b)),
        lambda g, a, b, y: g * ((a > b) | np.isnan(a)),
    )


def mod(x1, x2):
    """Python-style remainder (the sign of the divisor); d/dx1 = 1, d/dx2 = -floor(x1 / x2)."""
    return _binary(
        "mod", x1, x2, np.mod, lambda g, a, b, y: g, lambda g, a, b, y: -g * np.floor_divide(a, b)
    )


def fmod(x1, x2):
    """C-style remainder (the sign of the dividend)."""
    return _binary(
        "fmod", x1, x2, np.fmod, lambda g, a, b, y: g, lambda g, a, b, y: -g * np.trunc(a / b)
    )


def floor_divide(x1, x2):
    a, b = pair("floor_divide", x1, x2)
    return Tensor(np.floor_divide(a.data, b.data))


def divide_no_nan(x1, x2):
    """x1 / x2, and 0 wherever x2 is 0."""
    a, b = _float_pair("divide_no_nan", x1, x2)
    safe = np.where(b.data == 0, 1, b.data).astype(b.data.dtype)

    def forward(a, b):
        return np.where(b == 0, 0, a / safe).astype(a.dtype)

    return _binary(
        "divide_no_nan",
        a,
        b,
        forward,
        lambda g, a, b, y: np.where(b == 0, 0, g / safe),
        lambda g, a, b, y: np.where(b == 0, 0, -g * y / safe),
    )


def heaviside(x1, x2):
    a, b = _float_pair("heaviside", x1, x2)
    return Tensor(np.heaviside(a.data, b.data))


def ldexp(x1, x2):
    """x1 * 2**x2 (x2 integer)."""
    a = _floating(x1)
    e = as_array(x2)
    if e.dtype.kind not in "iu":
        raise TypeError(f"Op `ldexp`: the exponent must be an integer tensor, got {e.dtype}.")
    scale = np.exp2(e).astype(a.data.dtype)
    return Tensor(np.ldexp(a.data, e), (a,), lambda g: (g * scale,), "ldexp")


def nextafter(x1, x2):
    a, b = _float_pair("nextafter", x1, x2)
    return Tensor(np.nextafter(a.data, b.data))


def gcd(x1, x2):
    a, b = pair("gcd", x1, x2)
    return Tensor(np.gcd(a.data, b.data))


def lcm(x1, x2):
    a, b = pair("lcm", x1, x2)
    return Tensor(np.lcm(a.data, b.data))


def logical_xor(x1, x2):
    return Tensor(np.logical_xor(as_array(x1), as_array(x2)))


def _bitwise(name, func):
    def op(x, y):
        a, b = pair(name, x, y)
        if a.data.dtype.kind not in "biu" or b.data.dtype.kind not in "biu":
            raise TypeError(
                f"Op `{name}`: expected integer or bool tensors, got {a.dtype} and {b.dtype}."
            )
        return Tensor(func(a.data, b.data))

    op.__name__ = name
    op.__doc__ = f"Elementwise `{name}` of integer tensors, as `keras.ops.{name}`."
    return op


bitwise_and = _bitwise("bitwise_and", np.bitwise_and)
bitwise_or = _bitwise("bitwise_or", np.bitwise_or)
bitwise_xor = _bitwise("bitwise_xor", np.bitwise_xor)
bitwise_left_shift = left_shift = _bitwise("left_shift", np.left_shift)
bitwise_right_shift = right_shift = _bitwise("right_shift", np.right_shift)


def bitwise_invert(x):
    data = as_array(x)
    if data.dtype.kind not in "biu":
        raise TypeError(
            f"Op `bitwise_invert`: expected an integer or bool tensor, got {data.dtype}."
        )
    return Tensor(np.invert(data))


bitwise_not = bitwise_invert

__all__ = [
    "angle",
    "arccos",
    "arccosh",
    "arcsin",
    "arcsinh",
    "arctan",
    "arctan2",
    "arctanh",
    "bitwise_and",
    "bitwise_invert",
    "bitwise_left_shift",
    "bitwise_not",
    "bitwise_or",
    "bitwise_right_shift",
    "bitwise_xor",
    "cbrt",
    "ceil",
    "conj",
    "conjugate",
    "cosh",
    "deg2rad",
    "diff",
    "divide_no_nan",
    "erf",
    "erfc",
    "erfinv",
    "exp2",
    "expm1",
    "fabs",
    "floor_divide",
    "fmax",
    "fmin",
    "fmod",
    "gcd",
    "heaviside",
    "hypot",
    "i0",
    "imag",
    "isinf",
    "isneginf",
    "isposinf",
    "isreal",
    "lcm",
    "ldexp",
    "left_shift",
    "log10",
    "log2",
    "logaddexp",
    "logaddexp2",
    "logical_xor",
    "mod",
    "nan_to_num",
    "nextafter",
    "rad2deg",
    "real",
    "reciprocal",
    "right_shift",
    "signbit",
    "sinc",
    "sinh",
    "tan",
    "trapezoid",
    "trunc",
]
