"""Activation functions by name, as `Dense(..., activation="relu")` resolves them.

Each is built from `numkeras.ops`, so its gradient comes from the ops' VJPs. The ones Keras
also has as ops (`celu`, `glu`, `sparsemax`, ...) live here until `ops` re-exports them.
"""
import numpy as np

from numkeras import ops


def linear(x):
    return ops.convert_to_tensor(x)


def softmax(x, axis=-1):
    return ops.softmax(x, axis=axis)


def leaky_relu(x, negative_slope=0.2):
    return ops.leaky_relu(x, negative_slope)


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Keras's relu; the plain case (the one every tutorial uses) is a single op."""
    if negative_slope == 0 and max_value is None and threshold == 0:
        return ops.relu(x)
    x = ops.convert_to_tensor(x)
    y = ops.where(x > threshold, x, negative_slope * (x - threshold))
    return y if max_value is None else ops.minimum(y, max_value)


def elu(x, alpha=1.0):
    return ops.elu(x, alpha)


def gelu(x, approximate=False):
    """Keras's activation is the exact (erf) GELU; `ops.gelu` defaults to the tanh form."""
    return ops.gelu(x, approximate=approximate)


def celu(x, alpha=1.0):
    """max(x, 0) + alpha * expm1(min(x, 0) / alpha)."""
    x = ops.convert_to_tensor(x)
    return ops.maximum(x, 0.0) + alpha * (ops.exp(ops.minimum(x, 0.0) / alpha) - 1.0)


def glu(x, axis=-1):
    """Gated linear unit: the first half of `axis` times the sigmoid of the second half."""
    x = ops.convert_to_tensor(x)
    if x.shape[axis] % 2 != 0:
        raise ValueError(
            f"glu: axis size must be divisible by 2. Received: x.shape={x.shape} with "
            f"axis={axis}"
        )
    a, b = ops.split(x, 2, axis=axis)
    return a * ops.sigmoid(b)


def hard_tanh(x):
    return ops.clip(x, -1.0, 1.0)


def hard_shrink(x, threshold=0.5):
    x = ops.convert_to_tensor(x)
    return ops.where(ops.abs(x) > threshold, x, 0.0)


def soft_shrink(x, threshold=0.5):
    x = ops.convert_to_tensor(x)
    return ops.where(x > threshold, x - threshold, ops.where(x < -threshold, x + threshold, 0.0))


def tanh_shrink(x):
    x = ops.convert_to_tensor(x)
    return x - ops.tanh(x)


def sparse_plus(x):
    """0 below -1, (x + 1)² / 4 on [-1, 1), x above."""
    x = ops.convert_to_tensor(x)
    return ops.where(x <= -1, 0.0, ops.where(x < 1, 0.25 * ops.square(x + 1), x))


def sparse_sigmoid(x):
    """0 below -1, (x + 1) / 2 between, 1 above."""
    x = ops.convert_to_tensor(x)
    return ops.where(x <= -1, 0.0, ops.where(x >= 1, 1.0, 0.5 * (x + 1)))


def squareplus(x, b=4):
    x = ops.convert_to_tensor(x)
    return (x + ops.sqrt(ops.square(x) + b)) / 2


def threshold(x, threshold, default_value):
    x = ops.convert_to_tensor(x)
    return ops.where(x > threshold, x, default_value)


def log_sigmoid(x):
    return -ops.softplus(-ops.convert_to_tensor(x))


def hard_silu(x):
    x = ops.convert_to_tensor(x)
    return x * ops.hard_sigmoid(x)


def mish(x):
    x = ops.convert_to_tensor(x)
    return x * ops.tanh(ops.softplus(x))


def sparsemax(x, axis=-1):
    """Euclidean projection onto the simplex: max(x - tau, 0). The support is found in NumPy;
    tau is then an op of x over that support, so the gradient is sparsemax's Jacobian."""
    x = ops.convert_to_tensor(x)
    data = ops.convert_to_numpy(x)
    ranked = -np.sort(-data, axis=axis)
    r = np.arange(1, data.shape[axis] + 1).reshape(
        [-1 if i == axis % data.ndim else 1 for i in range(data.ndim)])
    k = np.sum(ranked - (np.cumsum(ranked, axis=axis) - 1) / r > 0, axis=axis, keepdims=True)
    kth = np.take_along_axis(ranked, k - 1, axis=axis)
    support = data >= kth
    tau = (ops.sum(ops.where(support, x, 0.0), axis=axis, keepdims=True) - 1) / k.astype(x.dtype)
    return ops.maximum(x - tau, 0.0)


_ACTIVATIONS = {
    "linear": linear, "relu": relu, "relu6": ops.relu6, "leaky_relu": leaky_relu, "elu": elu,
    "selu": ops.selu, "gelu": gelu, "silu": ops.silu, "swish": ops.silu,
    "sigmoid": ops.sigmoid, "hard_sigmoid": ops.hard_sigmoid, "tanh": ops.tanh,
    "softplus": ops.softplus, "softsign": ops.softsign, "softmax": softmax,
    "log_softmax": ops.log_softmax, "exponential": ops.exp, "celu": celu, "glu": glu,
    "hard_tanh": hard_tanh, "hard_shrink": hard_shrink, "soft_shrink": soft_shrink,
    "tanh_shrink": tanh_shrink, "sparse_plus": sparse_plus, "sparse_sigmoid": sparse_sigmoid,
    "squareplus": squareplus, "threshold": threshold, "log_sigmoid": log_sigmoid,
    "hard_silu": hard_silu, "hard_swish": hard_silu, "mish": mish, "sparsemax": sparsemax,
}
_ALIASES = {"swish", "hard_swish"}  # Keras serializes these as silu and hard_silu
globals().update({k: v for k, v in _ACTIVATIONS.items() if k not in globals()})
__all__ = sorted(_ACTIVATIONS) + ["get", "serialize", "deserialize"]


def get(identifier):
    """The activation function for None (linear), a name, a config, or a callable. Names of
    objects registered with `register_keras_serializable` or in a custom object scope work
    too."""
    from numkeras.saving.object_registration import get_registered_object

    if identifier is None:
        return linear
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = _ACTIVATIONS.get(identifier) or get_registered_object(identifier)
    else:
        obj = identifier
    if callable(obj):
        return obj
    raise ValueError(
        f"Could not interpret activation function identifier: {identifier!r}. Valid names: "
        f"{sorted(_ACTIVATIONS)}."
    )


def serialize(activation):
    """A built-in's name ('relu', 'swish'); a registered function's Keras config dict."""
    for name, fn in _ACTIVATIONS.items():
        if fn is activation and name not in _ALIASES:
            return name
    from numkeras.saving.serialization import serialize_keras_object

    return serialize_keras_object(activation)


def deserialize(config, custom_objects=None):
    """The activation a name or config names, looking in `custom_objects` first."""
    from numkeras.saving.object_registration import get_registered_object
    from numkeras.saving.serialization import deserialize_keras_object

    if isinstance(config, str):
        found = get_registered_object(config, custom_objects, _ACTIVATIONS, suffix=True)
        if found is None:
            raise ValueError(f"Unknown activation function: {config!r}.")
        return found
    return deserialize_keras_object(config, custom_objects=custom_objects)
