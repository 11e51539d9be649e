"""`numkeras.saving`: Keras 3's `.keras` files, `.weights.h5` files and legacy `.h5` files.

Files saved here load in Keras 3 and files Keras 3 saves load here. Loading never unpickles
or executes anything from a file: only numkeras's classes and registered or `custom_objects`
classes are instantiated.
"""

from numkeras.saving.file_editor import KerasFileEditor
from numkeras.saving.keras_file import load_model, load_weights, save_model, save_weights
from numkeras.saving.object_registration import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from numkeras.saving.serialization import deserialize_keras_object, serialize_keras_object

__all__ = [
    "KerasFileEditor",
    "save_model",
    "load_model",
    "save_weights",
    "load_weights",
    "register_keras_serializable",
    "get_registered_object",
    "get_registered_name",
    "custom_object_scope",
    "CustomObjectScope",
    "get_custom_objects",
    "serialize_keras_object",
    "deserialize_keras_object",
]
