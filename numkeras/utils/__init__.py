"""`numkeras.utils`: `to_categorical`, `normalize`, `get_file`, `Progbar`, `PyDataset`,
`set_random_seed`, `split_dataset`, `pad_sequences`, datasets of NumPy batches (timeseries
windows, image, text and audio folders), image files (Pillow, the `image` extra), custom object
registration, `FeatureSpace`, the `bounding_boxes` helpers, `plot_history` and `plot_model`
(matplotlib, the `plot` extra)."""

from numkeras.backend import clear_session, is_keras_tensor, standardize_dtype
from numkeras.backend.io_utils import (
    disable_interactive_logging,
    enable_interactive_logging,
    is_interactive_logging_enabled,
)
from numkeras.saving.object_registration import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from numkeras.saving.serialization import deserialize_keras_object, serialize_keras_object
from numkeras.utils import bounding_boxes
from numkeras.utils.config import Config
from numkeras.utils.data_utils import pack_x_y_sample_weight, unpack_x_y_sample_weight
from numkeras.utils.dataset_utils import split_dataset
from numkeras.utils.directory_datasets import (
    audio_dataset_from_directory,
    image_dataset_from_directory,
    text_dataset_from_directory,
)
from numkeras.utils.dot_graph import model_to_dot
from numkeras.utils.feature_space import FeatureSpace
from numkeras.utils.file_utils import get_file
from numkeras.utils.graph_utils import get_source_inputs
from numkeras.utils.image_utils import array_to_img, img_to_array, load_img, save_img
from numkeras.utils.numerical_utils import normalize, to_categorical
from numkeras.utils.plotting import plot_history, plot_model
from numkeras.utils.progbar import Progbar
from numkeras.utils.py_dataset import PyDataset, Sequence
from numkeras.utils.rng_utils import set_random_seed
from numkeras.utils.sequence_utils import pad_sequences
from numkeras.utils.timeseries_dataset import timeseries_dataset_from_array

__all__ = [
    "bounding_boxes",
    "CustomObjectScope",
    "custom_object_scope",
    "deserialize_keras_object",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "register_keras_serializable",
    "serialize_keras_object",
    "Progbar",
    "PyDataset",
    "Sequence",
    "get_file",
    "normalize",
    "plot_history",
    "model_to_dot",
    "plot_model",
    "pack_x_y_sample_weight",
    "unpack_x_y_sample_weight",
    "audio_dataset_from_directory",
    "image_dataset_from_directory",
    "text_dataset_from_directory",
    "array_to_img",
    "img_to_array",
    "load_img",
    "disable_interactive_logging",
    "enable_interactive_logging",
    "is_interactive_logging_enabled",
    "clear_session",
    "is_keras_tensor",
    "standardize_dtype",
    "get_source_inputs",
    "Config",
    "FeatureSpace",
    "save_img",
    "pad_sequences",
    "timeseries_dataset_from_array",
    "set_random_seed",
    "split_dataset",
    "to_categorical",
]
