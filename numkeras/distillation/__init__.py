"""Knowledge distillation: a student model trained on a frozen teacher's outputs, as Keras 3's
`keras.distillation`."""

from numkeras.distillation.distillation_loss import (
    DistillationLoss,
    FeatureDistillation,
    LogitsDistillation,
)
from numkeras.distillation.distiller import Distiller

__all__ = ["DistillationLoss", "Distiller", "FeatureDistillation", "LogitsDistillation"]
