"""Fashion-MNIST: downloaded from Keras's mirror on first use (it is not bundled)."""

import gzip
import os

import numpy as np

from numkeras.utils.file_utils import get_file

__all__ = ["load_data"]

BASE = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
FILE_HASHES = {  # sha256, as in Keras
    "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",  # noqa: E501
    "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",  # noqa: E501
    "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",  # noqa: E501
    "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",  # noqa: E501
}


def _read_idx(path, header_bytes):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=header_bytes)


def load_data():
    """Load Fashion-MNIST: 60,000 28x28 grayscale training images of 10 clothing classes
    (T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot)
    and 10,000 test images, downloaded to `~/.keras/datasets/fashion-mnist/` on first use.

    Returns:
        Tuple of uint8 NumPy arrays `(x_train, y_train), (x_test, y_test)` with shapes
        `(60000, 28, 28)`, `(60000,)`, `(10000, 28, 28)`, `(10000,)`.

    License: the copyright for Fashion-MNIST is held by Zalando SE; it is licensed under the
    MIT license.
    """
    subdir = os.path.join("datasets", "fashion-mnist")
    paths = {
        name: get_file(name, origin=BASE + name, cache_subdir=subdir, file_hash=file_hash)
        for name, file_hash in FILE_HASHES.items()
    }
    y_train = _read_idx(paths["train-labels-idx1-ubyte.gz"], 8)
    x_train = _read_idx(paths["train-images-idx3-ubyte.gz"], 16).reshape(len(y_train), 28, 28)
    y_test = _read_idx(paths["t10k-labels-idx1-ubyte.gz"], 8)
    x_test = _read_idx(paths["t10k-images-idx3-ubyte.gz"], 16).reshape(len(y_test), 28, 28)
    return (x_train, y_train), (x_test, y_test)
