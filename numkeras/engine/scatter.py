"""Adding rows into an array at repeated indices, faster than `np.add.at`.

`np.add.at` runs an element at a time (an Embedding(10000, 64)'s gradient for a 64 x 100 batch:
about 17 ms). Sorting the indices (stably) and summing each index's rows with one
`np.add.reduceat` gives the same sums to rounding (NumPy may add in another order), the same
bits every time.
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
    values = np.ascontiguousarray(rows).reshape(flat.size, -1)
    order = np.argsort(flat, kind="stable")
    ordered = flat[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    target.reshape(n, -1)[ordered[starts]] += np.add.reduceat(values[order], starts, axis=0)
    return target
