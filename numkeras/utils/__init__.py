"""`numkeras.utils`: `to_categorical`, `normalize`, `get_file`, `Progbar`, `PyDataset`,
`set_random_seed`, `split_dataset`, `plot_history` and `plot_model` (matplotlib, the `plot`
extra)."""
from numkeras.saving.object_registration import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from numkeras.saving.serialization import deserialize_keras_object, serialize_keras_object
from numkeras.utils.dataset_utils import split_dataset
from numkeras.utils.file_utils import get_file
from numkeras.utils.numerical_utils import normalize, to_categorical
from numkeras.utils.plotting import plot_history, plot_model
from numkeras.utils.progbar import Progbar
from numkeras.utils.py_dataset import PyDataset, Sequence
from numkeras.utils.rng_utils import set_random_seed

__all__ = [
    "CustomObjectScope", "custom_object_scope", "deserialize_keras_object", "get_custom_objects",
    "get_registered_name", "get_registered_object", "register_keras_serializable",
    "serialize_keras_object", "Progbar", "PyDataset", "Sequence", "get_file", "normalize",
    "plot_history", "plot_model",
    "set_random_seed", "split_dataset", "to_categorical",
]
