"""StringLookup and IntegerLookup against real Keras: indices, encodings, invert, adapt,
vocabularies and configs."""

import numpy as np
import pytest

from numkeras import layers
from tests.layers.keras_parity import comparable, get_keras

WORDS = np.array([["a", "b", "c", "zz"], ["b", "b", "", "a"], ["d", "c", "c", "e"]])
TEXT = np.array(["the", "cat", "the", "dog", "a", "cat", "the", "bird", "ant", "ant"])
INTS = np.array([[12, 36, 1138, 5], [36, 0, 12, 12], [7, 1138, 42, 0]])

STRING_CASES = [
    ({"vocabulary": ["a", "b", "c", "d"]}, WORDS),
    ({"vocabulary": ["a", "b", "c", "d"], "mask_token": ""}, WORDS),
    ({"vocabulary": ["a", "b", "c"], "output_mode": "multi_hot"}, WORDS),
    ({"vocabulary": ["a", "b", "c"], "output_mode": "count", "mask_token": ""}, WORDS),
    ({"vocabulary": ["a", "b", "c", "d"], "output_mode": "one_hot"}, WORDS[:, :1]),
    (
        {
            "vocabulary": ["a", "b"],
            "output_mode": "multi_hot",
            "max_tokens": 6,
            "pad_to_max_tokens": True,
        },
        WORDS,
    ),
    ({"vocabulary": ["[UNK]", "a", "b", "c"]}, WORDS),
    ({"vocabulary": ["a", "b", "c", "d", "e", "zz", ""], "num_oov_indices": 0}, WORDS),
]
INT_CASES = [
    ({"vocabulary": [12, 36, 1138]}, INTS),
    ({"vocabulary": [12, 36, 1138], "mask_token": 0}, INTS),
    ({"vocabulary": [12, 36], "num_oov_indices": 2}, INTS),
    ({"vocabulary": [12, 36, 1138], "output_mode": "count"}, INTS),
    ({"vocabulary": [12, 36, 1138], "invert": True}, np.array([[1, 2, 3, 0, 7]])),
]


def _np(keras, x):
    return np.asarray(x) if isinstance(x, np.ndarray) else keras.ops.convert_to_numpy(x)


def _check(name, kwargs, inputs):
    keras = get_keras(tensorflow=True)
    ours, theirs = getattr(layers, name)(**kwargs), getattr(keras.layers, name)(**kwargs)
    y, expected = ours(inputs), theirs(inputs)
    y = y if isinstance(y, np.ndarray) else y.numpy()
    expected = _np(keras, expected)
    if expected.dtype.kind in "SO":
        expected = expected.astype(str)
    np.testing.assert_array_equal(y, expected)
    assert y.dtype.kind == expected.dtype.kind
    assert ours.get_vocabulary() == [
        t.decode() if isinstance(t, bytes) else t for t in theirs.get_vocabulary()
    ]
    assert ours.vocabulary_size() == theirs.vocabulary_size()
    assert comparable(ours.get_config()) == comparable(theirs.get_config())
    clone = type(ours).from_config(ours.get_config())
    out = clone(inputs)
    np.testing.assert_array_equal(out if isinstance(out, np.ndarray) else out.numpy(), y)
    return ours, theirs


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("kwargs, inputs", STRING_CASES)
def test_string_lookup_matches_keras(kwargs, inputs):
    _check("StringLookup", kwargs, inputs)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("kwargs, inputs", INT_CASES)
def test_integer_lookup_matches_keras(kwargs, inputs):
    _check("IntegerLookup", kwargs, inputs)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize(
    "name, kwargs, data",
    [
        ("StringLookup", {}, TEXT),
        ("StringLookup", {"max_tokens": 4, "mask_token": ""}, TEXT),
        ("IntegerLookup", {"output_mode": "multi_hot"}, INTS.ravel()),
        ("IntegerLookup", {"max_tokens": 4}, INTS),
    ],
)
def test_adapt_matches_keras(name, kwargs, data):
    keras = get_keras(tensorflow=True)
    ours, theirs = getattr(layers, name)(**kwargs), getattr(keras.layers, name)(**kwargs)
    ours.adapt(data)
    theirs.adapt(data)
    assert ours.get_vocabulary() == [
        t.decode() if isinstance(t, bytes) else t for t in theirs.get_vocabulary()
    ]
    np.testing.assert_array_equal(ours(data).numpy(), _np(keras, theirs(data)))


def test_string_invert():
    # (Keras 3.15's StringLookup(invert=True) fails on the torch backend, so no oracle here)
    layer = layers.StringLookup(vocabulary=["a", "b", "c", "d"], invert=True)
    assert layer(np.array([[0, 1, 4], [2, 9, 3]])).tolist() == [
        ["[UNK]", "a", "d"],
        ["b", "[UNK]", "c"],
    ]
    masked = layers.StringLookup(vocabulary=["a", "b"], invert=True, mask_token="")
    assert masked(np.array([0, 1, 2, 3, 7])).tolist() == ["", "[UNK]", "a", "b", "[UNK]"]
    lookup = layers.StringLookup(vocabulary=["a", "b"], mask_token="")
    assert masked(lookup(np.array(["b", "", "a", "x"]))).tolist() == ["b", "", "a", "[UNK]"]


def test_bad_arguments():
    with pytest.raises(ValueError, match="repeated"):
        layers.StringLookup(vocabulary=["a", "a"])
    with pytest.raises(ValueError, match="not in the vocabulary"):
        layers.StringLookup(vocabulary=["a"], num_oov_indices=0)(np.array(["b"]))
    with pytest.raises(ValueError, match="tf_idf"):
        layers.StringLookup(output_mode="tf_idf")
    with pytest.raises(ValueError, match="no vocabulary"):
        layers.StringLookup()(np.array(["a"]))
