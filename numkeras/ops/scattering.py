"""Ops that write values into positions: scatter, scatter_update, slice_update, select and the
segment reductions, each with the VJP that reads the gradient back from those positions."""

import numpy as np

from numkeras.engine import math_ops as m
from numkeras.engine.tensor import Tensor, as_array, as_tensor


def _index_tuple(indices):
    idx = as_array(indices).astype(np.intp)
    return idx, tuple(idx.reshape(-1, idx.shape[-1]).T)


def scatter(indices, values, shape):
    """Zeros of `shape` with `values` added at `indices` (repeated indices accumulate)."""
    values = as_tensor(values)
    idx, where = _index_tuple(indices)
    shape = tuple(int(n) for n in np.atleast_1d(as_array(shape)))
    tail = shape[idx.shape[-1] :]
    flat = values.data.reshape((-1,) + tail)
    y = np.zeros(shape, values.data.dtype)
    np.add.at(y, where, flat)
    return Tensor(y, (values,), lambda g: (g[where].reshape(values.shape),), "scatter")


def scatter_update(inputs, indices, updates, reduction=None):
    """`inputs` with `updates` written at `indices` (or combined: add, max, min, mul)."""
    if reduction not in (None, "add", "max", "min", "mul"):
        raise ValueError(f"Unsupported reduction: {reduction}")
    x, u = m.operands("scatter_update", inputs, updates)
    _, where = _index_tuple(indices)
    y = np.array(x.data)
    flat = u.data.reshape((len(where[0]),) + y.shape[len(where) :]) if where else u.data
    if reduction is None:
        y[where] = flat
    else:
        {"add": np.add, "max": np.maximum, "min": np.minimum, "mul": np.multiply}[reduction].at(
            y, where, flat
        )

    def vjp(g):
        if reduction is None:
            gx = np.array(g)
            gx[where] = 0
            return gx, g[where].reshape(u.shape)
        if reduction == "add":
            return g, g[where].reshape(u.shape)
        if reduction == "mul":
            others = np.ones_like(x.data)
            np.multiply.at(others, where, flat)
            gu = g[where] * y[where] / np.where(flat == 0, 1, flat)
            return g * others, gu.reshape(u.shape)
        won = flat == y[where]  # max/min: the gradient goes to the values that won
        gx = g * (x.data == y)
        return gx, (g[where] * won).reshape(u.shape)

    return Tensor(y, (x, u), vjp, "scatter_update")


def slice_update(inputs, start_indices, updates):
    """`inputs` with the block `updates` written from `start_indices` on."""
    x, u = m.operands("slice_update", inputs, updates)
    starts = [int(s) for s in np.atleast_1d(as_array(start_indices))]
    if len(starts) != x.ndim or u.ndim != x.ndim:
        raise ValueError(
            f"Op `slice_update`: expected {x.ndim} start indices and updates of rank "
            f"{x.ndim}, got {starts} and shape {u.shape}."
        )
    block = tuple(slice(s, s + n) for s, n in zip(starts, u.shape))
    y = np.array(x.data)
    y[block] = u.data

    def vjp(g):
        gx = np.array(g)
        gx[block] = 0
        return gx, g[block]

    return Tensor(y, (x, u), vjp, "slice_update")


def select(condlist, choicelist, default=0):
    """The first choice whose condition holds, elementwise, else `default`."""
    if len(condlist) != len(choicelist):
        raise ValueError(
            "condlist and choicelist must have the same length. Received: "
            f"len(condlist)={len(condlist)}, len(choicelist)={len(choicelist)}"
        )
    result = as_tensor(default) if isinstance(default, Tensor) else None
    choices = [as_tensor(c) for c in choicelist]
    if result is None:
        result = Tensor(np.asarray(default, choices[0].data.dtype))
    for cond, choice in zip(reversed(condlist), reversed(choices)):
        result = m.where(cond, choice, result)
    return result


def _segments(name, data, segment_ids, num_segments):
    data = as_tensor(data)
    ids = as_array(segment_ids).astype(np.intp)
    if ids.shape != data.shape[:1]:
        raise ValueError(
            f"Op `{name}`: segment_ids of shape {ids.shape} must match the first "
            f"axis of data {data.shape}."
        )
    n = int(ids.max()) + 1 if num_segments is None else int(num_segments)
    keep = (ids >= 0) & (ids < n)
    return data, ids, n, keep


def segment_sum(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    data, ids, n, keep = _segments("segment_sum", data, segment_ids, num_segments)
    y = np.zeros((n,) + data.shape[1:], data.data.dtype)
    np.add.at(y, ids[keep], data.data[keep])

    def vjp(g):
        gx = np.zeros_like(data.data)
        gx[keep] = g[ids[keep]]
        return (gx,)

    return Tensor(y, (data,), vjp, "segment_sum")


def _segment_extreme(name, ufunc, fill, data, segment_ids, num_segments):
    data, ids, n, keep = _segments(name, data, segment_ids, num_segments)
    y = np.full((n,) + data.shape[1:], fill, data.data.dtype)
    ufunc.at(y, ids[keep], data.data[keep])
    # an empty segment keeps the identity (-inf for max), as in Keras

    def vjp(g):
        gx = np.zeros_like(data.data)
        won = data.data[keep] == y[ids[keep]]
        ties = np.zeros_like(y)
        np.add.at(ties, ids[keep], won.astype(y.dtype))
        gx[keep] = won * g[ids[keep]] / np.maximum(ties[ids[keep]], 1)
        return (gx,)

    return Tensor(y, (data,), vjp, name)


def segment_max(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    dtype = as_tensor(data).data.dtype
    low = -np.inf if dtype.kind == "f" else np.iinfo(dtype).min
    return _segment_extreme("segment_max", np.maximum, low, data, segment_ids, num_segments)


def segment_min(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    dtype = as_tensor(data).data.dtype
    high = np.inf if dtype.kind == "f" else np.iinfo(dtype).max
    return _segment_extreme("segment_min", np.minimum, high, data, segment_ids, num_segments)


def segment_prod(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    data, ids, n, keep = _segments("segment_prod", data, segment_ids, num_segments)
    y = np.ones((n,) + data.shape[1:], data.data.dtype)
    np.multiply.at(y, ids[keep], data.data[keep])

    def vjp(g):
        # the product of the other members of each segment, without dividing by zero
        gx = np.zeros_like(data.data)
        rows = np.nonzero(keep)[0]
        for row in rows:
            others = np.ones(data.shape[1:], data.data.dtype)
            for other in rows[ids[rows] == ids[row]]:
                if other != row:
                    others = others * data.data[other]
            gx[row] = g[ids[row]] * others
        return (gx,)

    return Tensor(y, (data,), vjp, "segment_prod")


__all__ = [
    "scatter",
    "scatter_update",
    "segment_max",
    "segment_min",
    "segment_prod",
    "segment_sum",
    "select",
    "slice_update",
]


def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    """1 at each class listed in a row of integer `inputs` (the last axis reduced), else 0."""
    if sparse:
        raise ValueError("Unsupported value `sparse=True` with numpy backend")
    num_classes = kwargs.pop("num_tokens", num_classes)
    if num_classes is None:
        raise ValueError("Argument `num_classes` must be specified.")
    from numkeras.backend.config import floatx
    from numkeras.ops.layer_ops.nn_ops import one_hot

    x = as_array(inputs).astype("int32")
    hot = one_hot(x, num_classes, axis=axis, dtype=dtype or floatx())
    return Tensor(np.max(hot.data, axis=1 if x.ndim > 1 else 0))


__all__ += ["multi_hot"]
