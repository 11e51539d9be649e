"""Boston Housing prices (StatLib), downloaded from Keras's storage on first use.

The data has an ethical problem (its "B" attribute encodes race), which is why Keras
discourages it outside lessons about exactly that; `california_housing` is the replacement.
"""

import numpy as np

from numkeras.datasets.housing import check_test_split, split
from numkeras.utils.file_utils import get_file

__all__ = ["load_data"]

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/boston_housing.npz"
FILE_HASH = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"  # sha256, as Keras


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """Load Boston Housing: 506 locations, 13 attributes each, targets the median home value
    in k$.

    Args:
        path: file name of the dataset in the cache (relative to `~/.keras/datasets`).
        test_split: fraction of the data put in the test set, in [0, 1).
        seed: seed of the shuffle before the split (NumPy RandomState, as Keras).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: `x_*` float arrays `(n, 13)`, `y_*` `(n,)`.
    """
    check_test_split(test_split)
    with np.load(get_file(path, origin=ORIGIN, file_hash=FILE_HASH), allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    return split(x, y, test_split, seed)
