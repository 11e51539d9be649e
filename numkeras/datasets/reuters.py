"""Reuters newswires labelled over 46 topics, downloaded from Keras's storage on first use."""

import json

import numpy as np

from numkeras.datasets.npz import load_npz
from numkeras.datasets.sequences import cap_vocabulary, drop_long, shift, shuffled
from numkeras.utils.file_utils import get_file

__all__ = ["get_label_names", "get_word_index", "load_data"]

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/reuters.npz"
FILE_HASH = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"  # sha256, as Keras
WORD_INDEX_ORIGIN = (
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/reuters_word_index.json"
)
WORD_INDEX_HASH = "4d44cc38712099c9e383dc6e5f11a921"  # md5, as Keras
LABEL_NAMES = (
    "cocoa",
    "grain",
    "veg-oil",
    "earn",
    "acq",
    "wheat",
    "copper",
    "housing",
    "money-supply",
    "coffee",
    "sugar",
    "trade",
    "reserves",
    "ship",
    "cotton",
    "carcass",
    "crude",
    "nat-gas",
    "cpi",
    "money-fx",
    "interest",
    "gnp",
    "meal-feed",
    "alum",
    "oilseed",
    "gold",
    "tin",
    "strategic-metal",
    "livestock",
    "retail",
    "ipi",
    "iron-steel",
    "rubber",
    "heat",
    "jobs",
    "lei",
    "bop",
    "zinc",
    "orange",
    "pet-chem",
    "dlr",
    "gas",
    "silver",
    "wpi",
    "hog",
    "lead",
)


def load_data(
    path="reuters.npz",
    num_words=None,
    skip_top=0,
    maxlen=None,
    test_split=0.2,
    seed=113,
    start_char=1,
    oov_char=2,
    index_from=3,
):
    """Load Reuters: 11,228 newswires, each a list of word indices, labelled 0-45 by topic
    (`get_label_names()` names them), split into train and test after one seeded shuffle.

    The file (Keras's `reuters.npz`, checked against its SHA-256) is downloaded to
    `~/.keras/datasets/` on first use and read without unpickling anything but arrays.

    Args:
        path: file name of the dataset in the cache (relative to `~/.keras/datasets`).
        num_words: keep only indices below this; others become `oov_char`. None keeps all
            but the largest index, as Keras does.
        skip_top: indices below this (the most frequent words) also become `oov_char`.
        maxlen: keep only sequences shorter than this (after `start_char` is added).
        test_split: fraction of the (filtered) newswires put in the test set.
        seed: seed of the shuffle (NumPy RandomState, as Keras).
        start_char: index put at the start of every sequence (None for none).
        oov_char: index that replaces cut words (None drops them instead).
        index_from: added to every word index, reserving 0 (padding), 1 (start), 2 (OOV).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: `x_*` object arrays of lists of ints, `y_*`
        integer arrays of topic labels, as Keras returns them.
    """
    f = load_npz(get_file(fname=path, origin=ORIGIN, file_hash=FILE_HASH))
    xs, labels = shuffled(np.random.RandomState(seed), f["x"], f["y"])
    xs = shift(xs, start_char, index_from)
    if maxlen:
        xs, labels = drop_long(maxlen, xs, labels)
    xs = cap_vocabulary(xs, num_words, skip_top, oov_char)
    n = int(len(xs) * (1 - test_split))
    return (
        (np.array(xs[:n], dtype="object"), np.array(labels[:n])),
        (np.array(xs[n:], dtype="object"), np.array(labels[n:])),
    )


def get_word_index(path="reuters_word_index.json"):
    """The dict from each word to its index in the Reuters data (before the `index_from` shift).

    Downloaded (checked against Keras's md5) to `~/.keras/datasets/` on first use; it is
    JSON, so reading it runs no code.
    """
    with open(get_file(fname=path, origin=WORD_INDEX_ORIGIN, file_hash=WORD_INDEX_HASH)) as f:
        return json.load(f)


def get_label_names():
    """The 46 topic names, indexed by label (Keras's list)."""
    return LABEL_NAMES
