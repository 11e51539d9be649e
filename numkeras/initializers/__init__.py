"""Weight initializers with Keras 3's names, defaults and fan rules; seeded draws."""

import math
import re

import numpy as np

from numkeras.backend.config import floatx
from numkeras.engine.variable import use_initializer_lookup
from numkeras.random import generator_for

__all__ = [
    "Initializer",
    "Zeros",
    "Ones",
    "Constant",
    "RandomNormal",
    "RandomUniform",
    "TruncatedNormal",
    "VarianceScaling",
    "GlorotUniform",
    "GlorotNormal",
    "HeUniform",
    "HeNormal",
    "LecunUniform",
    "LecunNormal",
    "Orthogonal",
    "Identity",
    "STFT",
    "get",
    "serialize",
    "deserialize",
    # Keras's snake_case and compatibility aliases of the classes
    "constant",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "identity",
    "lecun_normal",
    "lecun_uniform",
    "ones",
    "orthogonal",
    "random_normal",
    "random_uniform",
    "stft",
    "truncated_normal",
    "variance_scaling",
    "zeros",
    "IdentityInitializer",
    "OrthogonalInitializer",
    "STFTInitializer",
]


class Initializer:
    """Base: `initializer(shape, dtype)` returns a NumPy array."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class Constant(Initializer):
    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        return np.full(shape, self.value, dtype=dtype or floatx())

    def get_config(self):
        return {"value": self.value}


class Zeros(Constant):
    def __init__(self):
        super().__init__(0.0)

    def get_config(self):
        return {}


class Ones(Constant):
    def __init__(self):
        super().__init__(1.0)

    def get_config(self):
        return {}


class _Random(Initializer):
    """Shared seed handling: an int seed gives the same values on every call, as in Keras."""

    def __init__(self, seed=None):
        self.seed = seed

    def rng(self):
        return generator_for(self.seed)


def _draw_dtype(dtype):
    """The dtype to draw in: the variable's own where NumPy's generator draws it (float32,
    float64), so a float32 weight never passes through a float64 array twice its size."""
    dtype = np.dtype(dtype or floatx())
    return dtype if dtype in (np.float32, np.float64) else np.dtype(np.float64)


def _normal(rng, shape, dtype):
    return rng.standard_normal(shape, dtype=_draw_dtype(dtype))


def _uniform(rng, low, high, shape, dtype):
    values = rng.random(shape, dtype=_draw_dtype(dtype))
    values *= high - low
    values += low
    return values


def _cast(values, dtype):
    return values.astype(dtype or floatx(), copy=False)

    def get_config(self):
        return {"seed": self.seed}


class RandomNormal(_Random):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        values = _normal(self.rng(), shape, dtype)
        values *= self.stddev
        values += self.mean
        return _cast(values, dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(_Random):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape, dtype=None):
        return _cast(_uniform(self.rng(), self.minval, self.maxval, shape, dtype), dtype)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


def _truncated(rng, shape, stddev, dtype):
    values = _normal(rng, shape, dtype)
    bad = np.empty(values.shape, bool)
    while _tails(values, out=bad).any():  # redraw the tails: all within two deviations
        values[bad] = _normal(rng, int(bad.sum()), dtype)
    values *= stddev
    return values


def _tails(values, out):
    """Where |values| > 2, into `out` (no temporary array of the values' size)."""
    np.greater(values, 2, out=out)
    out |= values < -2
    return out


class TruncatedNormal(RandomNormal):
    def __call__(self, shape, dtype=None):
        values = _truncated(self.rng(), shape, self.stddev, dtype)
        values += self.mean
        return _cast(values, dtype)


def compute_fans(shape, input_axes=None, output_axes=None):
    """(fan_in, fan_out) by Keras's rules; conv kernels multiply by the receptive field, and
    explicit `input_axes`/`output_axes` multiply those axes' sizes."""
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        return (math.prod(shape[a] for a in input_axes), math.prod(shape[a] for a in output_axes))
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


class VarianceScaling(_Random):
    def __init__(
        self,
        scale=1.0,
        mode="fan_in",
        distribution="truncated_normal",
        seed=None,
        input_axes=None,
        output_axes=None,
    ):
        if scale <= 0:
            raise ValueError(f"VarianceScaling: `scale` must be positive, got {scale}.")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(
                f"VarianceScaling: `mode` must be 'fan_in', 'fan_out' or 'fan_avg', got {mode!r}."
            )
        distributions = ("truncated_normal", "untruncated_normal", "uniform")
        if distribution not in distributions:
            raise ValueError(
                f"VarianceScaling: `distribution` must be one of {distributions}, "
                f"got {distribution!r}."
            )
        super().__init__(seed)
        self.scale, self.mode, self.distribution = scale, mode, distribution
        self.input_axes, self.output_axes = input_axes, output_axes

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, fan)
        rng = self.rng()
        if self.distribution == "uniform":
            limit = math.sqrt(3 * variance)
            values = _uniform(rng, -limit, limit, shape, dtype)
        elif self.distribution == "truncated_normal":
            values = _truncated(rng, shape, math.sqrt(variance) / 0.87962566103423978, dtype)
        else:
            values = _normal(rng, shape, dtype)
            values *= math.sqrt(variance)
        return _cast(values, dtype)

    def get_config(self):
        return {
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            "seed": self.seed,
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
        }


