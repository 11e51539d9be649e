"""California Housing prices (1990 census), downloaded from Keras's storage on first use."""

import numpy as np

from numkeras.datasets.housing import check_test_split, split
from numkeras.utils.file_utils import get_file

__all__ = ["load_data"]

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/california_housing.npz"
FILE_HASH = "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"  # sha256, as Keras


def load_data(version="large", path="california_housing.npz", test_split=0.2, seed=113):
    """Load California Housing: 20,640 census block groups, 8 features each (MedInc,
    HouseAge, AveRooms, AveBedrms, Population, AveOccup, Latitude, Longitude), targets the
    median house value in dollars.

    Args:
        version: "large" (all 20,640 rows) or "small" (the first 600, a stand-in for
            `boston_housing`).
        path: file name of the dataset in the cache (relative to `~/.keras/datasets`).
        test_split: fraction of the data put in the test set, in [0, 1).
        seed: seed of the shuffle before the split (NumPy RandomState, as Keras).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: `x_*` float arrays `(n, 8)`, `y_*` `(n,)`.
    """
    check_test_split(test_split)
    if version not in ("large", "small"):
        raise ValueError(
            f"Argument `version` must be one of 'small', 'large'. Received: version={version}"
        )
    with np.load(get_file(path, origin=ORIGIN, file_hash=FILE_HASH), allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    if version == "small":
        x, y = x[:600], y[:600]
    return split(x, y, test_split, seed)
