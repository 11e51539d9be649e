"""`numkeras.mixed_precision`: Keras's older names for dtype policies and loss scaling.

Only single-dtype policies exist in numkeras (see `numkeras.dtype_policies`)."""

from numkeras.backend.dtype_policies import DTypePolicy, dtype_policy, set_dtype_policy
from numkeras.optimizers import LossScaleOptimizer

Policy = DTypePolicy
global_policy = dtype_policy
set_global_policy = set_dtype_policy

__all__ = [
    "DTypePolicy",
    "LossScaleOptimizer",
    "Policy",
    "dtype_policy",
    "global_policy",
    "set_dtype_policy",
    "set_global_policy",
]