def _scaling(name, scale, mode, distribution):
    def __init__(self, seed=None, input_axes=None, output_axes=None):
        VarianceScaling.__init__(self, scale, mode, distribution, seed, input_axes, output_axes)

    def get_config(self):
        return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}

    doc = f"VarianceScaling({scale}, {mode!r}, {distribution!r})."
    attrs = {"__init__": __init__, "get_config": get_config, "__doc__": doc}
    return type(name, (VarianceScaling,), attrs)


GlorotUniform = _scaling("GlorotUniform", 1.0, "fan_avg", "uniform")
GlorotNormal = _scaling("GlorotNormal", 1.0, "fan_avg", "truncated_normal")
HeUniform = _scaling("HeUniform", 2.0, "fan_in", "uniform")
HeNormal = _scaling("HeNormal", 2.0, "fan_in", "truncated_normal")
LecunUniform = _scaling("LecunUniform", 1.0, "fan_in", "uniform")
LecunNormal = _scaling("LecunNormal", 1.0, "fan_in", "truncated_normal")


class Orthogonal(_Random):
    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape, dtype=None):
        rows = math.prod(shape[:-1])
        cols = shape[-1]
        flat = self.rng().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(flat)
        q *= np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return (self.gain * q[:rows, :cols]).reshape(shape).astype(dtype or floatx())

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


class Identity(Initializer):
    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        if len(shape) != 2:
            raise ValueError(
                "Identity matrix initializer can only be used for 2D matrices. "
                f"Received: shape={tuple(shape)} of rank {len(shape)}."
            )
        return (self.gain * np.eye(*shape)).astype(dtype or floatx())

    def get_config(self):
        return {"gain": self.gain}


def _window(name, length, periodic):
    """SciPy's symmetric (or, `periodic`, DFT-even) hann and hamming windows, in NumPy."""
    coefficients = {"hann": 0.5, "hamming": 0.54}
    if name not in coefficients:
        raise ValueError(
            f"STFT: window {name!r} is not available in numkeras; use one of "
            f"{sorted(coefficients)}, an array of window values, or None."
        )
    n = length + 1 if periodic else length
    a = coefficients[name]
    w = a - (1 - a) * np.cos(2 * np.pi * np.arange(n) / max(n - 1, 1))
    return w[:length]


class STFT(Initializer):
    """Conv kernels computing the real or imaginary part of a short-time Fourier transform,
    shape `(frame_length, 1, fft_length // 2 + 1)`, optionally windowed and scaled."""

    def __init__(self, side="real", window="hann", scaling="density", periodic=False):
        if side not in ("real", "imag"):
            raise ValueError(f"side should be 'real' or 'imag', not {side}")
        if isinstance(window, str):
            _window(window, 1, periodic)
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError(
                "Scaling is invalid, it must be `None`, 'density' or 'spectrum'. "
                f"Received scaling={scaling}"
            )
        self.side, self.window, self.scaling, self.periodic = side, window, scaling, periodic

    def __call__(self, shape, dtype=None):
        frame_length, _, bins = shape
        angle = (
            -2 * np.pi * np.arange(frame_length)[:, None, None] * np.arange(bins) / ((bins - 1) * 2)
        )
        kernel = np.cos(angle) if self.side == "real" else np.sin(angle)
        if self.window is not None:
            win = (
                _window(self.window, frame_length, self.periodic)
                if isinstance(self.window, str)
                else np.asarray(self.window, "float64")
            )
            if win.shape != (frame_length,):
                raise ValueError(
                    "The shape of `window` must be equal to [frame_length]."
                    f"Received: window shape={win.shape}"
                )
            scale = {
                "density": np.sqrt(np.sum(win**2)),
                "spectrum": np.sum(np.abs(win)),
                None: 1.0,
            }[self.scaling]
            kernel = kernel * win[:, None, None] / scale
        return kernel.astype(dtype or floatx())

    def get_config(self):
        return {
            "side": self.side,
            "window": self.window,
            "periodic": self.periodic,
            "scaling": self.scaling,
        }


