"""`numkeras.constraints`: Keras 3's weight constraints, applied after each optimizer step.

Pass one as a layer's `kernel_constraint` / `bias_constraint` (an instance, a name such as
`"non_neg"` or `"NonNeg"`, or a config dict); the optimizer replaces the variable with
`constraint(variable)` after updating it.
"""

import inspect
import re

from numkeras.constraints.constraints import Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm

# Keras's snake_case aliases of the classes
max_norm, non_neg, unit_norm, min_max_norm = MaxNorm, NonNeg, UnitNorm, MinMaxNorm

__all__ = [
    "Constraint",
    "MaxNorm",
    "MinMaxNorm",
    "NonNeg",
    "UnitNorm",
    "deserialize",
    "get",
    "max_norm",
    "min_max_norm",
    "non_neg",
    "serialize",
    "unit_norm",
]

_CLASSES = {cls.__name__: cls for cls in (Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm)}
_BY_NAME = {
    **_CLASSES,
    **{re.sub(r"(?<!^)(?=[A-Z])", "_", n).lower(): c for n, c in _CLASSES.items()},
}


def serialize(constraint):
    """Keras 3's config dict of `constraint` (None stays None)."""
    if constraint is None:
        return None
    from numkeras.saving.serialization import serialize_keras_object

    return serialize_keras_object(constraint)


def deserialize(config, custom_objects=None):
    """The constraint a `serialize` dict (or a bare class name) describes."""
    if isinstance(config, str):
        config = {"class_name": config, "config": {}}
    if isinstance(config, dict) and config.get("class_name") in _BY_NAME:
        return _BY_NAME[config["class_name"]].from_config(config.get("config") or {})
    from numkeras.saving.serialization import deserialize_keras_object

    return deserialize_keras_object(config, custom_objects=custom_objects)


def get(identifier):
    """A constraint from None, an instance, a callable, a name or a config dict."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = _BY_NAME.get(identifier)
    else:
        obj = identifier
    if inspect.isclass(obj):
        obj = obj()
    if not callable(obj):
        raise ValueError(
            f"Could not interpret constraint identifier: {identifier!r}. Known names: "
            f"{sorted(_BY_NAME)}."
        )
    return obj
