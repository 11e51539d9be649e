"""Weight initializers with Keras 3's names, defaults and fan rules; seeded draws."""
import math

import numpy as np

from numkeras.backend.config import floatx
from numkeras.random import generator_for

__all__ = [
    "Initializer", "Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform", "TruncatedNormal",
    "VarianceScaling", "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform",
    "LecunNormal", "Orthogonal", "Identity", "get", "serialize", "deserialize",
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


def compute_fans(shape):
    """(fan_in, fan_out) by Keras's rules; conv kernels multiply by the receptive field."""
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


class VarianceScaling(_Random):
    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
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

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = compute_fans(shape)
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
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed}


def _scaling(name, scale, mode, distribution):
    def __init__(self, seed=None):
        VarianceScaling.__init__(self, scale, mode, distribution, seed)

    def get_config(self):
        return {"seed": self.seed}

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
            raise ValueError(f"Identity initializer needs a 2-D shape, got {tuple(shape)}.")
        return (self.gain * np.eye(*shape)).astype(dtype or floatx())

    def get_config(self):
        return {"gain": self.gain}


_ALIASES = {
    "zeros": Zeros, "ones": Ones, "constant": Constant, "random_normal": RandomNormal,
    "random_uniform": RandomUniform, "truncated_normal": TruncatedNormal,
    "variance_scaling": VarianceScaling, "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal, "he_uniform": HeUniform, "he_normal": HeNormal,
    "lecun_uniform": LecunUniform, "lecun_normal": LecunNormal, "orthogonal": Orthogonal,
    "identity": Identity,
}
_CLASSES = {cls.__name__: cls for cls in _ALIASES.values()}


def serialize(initializer):
    return {"module": "keras.initializers", "class_name": type(initializer).__name__,
            "config": initializer.get_config(), "registered_name": None}


def deserialize(config):
    name = config["class_name"]
    if name not in _CLASSES:
        raise ValueError(f"Unknown initializer class {name!r}; known: {sorted(_CLASSES)}.")
    return _CLASSES[name].from_config(config.get("config") or {})


def get(identifier):
    """An Initializer from a name ('glorot_uniform'), a config dict, an instance or a callable."""
    if identifier is None or isinstance(identifier, Initializer) or callable(identifier):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        key = identifier if identifier in _ALIASES else _snake(identifier)
        if key in _ALIASES:
            return _ALIASES[key]()
    raise ValueError(
        f"Unknown initializer: {identifier!r}. Valid names: {sorted(_ALIASES)}."
    )


def _snake(name):
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")
