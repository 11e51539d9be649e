"""numkeras: the Keras API, trainable on a NumPy engine."""
from numkeras.engine.tape import GradientTape
from numkeras.engine.tensor import Tensor
from numkeras.engine.variable import Variable
from numkeras import ops, random

__version__ = "0.1.0"
__all__ = ["GradientTape", "Tensor", "Variable", "ops", "random", "__version__"]
