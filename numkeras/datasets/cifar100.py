"""CIFAR-100: downloaded from its home page on first use (it is not bundled)."""

import os

import numpy as np

from numkeras.datasets.cifar import in_data_format, load_batch
from numkeras.utils.file_utils import get_file

__all__ = ["load_data"]

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
FILE_HASH = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"  # sha256, as Keras
DIRNAME = "cifar-100-python-target"


def load_data(label_mode="fine"):
    """Load CIFAR-100: 50,000 32x32 colour training images and 10,000 test images, labelled
    over 100 fine classes grouped into 20 coarse ones, downloaded (161 MB, checked against
    its SHA-256) to `~/.keras/datasets/` on first use.

    Args:
        label_mode: "fine" (labels 0-99) or "coarse" (the 20 superclasses, 0-19).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 images `(50000, 32, 32, 3)` and
        `(10000, 32, 32, 3)` (channels first if `backend.image_data_format()` is
        "channels_first"), integer labels `(50000, 1)` and `(10000, 1)`, as Keras returns them.
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError(
            f'`label_mode` must be one of `"fine"`, `"coarse"`. Received: label_mode={label_mode}.'
        )
    path = get_file(fname=DIRNAME, origin=ORIGIN, extract=True, file_hash=FILE_HASH)
    path = os.path.join(path, "cifar-100-python")
    splits = []
    for name in ("train", "test"):
        x, y = load_batch(os.path.join(path, name), label_key=f"{label_mode}_labels")
        splits.append((in_data_format(x), np.reshape(y, (len(y), 1))))
    return tuple(splits)
