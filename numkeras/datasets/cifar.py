"""Reading CIFAR's Python batch files without running code from them.

The batches are pickles (dicts of a uint8 array and lists). Unpickling can call any function a
file names, so only what NumPy needs to rebuild an array is let through; anything else is
refused with an UnpicklingError before it runs.
"""

import codecs
import pickle

import numpy as np

from numkeras.backend.config import image_data_format

_reconstruct = (np._core if hasattr(np, "_core") else np.core).multiarray._reconstruct  # 2.x, 1.x
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): codecs.encode,  # bytes in protocol-2 pickles written by Python 3
}


class SafeUnpickler(pickle.Unpickler):
    """An Unpickler that builds only NumPy arrays, dtypes and plain Python values."""

    def find_class(self, module, name):
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"Refusing to load {module}.{name} from a dataset file: only NumPy arrays and "
                "plain values are allowed."
            ) from None


def load_batch(path, label_key="labels"):
    """(data, labels) of one batch file: data (n, 3, 32, 32) uint8, labels a list of ints."""
    with open(path, "rb") as f:
        batch = SafeUnpickler(f, encoding="bytes").load()
    batch = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in batch.items()}
    data = np.asarray(batch["data"], dtype=np.uint8)
    return data.reshape(len(data), 3, 32, 32), batch[label_key]


def in_data_format(images):
    """CIFAR's (n, 3, 32, 32) images as Keras returns them: channels last unless
    `backend.image_data_format()` is "channels_first"."""
    return images.transpose(0, 2, 3, 1) if image_data_format() == "channels_last" else images
