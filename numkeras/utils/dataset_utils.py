"""`split_dataset`: split NumPy arrays (or a tuple or list of them) into a left and a right part."""

import numbers
import random

import numpy as np


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None):
    """Split a dataset into a left part and a right part (e.g. train / test), as Keras does.

    The left part holds the first `left_size` samples and the right part the last
    `right_size` (samples in between, if the sizes leave any, are in neither). Keras returns
    `tf.data` or torch datasets; numkeras returns arrays of the same structure as `dataset`.

    Args:
        dataset: a NumPy array, or a tuple or list of arrays of the same length (`(x, y)`).
        left_size: a float in (0, 1), the fraction of the samples for the left part (rounded
            as Python's `round`); an int, their number; None, whatever `right_size` leaves.
        right_size: the same for the right part.
        shuffle: shuffle the samples before splitting.
        seed: the seed of the shuffle. Keras (for arrays, on TensorFlow) shuffles with
            Python's `random`; so does this function, with its own `random.Random(seed)`, so
            a seed gives Keras's order.

    Returns:
        `(left, right)`, each an array, or a tuple or list of arrays, like `dataset`.

    >>> left, right = split_dataset(np.arange(10), left_size=0.8)
    >>> left.tolist(), right.tolist()
    ([0, 1, 2, 3, 4, 5, 6, 7], [8, 9])
    >>> (x_left, y_left), (x_right, y_right) = split_dataset(
    ...     (np.zeros((5, 2)), np.arange(5)), right_size=2)
    >>> x_left.shape, y_right.tolist()
    ((3, 2), [3, 4])
    """
    arrays = _arrays(dataset)
    if left_size is None and right_size is None:
        raise ValueError(
            "At least one of the `left_size` or `right_size` must be specified. "
            "Received: left_size=None and right_size=None"
        )
    total = len(arrays[0])
    left, right = _split_sizes(left_size, right_size, total)
    order = list(range(total))
    if shuffle:
        random.Random(random.randint(0, int(1e6)) if seed is None else seed).shuffle(order)
    order = np.asarray(order)
    parts = [[a[order[:left]] for a in arrays], [a[order[total - right :]] for a in arrays]]
    if isinstance(dataset, np.ndarray):
        return parts[0][0], parts[1][0]
    return type(dataset)(parts[0]), type(dataset)(parts[1])


def _arrays(dataset):
    """The dataset as a list of arrays with the same number of samples."""
    if isinstance(dataset, np.ndarray):
        arrays = [dataset]
    elif isinstance(dataset, (tuple, list)) and dataset:
        arrays = [np.asarray(a) if not isinstance(a, np.ndarray) else a for a in dataset]
    else:
        raise TypeError(
            "The `dataset` argument must be a NumPy array, or a list/tuple of "
            f"arrays. Received: dataset={dataset!r} of type {type(dataset)}"
        )
    lengths = [len(a) if a.ndim else None for a in arrays]
    if None in lengths or len(set(lengths)) != 1:
        raise ValueError(
            "The arrays of `dataset` must all have the same number of samples "
            f"(first dimension). Received shapes {[a.shape for a in arrays]}"
        )
    return arrays


def _split_sizes(left_size, right_size, total):
    """Keras's rules for the two sizes (ints or fractions) of a dataset of `total` samples."""
    sizes = {"left_size": left_size, "right_size": right_size}
    for name, size in sizes.items():
        if size is None:
            continue
        if isinstance(size, bool) or not isinstance(size, (numbers.Integral, float)):
            raise TypeError(
                f"Invalid `{name}` type. Expected: int or float or None, "
                f"Received: type({name})={type(size)}."
            )
        fraction = isinstance(size, float)
        if (fraction and not 0 < size < 1) or (not fraction and not 0 < size < total):
            raise ValueError(
                f"`{name}` should be either a positive integer smaller than "
                f"{total}, or a float within the range `[0, 1]`. "
                f"Received: {name}={size}"
            )
    if (
        isinstance(left_size, float)
        and isinstance(right_size, float)
        and (left_size + right_size > 1)
    ):
        raise ValueError(
            "The sum of `left_size` and `right_size` is greater than 1. It must "
            "be less than or equal to 1."
        )
    left, right = (
        None if s is None else round(s * total) if isinstance(s, float) else int(s)
        for s in (left_size, right_size)
    )
    left = total - right if left is None else left
    right = total - left if right is None else right
    if left + right > total:
        raise ValueError(
            f"The sum of `left_size` and `right_size` should be smaller than the "
            f"{total}. Received: left_size + right_size = {left + right} and "
            f"total_length = {total}"
        )
    for size, side in ((left, "left"), (right, "right")):
        if size == 0:
            raise ValueError(
                f"With `dataset` of length={total}, `left_size`={left} and "
                f"`right_size`={right}. Resulting {side} side dataset split will "
                "be empty. Adjust any of the aforementioned parameters"
            )
    return left, right
