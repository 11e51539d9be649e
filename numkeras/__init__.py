"""numkeras: the Keras API, trainable on a NumPy engine."""

from numkeras import (  # noqa: I001  (ops before the layers that use it)
    activations,
    applications,
    backend,
    callbacks,
    config,
    constraints,
    datasets,
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

__version__ = "0.1.0"


def version():
    """numkeras's version string (Keras's `keras.version()`)."""
    return __version__


__all__ = [
    "KerasTensor",
    "Operation",
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
    "__version__",
]
