"""numkeras: the Keras API, trainable on a NumPy engine."""

from numkeras import (  # noqa: I001  (ops before the layers that use it)
    activations,
    applications,
    backend,
    callbacks,
    config,
    constraints,
    datasets,
    distillation,
    distribution,
    dtype_policies,
    initializers,
    layers,
    losses,
    metrics,
    mixed_precision,
    models,
    ops,
    optimizers,
    preprocessing,
    random,
    regularizers,
    saving,
    tree,
    utils,
    visualization,
)
from numkeras.engine.tape import GradientTape
from numkeras.engine.tensor import Tensor
from numkeras.dtype_policies import DTypePolicy, FloatDTypePolicy
from numkeras.engine.variable import Variable
from numkeras.initializers import Initializer
from numkeras.losses import Loss
from numkeras.metrics import Metric
from numkeras.optimizers import Optimizer
from numkeras.regularizers import Regularizer
from numkeras.layers import Input, Layer
from numkeras.models import Model, Sequential
from numkeras.ops.keras_tensor import KerasTensor
from numkeras.ops.operation import Operation
from numkeras.ops.function import Function
from numkeras.layers.input_spec import InputSpec
from numkeras.backend.device import device
from numkeras.backend.name_scope import name_scope
from numkeras.stateless_scope import StatelessScope, SymbolicScope

__version__ = "0.1.0"


def __getattr__(name):
    """`numkeras.wrappers` is imported on first use: it imports scikit-learn, if present."""
    if name == "wrappers":
        import importlib

        return importlib.import_module("numkeras.wrappers")
    raise AttributeError(f"module 'numkeras' has no attribute {name!r}")


def version():
    """numkeras's version string (Keras's `keras.version()`)."""
    return __version__


__all__ = [
    "Function",
    "InputSpec",
    "KerasTensor",
    "Operation",
    "StatelessScope",
    "SymbolicScope",
    "device",
    "name_scope",
    "DTypePolicy",
    "FloatDTypePolicy",
    "Initializer",
    "Loss",
    "Metric",
    "Optimizer",
    "Regularizer",
    "dtype_policies",
    "mixed_precision",
    "preprocessing",
    "version",
    "visualization",
    "GradientTape",
    "Input",
    "Layer",
    "Model",
    "Sequential",
    "Tensor",
    "Variable",
    "activations",
    "applications",
    "backend",
    "callbacks",
    "config",
    "constraints",
    "datasets",
    "distillation",
    "distribution",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "models",
    "ops",
    "optimizers",
    "random",
    "regularizers",
    "saving",
    "tree",
    "utils",
    "wrappers",
    "__version__",
]
