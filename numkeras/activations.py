"""Activation functions by name, as `Dense(..., activation="relu")` resolves them: the ops of
`numkeras.ops`, or built from them (so gradients come from the ops' VJPs)."""

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


def mish(x):
    x = ops.convert_to_tensor(x)
    return x * ops.tanh(ops.softplus(x))


_ACTIVATIONS = {
    "linear": linear,
    "relu": relu,
    "relu6": ops.relu6,
    "leaky_relu": leaky_relu,
    "elu": elu,
    "selu": ops.selu,
    "gelu": gelu,
    "silu": ops.silu,
    "swish": ops.silu,
    "sigmoid": ops.sigmoid,
    "hard_sigmoid": ops.hard_sigmoid,
    "tanh": ops.tanh,
    "softplus": ops.softplus,
    "softsign": ops.softsign,
    "softmax": softmax,
    "log_softmax": ops.log_softmax,
    "exponential": ops.exp,
    "celu": ops.celu,
    "glu": ops.glu,
    "hard_tanh": ops.hard_tanh,
    "hard_shrink": ops.hard_shrink,
    "soft_shrink": ops.soft_shrink,
    "tanh_shrink": ops.tanh_shrink,
    "sparse_plus": ops.sparse_plus,
    "sparse_sigmoid": ops.sparse_sigmoid,
    "squareplus": ops.squareplus,
    "threshold": ops.threshold,
    "log_sigmoid": ops.log_sigmoid,
    "hard_silu": ops.hard_silu,
    "hard_swish": ops.hard_silu,
    "mish": mish,
    "sparsemax": ops.sparsemax,
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
