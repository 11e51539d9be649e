"""Activation functions by name, as `Dense(..., activation="relu")` resolves them."""
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


_ACTIVATIONS = {
    "linear": linear, "relu": relu, "relu6": ops.relu6, "leaky_relu": leaky_relu, "elu": ops.elu,
    "selu": ops.selu, "gelu": ops.gelu, "silu": ops.silu, "swish": ops.silu,
    "sigmoid": ops.sigmoid, "hard_sigmoid": ops.hard_sigmoid, "tanh": ops.tanh,
    "softplus": ops.softplus, "softsign": ops.softsign, "softmax": softmax,
    "log_softmax": ops.log_softmax, "exponential": ops.exp,
}
globals().update({k: v for k, v in _ACTIVATIONS.items() if k not in globals()})
__all__ = sorted(_ACTIVATIONS) + ["get", "serialize", "deserialize"]


def get(identifier):
    """The activation function for a name, a callable, or None (linear)."""
    if identifier is None:
        return linear
    if callable(identifier):
        return identifier
    if isinstance(identifier, dict):
        identifier = identifier.get("config", identifier.get("class_name"))
    if isinstance(identifier, str) and identifier in _ACTIVATIONS:
        return _ACTIVATIONS[identifier]
    raise ValueError(
        f"Unknown activation function: {identifier!r}. Valid names: {sorted(_ACTIVATIONS)}."
    )


def serialize(activation):
    """The name Keras writes into configs ('relu', 'softmax', 'linear')."""
    for name, fn in _ACTIVATIONS.items():
        if fn is activation:
            return "swish" if name == "silu" else name
    return getattr(activation, "__name__", str(activation))


def deserialize(name):
    return get(name)
