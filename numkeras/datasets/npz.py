"""Reading `.npz` files whose ragged arrays are pickled, without running code from them.

IMDB and Reuters store each review as a list, in `dtype=object` arrays that NumPy can only save
as a pickle; `np.load(allow_pickle=True)` would call any function a crafted file names. Here
object arrays go through cifar's `SafeUnpickler` (NumPy arrays and plain values only), as
Keras 3's `npz_utils.load_npz` does, and numeric arrays load with pickling off.
"""

import io
import zipfile

import numpy as np

from numkeras.datasets.cifar import SafeUnpickler

__all__ = ["load_npz"]

_HEADER_READERS = {
    1: np.lib.format.read_array_header_1_0,
    2: np.lib.format.read_array_header_2_0,
    3: np.lib.format.read_array_header_2_0,
}  # 3.0 differs only in text encoding


def _read_npy(fp):
    """One `.npy` stream: numeric arrays by NumPy with pickling off, object arrays safely."""
    version = np.lib.format.read_magic(fp)
    if version[0] not in _HEADER_READERS:
        raise ValueError(f"Unsupported .npy format version {version} in a dataset file.")
    shape, _, dtype = _HEADER_READERS[version[0]](fp)
    if not dtype.hasobject:
        fp.seek(0)
        return np.lib.format.read_array(fp, allow_pickle=False)
    array = SafeUnpickler(fp).load()
    if not isinstance(array, np.ndarray) or array.shape != shape:
        raise ValueError(f"A dataset file's object array is not an array of shape {shape}.")
    return array


def load_npz(path):
    """A dict of the arrays in the `.npz` file at `path`, keyed by name without `.npy`."""
    arrays = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if member.endswith(".npy"):
                arrays[member[: -len(".npy")]] = _read_npy(io.BytesIO(archive.read(member)))
    return arrays
