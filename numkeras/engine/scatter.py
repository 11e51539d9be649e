"""Adding rows into an array at repeated indices, faster than `np.add.at`.

`np.add.at` runs an element at a time (an Embedding(10000, 64)'s gradient for a 64 x 100 batch:
about 17 ms). Here the rows are added in rounds: a stable sort groups equal indices in their
order of appearance, each round adds the next not-yet-added row of every index with one
fancy-indexed `+=` (whose indices are then distinct), and the rounds run as many times as the
most repeated index appears (a handful for embeddings). Each target row receives its rows in
the order `np.add.at` adds them, so the sums are the same bits.
"""

import numpy as np


def add_rows_at(target, indices, rows):
    """`np.add.at(target, indices, rows)` for an integer index array into axis 0 of a
    C-contiguous `target`; `rows` is `indices.shape + target.shape[1:]`."""
    n = target.shape[0]
    flat = indices.reshape(-1)
    if not flat.size:
        return target
    flat = np.where(flat < 0, flat + n, flat)
    values = rows.reshape(flat.size, -1)
    table = target.reshape(n, -1)
    pending = np.argsort(flat, kind="stable")  # positions, grouped by index, in order
    while pending.size:
        index = flat[pending]
        repeat = np.empty(pending.size, bool)  # not the group's first pending row
        repeat[0] = False
        np.equal(index[1:], index[:-1], out=repeat[1:])
        first = pending[~repeat]
        table[flat[first]] += values[first]
        pending = pending[repeat]
    return target
