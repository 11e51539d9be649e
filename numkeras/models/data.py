"""Inputs for fit/evaluate/predict: arrays (checks, validation split, batches without copies),
Python generators and iterables of batches, and PyDatasets, read an epoch at a time."""

import concurrent.futures
import itertools
import math
import types
import warnings

import numpy as np

from numkeras.backend.traceback_utils import warn_user
from numkeras.models import replica as replica_lib
from numkeras.random import global_generator
from numkeras.tree import flatten, map_structure
from numkeras.utils.py_dataset import PyDataset


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
        raise ValueError(
            f"`{role}` must be an array whose first axis indexes the samples, got the scalar "
            f"{array.item()!r}. A Python list is read as a list of inputs, one per model input: "
            "to give one input, convert it first with np.array(...)."
        )
    return array


def _check_finite(arrays, role):
    """NaN/inf in `role`: a ValueError, or a warning with config.set_nan_policy("warn")."""
    from numkeras import config

    for a in arrays:
        if a.dtype.kind == "f" and not np.isfinite(a).all():
            bad = int(np.size(a) - np.count_nonzero(np.isfinite(a)))
            message = f"`{role}` contains {bad} NaN or infinite values out of {np.size(a)}."
            if config.nan_policy() == "warn":
                warn_user(message + " Going on, as numkeras.config.nan_policy() is 'warn'.")
                continue
            raise ValueError(
                message + " Clean the data first (e.g. drop those samples or use "
                "np.nan_to_num), or call numkeras.config.set_nan_policy('warn') to "
                "only be warned."
            )


_warned = set()


def _warn_unscaled(arrays):
    """Warn once about integer images (uint8, or other integers of rank >= 3 above 1): not
    integer token ids of shape (samples, steps), which Embedding takes as they are."""
    for a in arrays:
        if a.dtype == np.uint8 and "uint8" not in _warned:
            _warned.add("uint8")
            warn_user(
                "The input is uint8 (values 0-255). Neural networks train best on inputs scaled "
                "to [0, 1]: divide by 255 first, e.g. x.astype('float32') / 255."
            )
        elif (
            a.dtype.kind in "iu"
            and a.dtype != np.uint8
            and a.ndim >= 3
            and a.size
            and "int" not in _warned
            and a.max() > 1
        ):
            _warned.add("int")
            warn_user(
                f"The input is an integer array ({a.dtype}, values up to {a.max()}). Neural "
                "networks train best on inputs scaled to [0, 1]: convert and scale it first, "
                "e.g. x.astype('float32') / x.max()."
            )


