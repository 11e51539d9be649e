"""An embedding's lookup whose gradient is the rows looked up: a `RowGradient`
(engine/autodiff.py), which Adam applies without a table-sized gradient array."""

import numpy as np

from numkeras.engine.autodiff import RowGradient
from numkeras.engine.scatter import add_rows_at
from numkeras.engine.tensor import Tensor, as_array, as_tensor


def gather_rows(table, indices):
    """`take(table, indices, axis=0)` for indices in `[0, len(table))` (the caller checks), whose
    VJP gives a leaf `table` (a variable) a `RowGradient`: the looked-up rows' sums, added in
    the order `take`'s VJP adds them, without the table-sized zero fill and scatter."""
    x = as_tensor(table)
    idx = as_array(indices).astype(np.intp)

    def vjp(g):
        rows, where = np.unique(idx, return_inverse=True)
        sums = np.zeros((rows.size,) + x.shape[1:], x.data.dtype)
        gradient = RowGradient(rows, add_rows_at(sums, where.reshape(idx.shape), g), x.shape)
        return (gradient if x.vjp is None else gradient.dense(),)

    return Tensor(np.take(x.data, idx, axis=0), (x,), vjp, "take")
