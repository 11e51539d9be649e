"""IMDB movie reviews labelled by sentiment, downloaded from Keras's storage on first use."""

import json

import numpy as np

from numkeras.datasets.npz import load_npz
from numkeras.datasets.sequences import cap_vocabulary, drop_long, shift, shuffled
from numkeras.utils.file_utils import get_file

__all__ = ["get_word_index", "load_data"]

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/imdb.npz"
FILE_HASH = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"  # sha256, as Keras
WORD_INDEX_ORIGIN = (
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/imdb_word_index.json"
)
WORD_INDEX_HASH = "bfafd718b763782e994055a2d397834f"  # md5, as Keras


def load_data(
    path="imdb.npz",
    num_words=None,
    skip_top=0,
    maxlen=None,
    seed=113,
    start_char=1,
    oov_char=2,
    index_from=3,
    **kwargs,
):
    """Load IMDB: 25,000 training and 25,000 test reviews, each a list of word indices
    (1 = most frequent word, before the `index_from` shift), labelled 1 (positive) or 0.

    The file (Keras's `imdb.npz`, 17 MB, checked against its SHA-256) is downloaded to
    `~/.keras/datasets/` on first use and read without unpickling anything but arrays.

    Args:
        path: file name of the dataset in the cache (relative to `~/.keras/datasets`).
        num_words: keep only indices below this (the most frequent words); others become
            `oov_char`. None keeps all but the largest index, as Keras does.
        skip_top: indices below this (the most frequent words) also become `oov_char`.
        maxlen: keep only sequences shorter than this (after `start_char` is added).
        seed: seed of the shuffle (NumPy RandomState, train then test, as Keras).
        start_char: index put at the start of every sequence (None for none).
        oov_char: index that replaces cut words (None drops them instead).
        index_from: added to every word index, reserving 0 (padding), 1 (start), 2 (OOV).
        **kwargs: accepted and ignored, as in Keras 3.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: `x_*` object arrays of lists of ints, `y_*`
        integer arrays of 0/1 labels, as Keras returns them.
    """
    f = load_npz(get_file(fname=path, origin=ORIGIN, file_hash=FILE_HASH))
    rng = np.random.RandomState(seed)
    x_train, labels_train = shuffled(rng, f["x_train"], f["y_train"])
    x_test, labels_test = shuffled(rng, f["x_test"], f["y_test"])
    x_train = shift(x_train, start_char, index_from)
    x_test = shift(x_test, start_char, index_from)
    if maxlen:
        x_train, labels_train = drop_long(maxlen, x_train, labels_train)
        x_test, labels_test = drop_long(maxlen, x_test, labels_test)
        if not x_train or not x_test:
            raise ValueError(
                f"After filtering for sequences shorter than maxlen={maxlen}, "
                "no sequence was kept. Increase maxlen."
            )
    xs = cap_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([labels_train, labels_test])
    n = len(x_train)
    return (
        (np.array(xs[:n], dtype="object"), labels[:n]),
        (np.array(xs[n:], dtype="object"), labels[n:]),
    )


def get_word_index(path="imdb_word_index.json"):
    """The dict from each word to its index in the IMDB data (before the `index_from` shift).

    Downloaded (checked against Keras's md5) to `~/.keras/datasets/` on first use; it is
    JSON, so reading it runs no code.
    """
    with open(get_file(fname=path, origin=WORD_INDEX_ORIGIN, file_hash=WORD_INDEX_HASH)) as f:
        return json.load(f)
