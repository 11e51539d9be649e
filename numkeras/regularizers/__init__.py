"""Weight regularizers: penalties added to the loss for a layer's weights."""
import numpy as np

from numkeras import ops

__all__ = ["Regularizer", "L1", "L2", "L1L2", "OrthogonalRegularizer", "get", "serialize",
           "deserialize"]


class Regularizer:
    def __call__(self, x):
        return 0.0

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class L1L2(Regularizer):
    def __init__(self, l1=0.0, l2=0.0):
        self.l1, self.l2 = float(l1), float(l2)

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
        return {"l1": self.l1}


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
                f"OrthogonalRegularizer: mode must be 'rows' or 'columns', got {mode!r}.")
        self.factor, self.mode = factor, mode

    def __call__(self, x):
        x = ops.transpose(x) if self.mode == "columns" else ops.convert_to_tensor(x)
        x = x / ops.sqrt(ops.sum(ops.square(x), axis=1, keepdims=True) + 1e-12)
        n = x.shape[0]
        off = (x @ ops.transpose(x)) * (1 - np.eye(n, dtype=x.dtype))
        return self.factor * ops.sum(ops.abs(off)) / (n * (n - 1))

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


_NAMES = {"l1": L1, "l2": L2, "l1_l2": L1L2, "orthogonal_regularizer": OrthogonalRegularizer}
_CLASSES = {c.__name__: c for c in (L1, L2, L1L2, OrthogonalRegularizer)}


def serialize(regularizer):
    if regularizer is None:
        return None
    return {"module": "keras.regularizers", "class_name": type(regularizer).__name__,
            "config": regularizer.get_config(), "registered_name": None}


def deserialize(config):
    if config["class_name"] not in _CLASSES:
        raise ValueError(
            f"Unknown regularizer {config['class_name']!r}; known: {sorted(_CLASSES)}.")
    return _CLASSES[config["class_name"]].from_config(config.get("config") or {})


def get(identifier):
    if identifier is None or isinstance(identifier, Regularizer) or callable(identifier):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str) and identifier in _NAMES:
        return _NAMES[identifier]()
    raise ValueError(f"Unknown regularizer: {identifier!r}. Valid names: {sorted(_NAMES)}.")
