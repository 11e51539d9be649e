"""Array inputs for fit/evaluate/predict: checks, validation split and batches without copies."""
import itertools
import math
import warnings

import numpy as np

from numkeras.layers.keras_tensor import flatten, map_structure
from numkeras.random import global_generator


def _leaf(x, role):
    if hasattr(x, "numpy") and not isinstance(x, np.ndarray):
        x = x.numpy()
    array = np.asarray(x)
    if array.dtype == object or array.dtype.kind in "USV":
        raise TypeError(
            f"`{role}` must hold numbers, got an array of dtype {array.dtype}. "
            "Convert it with np.asarray(..., dtype='float32') first."
        )
    if array.dtype == np.float64 or array.dtype == np.float16:
        array = array.astype("float32")
    if array.ndim == 0:
        raise ValueError(f"`{role}` must have a batch axis, got a scalar.")
    return array


def _check_finite(arrays, role):
    for a in arrays:
        if a.dtype.kind == "f" and not np.isfinite(a).all():
            bad = int(np.size(a) - np.count_nonzero(np.isfinite(a)))
            raise ValueError(f"`{role}` contains {bad} NaN or infinite values.")


_warned = set()


def _warn_unscaled(arrays):
    for a in arrays:
        if a.dtype == np.uint8 and "uint8" not in _warned:
            _warned.add("uint8")
            warnings.warn(
                "The input is uint8 (values 0-255). Neural networks train best on inputs scaled "
                "to [0, 1]: divide by 255 first, e.g. x.astype('float32') / 255.",
                stacklevel=4,
            )


class ArrayData:
    """`x`, `y` and `sample_weight` as structures of NumPy arrays sharing one batch axis."""

    def __init__(self, x, y=None, sample_weight=None, check=True):
        if x is None:
            raise ValueError("No input data: `x` is None.")
        self.x = map_structure(lambda a: _leaf(a, "x"), x)
        self.y = None if y is None else map_structure(lambda a: _leaf(a, "y"), y)
        self.sample_weight = (
            None if sample_weight is None else _leaf(sample_weight, "sample_weight"))
        leaves = self.leaves()
        sizes = {len(a) for a in leaves}
        if len(sizes) > 1:
            lengths = ", ".join(
                f"{name}: {sorted({len(a) for a in flatten(part)})}"
                for name, part in (("x", self.x), ("y", self.y),
                                   ("sample_weight", self.sample_weight)) if part is not None)
            raise ValueError(
                f"Data cardinality is ambiguous: x and y must have the same number of samples. "
                f"Received sizes {lengths}."
            )
        self.size = sizes.pop()
        if self.size == 0:
            raise ValueError("The data is empty: x has 0 samples.")
        if check:
            _check_finite(leaves, "x / y")
            _warn_unscaled(flatten(self.x))
        self._buffers = {}

    def leaves(self):
        parts = [self.x] + ([self.y] if self.y is not None else []) + (
            [self.sample_weight] if self.sample_weight is not None else [])
        return [leaf for part in parts for leaf in flatten(part)]

    def _take(self, part, rows):
        return None if part is None else map_structure(lambda a: a[rows], part)

    def split(self, fraction):
        """(train, validation): the last `fraction` of samples, taken before any shuffling."""
        split_at = int(math.floor(self.size * (1 - fraction)))
        if split_at == 0 or split_at == self.size:
            raise ValueError(
                f"validation_split={fraction} leaves {split_at} training and "
                f"{self.size - split_at} validation samples out of {self.size}; both must be "
                "non-empty."
            )
        head, tail = slice(None, split_at), slice(split_at, None)
        return (ArrayData(self._take(self.x, head), self._take(self.y, head),
                          self._take(self.sample_weight, head), check=False),
                ArrayData(self._take(self.x, tail), self._take(self.y, tail),
                          self._take(self.sample_weight, tail), check=False))

    def num_batches(self, batch_size):
        return -(-self.size // batch_size)

    def batches(self, batch_size, shuffle=False):
        """Yield (x, y, sample_weight) per batch; shuffled rows are gathered into reused buffers."""
        if shuffle == "batch":
            starts = global_generator().permutation(self.num_batches(batch_size)) * batch_size
            order = np.concatenate([np.arange(s, min(s + batch_size, self.size)) for s in starts])
        elif shuffle:
            order = global_generator().permutation(self.size)
        else:
            order = None
        for start in range(0, self.size, batch_size):
            if order is None:
                rows = slice(start, start + batch_size)
                yield (self._take(self.x, rows), self._take(self.y, rows),
                       self._take(self.sample_weight, rows))
            else:
                idx = order[start : start + batch_size]
                yield tuple(self._gather(part, idx, k) for k, part in
                            enumerate((self.x, self.y, self.sample_weight)))

    def _gather(self, part, idx, key):
        if part is None:
            return None
        counter = itertools.count()

        def gather(a):
            slot = (key, next(counter), len(idx))
            buf = self._buffers.get(slot)
            if buf is None or buf.shape[1:] != a.shape[1:] or buf.dtype != a.dtype:
                buf = self._buffers[slot] = np.empty((len(idx),) + a.shape[1:], a.dtype)
            return np.take(a, idx, axis=0, out=buf)

        return map_structure(gather, part)


def unpack_x_y_sample_weight(data):
    """Split a batch (x,), (x, y) or (x, y, sample_weight) into three parts."""
    if isinstance(data, tuple):
        if len(data) == 1:
            return data[0], None, None
        if len(data) == 2:
            return data[0], data[1], None
        if len(data) == 3:
            return data
    return data, None, None
