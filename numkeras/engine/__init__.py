"""The engine: Tensors (NumPy arrays that remember the op that made them), the tape that records
ops, and the ops themselves, each forward beside its VJP. Everything above reaches it through
these names or through `numkeras.ops`.

- `Tensor`, `as_tensor`, `as_array`, `cast`: tensor.py (its Python operators: operators.py)
- `Variable`: variable.py
- `GradientTape`, `no_grad`, `gradients`: tape.py and autodiff.py (recording and the reverse pass)
- the primitive ops: math_ops.py, shape_ops.py, creation_ops.py, scatter.py. The neural-network
  ops built on them (activations, convolutions, pools, RNN sequences, CTC, the fused steps) are
  recorded the same way from `numkeras.ops.layer_ops`.
"""

from numkeras.engine import operators  # noqa: F401  (binds the Tensor's operators)
from numkeras.engine.autodiff import gradients, no_grad
from numkeras.engine.tape import GradientTape
from numkeras.engine.tensor import Tensor, as_array, as_tensor, cast
from numkeras.engine.variable import Variable

__all__ = [
    "GradientTape",
    "Tensor",
    "Variable",
    "as_array",
    "as_tensor",
    "cast",
    "gradients",
    "no_grad",
]
