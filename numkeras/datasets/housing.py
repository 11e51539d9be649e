"""The seeded shuffle and train/test split that Keras's housing datasets share."""

import numpy as np

__all__ = ["check_test_split", "split"]


def check_test_split(test_split):
    if not 0 <= test_split < 1:
        raise ValueError(
            f"Invalid `test_split` argument: {test_split}. "
            "It must be between 0 and 1 (exclusive of 1)."
        )


def split(x, y, test_split, seed):
    """`(x_train, y_train), (x_test, y_test)` after one RandomState(seed) shuffle, as Keras."""
    indices = np.arange(len(x))
    np.random.RandomState(seed).shuffle(indices)
    x, y = x[indices], y[indices]
    n = int(len(x) * (1 - test_split))
    return (x[:n], y[:n]), (x[n:], y[n:])
