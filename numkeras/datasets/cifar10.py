"""CIFAR-10: downloaded from its home page on first use (it is not bundled)."""

import os

import numpy as np

from numkeras.datasets.cifar import in_data_format, load_batch
from numkeras.utils.file_utils import get_file

__all__ = ["load_data"]

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
FILE_HASH = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"  # sha256, as Keras
DIRNAME = "cifar-10-batches-py"


def load_data():
    """Load CIFAR-10: 50,000 32x32 colour training images of 10 classes (airplane,
    automobile, bird, cat, deer, dog, frog, horse, ship, truck) and 10,000 test images,
    downloaded (163 MB, checked against its SHA-256) to `~/.keras/datasets/` on first use.

    Returns:
        Tuple of uint8 NumPy arrays `(x_train, y_train), (x_test, y_test)`: images
        `(50000, 32, 32, 3)` and `(10000, 32, 32, 3)` (channels first if
        `backend.image_data_format()` is "channels_first"), labels `(50000, 1)` and
        `(10000, 1)`, as Keras returns them.
    """
    path = get_file(fname=DIRNAME, origin=ORIGIN, untar=True, file_hash=FILE_HASH)
    if os.path.isdir(os.path.join(path, DIRNAME)):  # the archive's own top folder
        path = os.path.join(path, DIRNAME)
    batches = [load_batch(os.path.join(path, f"data_batch_{i}")) for i in range(1, 6)]
    x_train = np.concatenate([data for data, _ in batches])
    y_train = np.concatenate([np.asarray(labels, np.uint8) for _, labels in batches])
    x_test, y_test = load_batch(os.path.join(path, "test_batch"))
    y_train, y_test = y_train.reshape(-1, 1), np.asarray(y_test, np.uint8).reshape(-1, 1)
    return (in_data_format(x_train), y_train), (in_data_format(x_test), y_test)
