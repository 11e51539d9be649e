"""`numkeras.models`: Model, Sequential (and, with the saving module, load_model)."""
from numkeras.models.model import Model
from numkeras.models.sequential import Sequential

__all__ = ["Model", "Sequential"]
