"""Weight regularizers: penalties added to the loss for a layer's weights."""

import numpy as np

from numkeras import ops

__all__ = [
    "Regularizer",
    "L1",
    "L2",
    "L1L2",
    "OrthogonalRegularizer",
    "get",
    "serialize",
    "deserialize",
    "l1",
    "l2",
    "l1_l2",
    "orthogonal_regularizer",
]


class Regularizer:
    def __call__(self, x):
        return 0.0

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _penalty(value, name):
    if not isinstance(value, (float, int)) or not np.isfinite(value) or value < 0:
        raise ValueError(
            f"Invalid value for argument {name}: expected a non-negative float."
            f"Received: {name}={value}"
        )
    return float(value)


class L1L2(Regularizer):
    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _penalty(0.0 if l1 is None else l1, "l1")
        self.l2 = _penalty(0.0 if l2 is None else l2, "l2")

    def __call__(self, x):
        penalty = 0.0
        if self.l1:
            penalty = penalty + self.l1 * ops.sum(ops.abs(x))
        if self.l2:
            penalty = penalty + self.l2 * ops.sum(ops.square(x))
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    def __init__(self, l1=0.01):
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": float(np.float32(self.l1))}  # Keras keeps the factor as a float32 tensor


class L2(L1L2):
    def __init__(self, l2=0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Penalise non-orthogonal rows (or columns) of a 2-D kernel: mean |off-diagonal| of WWᵀ."""

    def __init__(self, factor=0.01, mode="rows"):
        if mode not in ("rows", "columns"):
            raise ValueError(
                f"OrthogonalRegularizer: mode must be 'rows' or 'columns', got {mode!r}."
            )
        self.factor, self.mode = factor, mode

    def __call__(self, x):
        x = ops.transpose(x) if self.mode == "columns" else ops.convert_to_tensor(x)
        x = x / ops.sqrt(ops.sum(ops.square(x), axis=1, keepdims=True) + 1e-12)
        n = x.shape[0]
        off = (x @ ops.transpose(x)) * (1 - np.eye(n, dtype=x.dtype))
        return self.factor * ops.sum(ops.abs(off)) / (n * (n - 1))

    def get_config(self):
        return {"factor": float(np.float32(self.factor)), "mode": self.mode}  # as Keras's


# Keras's snake_case aliases of the classes
l1, l2, l1_l2, orthogonal_regularizer = L1, L2, L1L2, OrthogonalRegularizer
_CLASSES = {c.__name__: c for c in (Regularizer, L1, L2, L1L2, OrthogonalRegularizer)}
ALL_OBJECTS_DICT = {
    **_CLASSES,
    "regularizer": Regularizer,
    "l1": L1,
    "l2": L2,
    "l1l2": L1L2,
    "l1_l2": L1L2,
    "orthogonal_regularizer": OrthogonalRegularizer,
}


def serialize(regularizer):
    """Keras 3's config dict of `regularizer` (None stays None)."""
    if regularizer is None:
        return None
    from numkeras.saving.serialization import serialize_keras_object

    return serialize_keras_object(regularizer)


def deserialize(config, custom_objects=None):
    """The regularizer a config (or a bare name) describes; custom objects, the active custom
    object scope and registered classes are found too."""
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
    """A regularizer from None, a name ('l2'), a config dict, a class or a callable."""
    if identifier is None:
        return None
    if isinstance(identifier, (dict, str)):
        try:
            obj = deserialize(identifier)
        except ValueError:
            obj = None
    else:
        obj = identifier
    if isinstance(obj, type):
        obj = obj()
    if not callable(obj):
        raise ValueError(
            f"Could not interpret regularizer identifier: {identifier!r}. Valid names: "
            f"{sorted(ALL_OBJECTS_DICT)}."
        )
    return obj