def _snake(name):
    """Keras's snake case: a capitalised word gets an underscore before it ('STFT' stays
    one word: 'stft')."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


_CLASS_LIST = (
    Initializer,
    Constant,
    Identity,
    Ones,
    STFT,
    Zeros,
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    LecunNormal,
    LecunUniform,
    Orthogonal,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
)
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in _CLASS_LIST}
ALL_OBJECTS_DICT.update({_snake(cls.__name__): cls for cls in _CLASS_LIST})
ALL_OBJECTS_DICT.update(
    {
        "IdentityInitializer": Identity,
        "normal": RandomNormal,
        "one": Ones,
        "STFTInitializer": STFT,
        "OrthogonalInitializer": Orthogonal,
        "uniform": RandomUniform,
        "zero": Zeros,
    }
)
(
    constant,
    glorot_normal,
    glorot_uniform,
    he_normal,
    he_uniform,
    identity,
    lecun_normal,
    lecun_uniform,
    ones,
    orthogonal,
    random_normal,
    random_uniform,
    stft,
    truncated_normal,
    variance_scaling,
    zeros,
) = (
    Constant,
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    Identity,
    LecunNormal,
    LecunUniform,
    Ones,
    Orthogonal,
    RandomNormal,
    RandomUniform,
    STFT,
    TruncatedNormal,
    VarianceScaling,
    Zeros,
)
IdentityInitializer, OrthogonalInitializer, STFTInitializer = Identity, Orthogonal, STFT


def serialize(initializer):
    """Keras 3's config dict of `initializer` (registered custom classes included)."""
    from numkeras.saving.serialization import serialize_keras_object

    return serialize_keras_object(initializer)


def deserialize(config, custom_objects=None):
    """The initializer a config (or a bare name) describes; custom objects, the active
    custom object scope and registered classes are found too."""
    from numkeras.saving.object_registration import get_registered_object
    from numkeras.saving.serialization import deserialize_keras_object

    if isinstance(config, str):
        config = {"class_name": config, "config": {}}
    name = config.get("class_name") if isinstance(config, dict) else None
    custom = get_registered_object(name, custom_objects) if isinstance(name, str) else None
    if custom is None and name in ALL_OBJECTS_DICT:
        return ALL_OBJECTS_DICT[name].from_config(config.get("config") or {})
    return deserialize_keras_object(config, custom_objects=custom_objects)


def get(identifier):
    """An Initializer from None, a name ('glorot_uniform', 'uniform'), a config dict, a class,
    an instance, a callable, or an array (then the shape asked for must match it)."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        try:
            obj = deserialize(identifier)
        except ValueError:
            raise ValueError(
                f"Could not interpret initializer identifier: {identifier!r}. Valid names: "
                f"{sorted(k for k in ALL_OBJECTS_DICT if k != 'Initializer')}."
            ) from None
    elif isinstance(identifier, (np.ndarray, np.generic)) or hasattr(identifier, "numpy"):
        obj = _fixed(np.asarray(identifier))
    else:
        obj = identifier
    if isinstance(obj, type):
        obj = obj()
    if not callable(obj):
        raise ValueError(f"Could not interpret initializer identifier: {identifier!r}")
    return obj


def _fixed(value):
    def initialize_fn(shape, dtype=None):
        if tuple(shape) != value.shape:
            raise ValueError(
                f"Expected `shape` to be {value.shape} for direct tensor as initializer. "
                f"Received shape={shape}"
            )
        return value.astype(dtype or floatx())

    return initialize_fn


use_initializer_lookup(get)  # Variable("glorot_uniform", shape) resolves names here
