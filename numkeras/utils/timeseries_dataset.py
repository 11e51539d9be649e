"""`timeseries_dataset_from_array`: sliding windows over a series, as batches of NumPy arrays."""

import numpy as np

from numkeras.utils.py_dataset import PyDataset


class ArrayBatches(PyDataset):
    """Batches `make(indices)` for consecutive slices of `order`; a PyDataset, so `fit`,
    `evaluate` and `predict` take it, and iterating it gives every batch once."""

    def __init__(self, order, batch_size, make):
        super().__init__()
        self._order, self._batch_size, self._make = order, batch_size, make

    def __len__(self):
        if self._batch_size is None:
            return len(self._order)
        return -(-len(self._order) // self._batch_size)

    def __getitem__(self, index):
        if not -len(self) <= index < len(self):
            raise IndexError(f"Batch index {index} out of range for {len(self)} batches.")
        index %= len(self)
        if self._batch_size is None:
            return self._make(self._order[index : index + 1], single=True)
        size = self._batch_size
        return self._make(self._order[index * size : (index + 1) * size], single=False)


def timeseries_dataset_from_array(
    data,
    targets,
    sequence_length,
    sequence_stride=1,
    sampling_rate=1,
    batch_size=128,
    shuffle=False,
    seed=None,
    start_index=None,
    end_index=None,
):
    """Windows `data[i : i + sequence_length * sampling_rate : sampling_rate]` every
    `sequence_stride` steps, with `targets[i]` (unless `targets` is None), in batches.

    Keras returns a `tf.data.Dataset`; this returns a PyDataset of NumPy batches `(x, y)` (or
    `x`), in Keras's window order. With `shuffle`, the windows are shuffled once as Keras
    shuffles them (`np.random.RandomState(seed)`); Keras's extra per-epoch buffer shuffle is
    not reproduced.

    >>> batches = timeseries_dataset_from_array(np.arange(6), None, 3, batch_size=2)
    >>> [b.tolist() for b in batches]
    [[[0, 1, 2], [1, 2, 3]], [[2, 3, 4], [3, 4, 5]]]
    """
    data = np.asarray(data)
    _check(data, start_index, end_index, sampling_rate, sequence_stride)
    start = start_index or 0
    stop = end_index if end_index is not None else len(data)
    series = data[start:stop]
    labels = None if targets is None else np.asarray(targets)[start:stop]
    count = stop - start - (sequence_length - 1) * sampling_rate
    if labels is not None:
        count = min(count, len(labels))
    positions = np.arange(0, max(count, 0), sequence_stride)
    if shuffle:
        np.random.RandomState(np.random.randint(1e6) if seed is None else seed).shuffle(positions)
    offsets = np.arange(sequence_length) * sampling_rate

    def make(chosen, single):
        windows = series[chosen[:, None] + offsets]
        x = windows[0] if single else windows
        if labels is None:
            return x
        y = labels[chosen]
        return x, (y[0] if single else y)

    return ArrayBatches(positions, batch_size, make)


def _check(data, start_index, end_index, sampling_rate, sequence_stride):
    """Keras's argument checks, with its messages."""
    if start_index:
        if start_index < 0:
            raise ValueError(
                f"`start_index` must be 0 or greater. Received: start_index={start_index}"
            )
        if start_index >= len(data):
            raise ValueError(
                "`start_index` must be lower than the length of the data. Received: "
                f"start_index={start_index}, for data of length {len(data)}"
            )
    if end_index:
        if start_index and end_index <= start_index:
            raise ValueError(
                "`end_index` must be higher than `start_index`. Received: "
                f"start_index={start_index}, and end_index={end_index} "
            )
        if end_index >= len(data):
            raise ValueError(
                "`end_index` must be lower than the length of the data. Received: "
                f"end_index={end_index}, for data of length {len(data)}"
            )
    for name, value in (("sampling_rate", sampling_rate), ("sequence_stride", sequence_stride)):
        if value <= 0:
            raise ValueError(f"`{name}` must be higher than 0. Received: {name}={value}")
        if value >= len(data):
            raise ValueError(
                f"`{name}` must be lower than the length of the data. Received: "
                f"{name}={value}, for data of length {len(data)}"
            )
