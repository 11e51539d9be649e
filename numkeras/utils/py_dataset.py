"""PyDataset (alias Sequence): a dataset of batches defined by `__len__` and `__getitem__`."""

import itertools
import warnings

__all__ = ["PyDataset", "Sequence"]


class PyDataset:
    """Base class for a dataset of batches written in Python.

    Implement `__getitem__(index)` to return one complete batch, `(x,)`, `(x, y)` or
    `(x, y, sample_weight)`, and `__len__()` to return the number of batches. `fit`
    calls `on_epoch_begin()` and `on_epoch_end()` around each epoch (for instance to
    reshuffle) and, with `shuffle=True`, visits the batches in a new random order each
    epoch. Unlike a generator, every batch is seen exactly once per epoch.

    Args:
        workers: number of threads that load batches ahead of training (1: load each batch
            when it is needed).
        use_multiprocessing: accepted for compatibility with Keras; numkeras loads batches
            in threads only.
        max_queue_size: the most batches loaded ahead when `workers > 1`.

    >>> import numpy as np
    >>> class Squares(PyDataset):
    ...     def __len__(self):
    ...         return 3
    ...     def __getitem__(self, index):
    ...         x = np.full((2, 1), index, "float32")
    ...         return x, x ** 2
    >>> len(Squares()), Squares()[2][1].ravel().tolist()
    (3, [4.0, 4.0])
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size

    def _warn_if_super_not_called(self):
        if not hasattr(self, "_workers"):
            self._workers, self._use_multiprocessing, self._max_queue_size = 1, False, 10
            warnings.warn(
                "Your `PyDataset` class should call `super().__init__(**kwargs)` in its "
                "constructor. `**kwargs` can include `workers`, `use_multiprocessing`, "
                "`max_queue_size`. Do not pass these arguments to `fit()`, as they will be "
                "ignored.",
                stacklevel=3,
            )

    @property
    def workers(self):
        self._warn_if_super_not_called()
        return self._workers

    @workers.setter
    def workers(self, value):
        self._workers = value

    @property
    def use_multiprocessing(self):
        self._warn_if_super_not_called()
        return self._use_multiprocessing

    @use_multiprocessing.setter
    def use_multiprocessing(self, value):
        self._use_multiprocessing = value

    @property
    def max_queue_size(self):
        self._warn_if_super_not_called()
        return self._max_queue_size

    @max_queue_size.setter
    def max_queue_size(self, value):
        self._max_queue_size = value

    def __getitem__(self, index):
        """The batch at position `index`."""
        raise NotImplementedError(f"{type(self).__name__} must implement `__getitem__`.")

    @property
    def num_batches(self):
        """The number of batches (`len(self)`), or None for an endless dataset."""
        if hasattr(self, "__len__"):
            return len(self)
        raise NotImplementedError(
            "You need to implement the `num_batches` property:\n\n"
            "@property\ndef num_batches(self):\n  return ..."
        )

    def __iter__(self):
        try:
            count = self.num_batches
        except NotImplementedError:
            count = None
        for index in range(count) if count is not None else itertools.count():
            yield self[index]

    def on_epoch_begin(self):
        """Called at the beginning of every epoch."""

    def on_epoch_end(self):
        """Called at the end of every epoch."""


Sequence = PyDataset
