"""numkeras: the Keras API, trainable on a NumPy engine."""
from numkeras import (  # noqa: I001  (ops before the layers that use it)
    activations,
    backend,
    callbacks,
    config,
    constraints,
    datasets,
    initializers,
    layers,
    losses,
    metrics,
    models,
    ops,
    optimizers,
    random,
    regularizers,
    saving,
    utils,
)
from numkeras.engine.allocator import keep_step_memory
from numkeras.engine.tape import GradientTape
from numkeras.engine.tensor import Tensor
from numkeras.engine.variable import Variable
from numkeras.layers import Input, Layer
from numkeras.models import Model, Sequential

__version__ = "0.1.0"
keep_step_memory()  # steps reuse heap memory instead of faulting in fresh pages
__all__ = [
    "GradientTape", "Input", "Layer", "Model", "Sequential", "Tensor", "Variable", "activations",
    "backend", "callbacks", "config", "constraints", "datasets", "initializers", "layers",
    "losses", "metrics", "models", "ops", "optimizers", "random", "regularizers", "saving", "utils",
    "__version__",
]