class ArrayData:
    """`x`, `y` and `sample_weight` as structures of NumPy arrays sharing one batch axis."""

    def __init__(self, x, y=None, sample_weight=None, check=True):
        if x is None:
            raise ValueError("No input data: `x` is None.")
        self.x = map_structure(lambda a: _leaf(a, "x"), x)
        self.y = None if y is None else map_structure(lambda a: _leaf(a, "y"), y)
        self.sample_weight = (
            None if sample_weight is None else _leaf(sample_weight, "sample_weight")
        )
        leaves = self.leaves()
        sizes = {len(a) for a in leaves}
        if len(sizes) > 1:
            lengths = ", ".join(
                f"{name}: {sorted({len(a) for a in flatten(part)})}"
                for name, part in (
                    ("x", self.x),
                    ("y", self.y),
                    ("sample_weight", self.sample_weight),
                )
                if part is not None
            )
            raise ValueError(
                f"Data cardinality is ambiguous: x and y must have the same number of samples. "
                f"Received sizes {lengths}."
            )
        self.size = sizes.pop()
        if self.size == 0:
            raise ValueError("The data is empty: x has 0 samples.")
        if check:
            for role, part in (("x", self.x), ("y", self.y), ("sample_weight", self.sample_weight)):
                _check_finite(flatten(part) if part is not None else [], role)
            _warn_unscaled(flatten(self.x))
        self._buffers = {}

    def leaves(self):
        parts = (
            [self.x]
            + ([self.y] if self.y is not None else [])
            + ([self.sample_weight] if self.sample_weight is not None else [])
        )
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
        return (
            ArrayData(
                self._take(self.x, head),
                self._take(self.y, head),
                self._take(self.sample_weight, head),
                check=False,
            ),
            ArrayData(
                self._take(self.x, tail),
                self._take(self.y, tail),
                self._take(self.sample_weight, tail),
                check=False,
            ),
        )

    def num_batches(self, batch_size):
        return -(-self.size // batch_size)

    def batches(self, batch_size, shuffle=False):
        """Yield (x, y, sample_weight) per batch; shuffled rows are gathered into reused buffers."""
        if shuffle == "batch":  # Keras 3: the batches stay, rows are shuffled within each
            rng = global_generator()
            order = np.concatenate(
                [
                    s + rng.permutation(min(batch_size, self.size - s))
                    for s in range(0, self.size, batch_size)
                ]
            )
        elif shuffle:
            order = global_generator().permutation(self.size)
        else:
            order = None
        replica = replica_lib.current()
        for start in range(0, self.size, batch_size):
            stop = min(start + batch_size, self.size)
            if replica is not None:  # data-parallel: only this process's rows are gathered
                start, stop = replica.shard(start, stop)
            if order is None:
                rows = slice(start, stop)
                yield (
                    self._take(self.x, rows),
                    self._take(self.y, rows),
                    self._take(self.sample_weight, rows),
                )
            else:
                idx = order[start:stop]
                yield tuple(
                    self._gather(part, idx, k)
                    for k, part in enumerate((self.x, self.y, self.sample_weight))
                )

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


# --- class weights ----------------------------------------------------------------------------
def class_weight_to_sample_weights(y, class_weight):
    """Per-sample weights `class_weight[label]` (1.0 for classes not listed), as Keras does:
    one-hot labels are argmaxed, a trailing axis of 1 squeezed, labels rounded."""
    labels = np.asarray(y)
    if labels.ndim > 1:
        labels = labels.argmax(-1) if labels.shape[-1] != 1 else labels.squeeze(-1)
    labels = np.round(labels).astype("int64").reshape(-1)
    return np.array([class_weight.get(int(c), 1.0) for c in labels], dtype="float32")


def array_sample_weight(y, sample_weight, class_weight):
    """The sample weights `fit` uses for array data: given, from `class_weight`, or None."""
    if not class_weight:
        return sample_weight
    if sample_weight is not None:
        raise ValueError("You cannot use `class_weight` and `sample_weight` at the same time.")
    if isinstance(y, (list, tuple, dict)):
        raise ValueError("`class_weight` is only supported for Models with a single output.")
    return class_weight_to_sample_weights(y, class_weight)


# --- batch sources: arrays, generators / iterables, PyDataset -----------------------------------
def _standardize_batch(batch, class_weight=None):
    """A yielded batch as (x, y, sample_weight) of arrays; a non-tuple batch is `x` alone."""
    if isinstance(batch, list):
        batch = tuple(batch)
    if not isinstance(batch, tuple):
        batch = (batch,)
    if not 1 <= len(batch) <= 3:
        raise ValueError(
            "A batch must be a tuple (inputs,), (inputs, targets) or (inputs, targets, "
            f"sample_weights); received a tuple of {len(batch)} items."
        )
    x, y, sample_weight = (tuple(batch) + (None, None))[:3]
    if class_weight is not None and y is not None:
        if sample_weight is not None:
            raise ValueError(
                "You cannot specify `class_weight` and `sample_weight` at the same time."
            )
        sample_weight = class_weight_to_sample_weights(y, class_weight)
    convert = lambda part, role: (
        None if part is None else map_structure(lambda a: _leaf(a, role), part)
    )
    batch = convert(x, "x"), convert(y, "y"), convert(sample_weight, "sample_weight")
    for part, role in zip(batch, ("x", "y", "sample_weight")):  # as arrays are checked
        _check_finite(flatten(part) if part is not None else [], role)
    replica = replica_lib.current()
    return batch if replica is None else replica.shard_batch(batch)


class ArraySource:
    """ArrayData in batches of `batch_size`, reshuffled on every pass."""

    one_shot = False

    def __init__(self, data, batch_size, shuffle=False):
        self.data, self.batch_size, self.shuffle = data, batch_size, shuffle
        self.num_batches = data.num_batches(batch_size)

    def __iter__(self):
        return self.data.batches(self.batch_size, self.shuffle)

    def on_epoch_begin(self):
        pass

    on_epoch_end = on_epoch_begin


class IterableSource:
    """A Python generator or iterator (read once) or iterable (re-read every pass) of batches."""

    num_batches = None

    def __init__(self, iterable):
        self.one_shot = iter(iterable) is iterable
        self.iterable = iterable

    def __iter__(self):
        return (
            _standardize_batch(batch)
            for batch in (self.iterable if self.one_shot else iter(self.iterable))
        )

    def on_epoch_begin(self):
        pass

    on_epoch_end = on_epoch_begin


class PyDatasetSource:
    """A PyDataset's batches in order (or a new random order per pass), loaded ahead by
    `workers` threads when there are several."""

    one_shot = False

    def __init__(self, dataset, class_weight=None, shuffle=False):
        self.dataset, self.class_weight, self.shuffle = dataset, class_weight, shuffle
        self.num_batches = dataset.num_batches

    def _indices(self):
        if self.num_batches is None:
            return itertools.count()
        if self.shuffle:
            return iter(global_generator().permutation(self.num_batches).tolist())
        return iter(range(self.num_batches))

    def __iter__(self):
        indices = self._indices()
        if self.dataset.workers <= 1:
            return (_standardize_batch(self.dataset[i], self.class_weight) for i in indices)
        return self._prefetched(indices)

    def _prefetched(self, indices):
        ahead = max(1, self.dataset.max_queue_size)
        with concurrent.futures.ThreadPoolExecutor(self.dataset.workers) as pool:
            futures = [
                pool.submit(self.dataset.__getitem__, i) for i in itertools.islice(indices, ahead)
            ]
            while futures:
                batch = futures.pop(0).result()
                futures.extend(
                    pool.submit(self.dataset.__getitem__, i) for i in itertools.islice(indices, 1)
                )
                yield _standardize_batch(batch, self.class_weight)

    def on_epoch_begin(self):
        self.dataset.on_epoch_begin()

    def on_epoch_end(self):
        self.dataset.on_epoch_end()


def _unsupported(arg, what, kind):
    raise ValueError(
        f"When providing `x` as a {kind}, `{arg}` should not be passed. Instead, "
        f"{what} should be included as part of the {kind}."
    )


def is_batch_iterable(x):
    """True for inputs that yield batches (generators, iterators, iterables, PyDataset)
    rather than holding arrays."""
    if isinstance(x, (PyDataset, types.GeneratorType)):
        return True
    if isinstance(x, (np.ndarray, list, tuple, dict, str, bytes)) or x is None:
        return False
    return hasattr(x, "__iter__") and not hasattr(x, "__array__") and not hasattr(x, "shape")


def make_source(
    x, y=None, sample_weight=None, class_weight=None, batch_size=None, steps=None, shuffle=False
):
    """The batch source for `x`: ArraySource, IterableSource or PyDatasetSource."""
    if isinstance(x, PyDataset):
        if y is not None:
            _unsupported("y", "the targets", "PyDataset")
        if sample_weight is not None:
            _unsupported("sample_weights", "the sample weights", "PyDataset")
        return PyDatasetSource(x, class_weight, shuffle)
    if is_batch_iterable(x):
        kind = "generator" if isinstance(x, types.GeneratorType) else "iterable of batches"
        if y is not None:
            _unsupported("y", "the targets", kind)
        if sample_weight is not None:
            _unsupported("sample_weights", "the sample weights", kind)
        if class_weight is not None:
            raise ValueError(
                f"Argument `class_weight` is not supported for Python {kind} "
                f"inputs. Received: class_weight={class_weight}"
            )
        return IterableSource(x)
    data = ArrayData(x, y, array_sample_weight(y, sample_weight, class_weight))
    if batch_size is None:
        batch_size = int(math.ceil(data.size / steps)) if steps else 32
    return ArraySource(data, batch_size, shuffle)


class EpochIterator:
    """Batches one epoch at a time, as Keras's EpochIterator.

    Without `steps` an epoch is one pass over the source. With `steps`, an epoch is that
    many batches, and the next epoch carries on where the last one stopped (a generator is
    never restarted); a source that runs out early ends the epoch with a warning. A one-shot
    source (generator, iterator) that has run out sets `exhausted`.
    """

    def __init__(self, source, steps=None, role="training"):
        from numkeras import config

        cap = config.max_steps_per_epoch()
        if cap and (not steps or cap < steps):  # keras.config.set_max_steps_per_epoch
            warnings.warn(f"Limiting steps_per_epoch to {cap}", stacklevel=3)
            steps = cap
        self.source, self.steps, self.role = source, steps, role
        self.exhausted = False
        self._iterator, self._seen = None, 0

    @property
    def num_batches(self):
        return self.steps or self.source.num_batches

    def warn_ran_out(self, stacklevel=4):
        if self.role == "training":
            message = (
                "Your input ran out of data; interrupting training. Make sure that your "
                "dataset or generator can generate at least `steps_per_epoch * epochs` "
                "batches."
            )
        else:
            message = (
                f"Your {self.role} data ran out after {self._seen} batches. Make sure "
                "that it can generate `steps` (or `validation_steps`) batches for each "
                "run, or pass a re-iterable dataset such as a PyDataset."
            )
        warnings.warn(message, stacklevel=stacklevel)  # default: the user's fit/predict call

    def __iter__(self):
        """Yield (step, (x, y, sample_weight)) for one epoch."""
        source, known = self.source, self.source.num_batches
        source.on_epoch_begin()
        try:
            if self._iterator is None or self.steps is None:
                self._iterator, self._seen = iter(source), 0
            step, limit = 0, self.steps or known
            while limit is None or step < limit:
                if known and self._seen >= known:  # only with steps > what is left
                    self.warn_ran_out()
                    break
                try:
                    batch = next(self._iterator)
                except StopIteration:
                    self._iterator = None
                    self.exhausted = source.one_shot
                    if self.steps or step == 0:
                        self.warn_ran_out()
                    break
                self._seen += 1
                yield step, batch
                step += 1
            if known and self._seen >= known:
                self._iterator = None
        finally:
            source.on_epoch_end()


def fit_sources(
    x,
    y,
    sample_weight,
    class_weight,
    batch_size,
    steps,
    shuffle,
    validation_split,
    validation_data,
    validation_batch_size,
    validation_steps,
):
    """(training source, validation source or None) for `fit`'s arguments."""
    if not 0 <= validation_split < 1:
        raise ValueError(f"`validation_split` must be in [0, 1), got {validation_split}.")
    val = None
    if validation_data is not None:
        if isinstance(validation_data, list):
            validation_data = tuple(validation_data)
        val_x, val_y, val_sw = unpack_x_y_sample_weight(validation_data)
        val = make_source(
            val_x,
            val_y,
            val_sw,
            batch_size=validation_batch_size or batch_size,
            steps=validation_steps,
        )
    if not validation_split or validation_data is not None:
        return make_source(x, y, sample_weight, class_weight, batch_size, steps, shuffle), val
    if is_batch_iterable(x):
        raise ValueError(
            "`validation_split` is only supported for Tensors or NumPy arrays. "
            f"Found: x={type(x).__name__}. Pass `validation_data` instead."
        )
    data, val_data = ArrayData(x, y, array_sample_weight(y, sample_weight, class_weight)).split(
        validation_split
    )
    train_size = batch_size or (int(math.ceil(data.size / steps)) if steps else 32)
    val_size = (
        validation_batch_size
        or batch_size
        or (int(math.ceil(val_data.size / validation_steps)) if validation_steps else 32)
    )
    return ArraySource(data, train_size, shuffle), ArraySource(val_data, val_size)
