"""TextVectorization against real Keras: adapt, vocabularies, ids, bags of words, configs."""

import numpy as np
import pytest

from numkeras import layers
from tests.layers.keras_parity import comparable, get_keras

CORPUS = np.array(
    [
        "The cat sat on the mat.",
        "The dog ate my homework!",
        "A cat, a dog; and a BIRD?",
        "It's raining cats and dogs",
        "the the the end",
    ]
)
QUERIES = np.array(["the cat ate a bird", "unknown words here", "", "Dog! dog? DOG."])


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize(
    "kwargs, inputs",
    [
        ({}, QUERIES),
        ({"output_sequence_length": 4}, QUERIES),
        ({"max_tokens": 8, "output_sequence_length": 7}, QUERIES[:, None]),
        ({"output_mode": "multi_hot"}, QUERIES),
        ({"output_mode": "count", "ngrams": 2}, QUERIES),
        ({"output_mode": "multi_hot", "max_tokens": 12, "pad_to_max_tokens": True}, QUERIES),
        ({"standardize": "lower", "split": "whitespace", "ngrams": (2,)}, QUERIES),
        ({"standardize": None, "split": "character", "output_sequence_length": 10}, QUERIES),
    ],
)
def test_adapted_layer_matches_keras(kwargs, inputs):
    keras = get_keras(tensorflow=True)
    ours, theirs = layers.TextVectorization(**kwargs), keras.layers.TextVectorization(**kwargs)
    ours.adapt(CORPUS)
    theirs.adapt(CORPUS)
    assert ours.get_vocabulary() == [str(t) for t in theirs.get_vocabulary()]
    expected = keras.ops.convert_to_numpy(theirs(inputs))
    y = ours(inputs).numpy()
    np.testing.assert_array_equal(y, expected)
    assert y.dtype == expected.dtype
    assert comparable(ours.get_config()) == comparable(theirs.get_config())


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_given_vocabulary_and_config_round_trip():
    keras = get_keras(tensorflow=True)
    kwargs = {"vocabulary": ["cat", "dog", "the"], "output_sequence_length": 5}
    ours, theirs = layers.TextVectorization(**kwargs), keras.layers.TextVectorization(**kwargs)
    np.testing.assert_array_equal(
        ours(QUERIES).numpy(), keras.ops.convert_to_numpy(theirs(QUERIES))
    )
    clone = layers.TextVectorization.from_config(ours.get_config())
    np.testing.assert_array_equal(clone(QUERIES).numpy(), ours(QUERIES).numpy())
    assert comparable(ours.get_config()) == comparable(theirs.get_config())


def test_bad_arguments():
    with pytest.raises(ValueError, match="standardize"):
        layers.TextVectorization(standardize="upper")
    with pytest.raises(ValueError, match="output_sequence_length"):
        layers.TextVectorization(output_mode="count", output_sequence_length=3)
    with pytest.raises(ValueError, match="rank must be 1"):
        layers.TextVectorization(vocabulary=["a"])(np.array([["a", "b"]]))
