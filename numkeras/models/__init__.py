"""`numkeras.models`: Model, Sequential (and, with the saving module, load_model)."""

from numkeras.models.functional import Functional  # noqa: F401  (registers the class)
from numkeras.models.model import Model
from numkeras.models.model_config import clone_model
from numkeras.models.sequential import Sequential
from numkeras.saving.keras_file import load_model, save_model


def model_from_json(json_string, custom_objects=None):
    """A model from `model.to_json()`'s text (architecture only: weights are fresh)."""
    import json

    from numkeras.saving.serialization import deserialize_keras_object

    return deserialize_keras_object(json.loads(json_string), custom_objects)


__all__ = ["Model", "Sequential", "clone_model", "load_model", "model_from_json", "save_model"]
