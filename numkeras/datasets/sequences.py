"""Keras's word-index processing shared by IMDB and Reuters: shift, filter by length, cap."""

import numpy as np

__all__ = ["cap_vocabulary", "drop_long", "shift", "shuffled"]


def shuffled(rng, *arrays):
    """`arrays` reordered by one permutation drawn from `rng` (NumPy's RandomState, as Keras)."""
    indices = np.arange(len(arrays[0]))
    rng.shuffle(indices)
    return [a[indices] for a in arrays]


def shift(xs, start_char, index_from):
    """Each sequence as a list, its indices raised by `index_from`, led by `start_char`."""
    lead = [] if start_char is None else [start_char]
    return [lead + [w + index_from for w in x] for x in xs]


def drop_long(maxlen, xs, labels):
    """Only sequences strictly shorter than `maxlen`, and their labels (Keras keeps `< maxlen`)."""
    kept = [(x, y) for x, y in zip(xs, labels) if len(x) < maxlen]
    return [x for x, _ in kept], [y for _, y in kept]


def cap_vocabulary(xs, num_words, skip_top, oov_char):
    """Words outside `[skip_top, num_words)` become `oov_char`, or are dropped if it is None.

    Without `num_words` the cap is the largest index seen, so that index itself is out of range
    too: Keras's behaviour, kept so the same arguments give the same data.
    """
    if not num_words:
        num_words = max(max(x) for x in xs)
    if oov_char is None:
        return [[w for w in x if skip_top <= w < num_words] for x in xs]
    return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
