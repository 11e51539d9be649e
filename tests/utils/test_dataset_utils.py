"""`numkeras.utils.split_dataset`: Keras's sizes, order, shuffling and errors."""

import numpy as np
import pytest

from numkeras.utils import split_dataset

DATA = np.arange(10)


# (arguments, left, right) as Keras 3.15.1 returns them for np.arange(10) (TensorFlow path,
# which splits arrays in order and shuffles with Python's `random`)
KERAS_SPLITS = [
    ({"left_size": 0.8}, [0, 1, 2, 3, 4, 5, 6, 7], [8, 9]),
    ({"right_size": 3}, [0, 1, 2, 3, 4, 5, 6], [7, 8, 9]),
    ({"left_size": 0.25, "right_size": 0.5}, [0, 1], [5, 6, 7, 8, 9]),
    ({"left_size": 0.55}, [0, 1, 2, 3, 4, 5], [6, 7, 8, 9]),
    ({"left_size": 0.45}, [0, 1, 2, 3], [4, 5, 6, 7, 8, 9]),
    ({"left_size": 2, "right_size": 5}, [0, 1], [5, 6, 7, 8, 9]),
    ({"left_size": 0.7, "shuffle": True, "seed": 0}, [7, 8, 1, 5, 3, 4, 2], [0, 9, 6]),
    ({"right_size": 4, "shuffle": True, "seed": 42}, [7, 3, 2, 8, 5, 6], [9, 4, 0, 1]),
    ({"left_size": 3, "right_size": 3, "shuffle": True, "seed": 7}, [8, 3, 1], [6, 2, 5]),
]


@pytest.mark.parametrize("kwargs, left, right", KERAS_SPLITS)
def test_splits_match_keras(kwargs, left, right):
    ours = split_dataset(DATA, **kwargs)
    assert [part.tolist() for part in ours] == [left, right]


def test_tuples_and_lists_of_arrays_split_together():
    x, y = np.arange(20).reshape(10, 2), DATA * 10
    (x_left, y_left), (x_right, y_right) = split_dataset(
        (x, y), left_size=0.6, shuffle=True, seed=1
    )
    assert x_left.shape == (6, 2) and x_right.shape == (4, 2)
    np.testing.assert_array_equal(x_left[:, 0] * 5, y_left)
    np.testing.assert_array_equal(x_right[:, 0] * 5, y_right)
    left, right = split_dataset([x, y], right_size=2)
    assert isinstance(left, list) and [a.shape for a in right] == [(2, 2), (2,)]


def test_shuffle_without_seed_keeps_every_sample_once():
    left, right = split_dataset(DATA, left_size=0.5, shuffle=True)
    assert sorted(left.tolist() + right.tolist()) == DATA.tolist()


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({}, ValueError, "At least one of the `left_size` or `right_size` must be specified"),
        ({"left_size": 0}, ValueError, "`left_size` should be either a positive integer smaller"),
        ({"left_size": 1.0}, ValueError, "`left_size` should be either"),
        ({"right_size": 10}, ValueError, "`right_size` should be either"),
        ({"left_size": 0.6, "right_size": 0.6}, ValueError, "greater than 1"),
        ({"left_size": 6, "right_size": 5}, ValueError, "left_size \\+ right_size = 11"),
        ({"left_size": 0.01}, ValueError, "`left_size`=0 and `right_size`=10. Resulting left"),
        ({"left_size": "a"}, TypeError, "Invalid `left_size` type"),
    ],
)
def test_bad_sizes_raise_keras_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        split_dataset(DATA, **kwargs)


@pytest.mark.parametrize(
    "dataset, error",
    [
        ([np.arange(3), np.arange(4)], ValueError),
        ({"a": DATA}, TypeError),
        ([1, 2, 3], ValueError),
        ([], TypeError),
    ],
)
def test_bad_datasets(dataset, error):
    with pytest.raises(error):
        split_dataset(dataset, left_size=1)
