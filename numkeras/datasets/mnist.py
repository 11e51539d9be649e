"""MNIST handwritten digits, bundled with numkeras so `load_data()` works offline."""

import os

import numpy as np

from numkeras.utils.file_utils import _check_fname, get_file, keras_home

__all__ = ["load_data"]

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
FILE_HASH = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
BUNDLED = os.path.join(os.path.dirname(__file__), "data", "mnist.npz")


def _resolve(path):
    """The copy to read: a file the caller named in the cache, else the bundled one."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            "mnist.load_data: `path` must be a file name such as 'mnist.npz', "
            f"received path={path!r} of type {type(path).__name__}."
        )
    if os.sep in os.fspath(path) or (os.altsep and os.altsep in os.fspath(path)):
        raise ValueError(
            "mnist.load_data: Paths are no longer accepted as `path`, a file name in the Keras "
            f"cache directory ({os.path.join(keras_home(), 'datasets')}); received "
            f"path={os.fspath(path)!r}. Load a file elsewhere with np.load instead."
        )
    path = _check_fname(path, ORIGIN)
    cached = os.path.join(keras_home(), "datasets", path)
    if (path != "mnist.npz" and os.path.exists(cached)) or not os.path.exists(BUNDLED):
        return get_file(fname=path, origin=ORIGIN, file_hash=FILE_HASH)  # verified download
    return BUNDLED


def load_data(path="mnist.npz"):
    """Load the MNIST dataset: 60,000 28x28 grayscale training images of the digits 0-9,
    and 10,000 test images.

    The file (Keras's `mnist.npz`, sha256 `731c5ac6...`) ships inside numkeras. A file named
    `path` already in the Keras cache (`~/.keras/datasets/`, or `$KERAS_HOME/datasets/`) is
    used instead when `path` is not the default; if numkeras was installed without its data,
    the file is downloaded from Keras's URL into the cache and its hash checked.

    Args:
        path: file name of the dataset in the cache (relative to `~/.keras/datasets`).

    Returns:
        Tuple of NumPy arrays `(x_train, y_train), (x_test, y_test)`: `x_*` are uint8
        images with values 0-255, shapes `(60000, 28, 28)` and `(10000, 28, 28)`; `y_*` are
        uint8 digit labels, shapes `(60000,)` and `(10000,)`.

    >>> (x_train, y_train), (x_test, y_test) = load_data()
    >>> x_train.shape, y_train.shape, x_test.shape, y_test.shape
    ((60000, 28, 28), (60000,), (10000, 28, 28), (10000,))
    >>> x_train.dtype, y_train[:5]
    (dtype('uint8'), array([5, 0, 4, 1, 9], dtype=uint8))

    License: Yann LeCun and Corinna Cortes hold the copyright of the MNIST dataset, a
    derivative work of the original NIST datasets. It is made available under the terms of
    the Creative Commons Attribution-Share Alike 3.0 license.
    """
    with np.load(_resolve(path), allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
