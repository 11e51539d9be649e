"""`numkeras.preprocessing`: Keras's older home of the dataset and image utilities (the same
functions as in `numkeras.utils`)."""

from numkeras.preprocessing import image, sequence
from numkeras.utils.directory_datasets import (
    image_dataset_from_directory,
    text_dataset_from_directory,
)
from numkeras.utils.timeseries_dataset import timeseries_dataset_from_array

__all__ = [
    "image",
    "image_dataset_from_directory",
    "sequence",
    "text_dataset_from_directory",
    "timeseries_dataset_from_array",
]
