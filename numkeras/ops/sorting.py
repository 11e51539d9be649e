"""Ops that order or rank values: sort, argsort, top_k, searchsorted, quantiles and median,
unique values and counts. Sorted values are gathered with `take_along_axis`, so they carry its
gradient."""

import numpy as np

from numkeras.backend.config import floatx
from numkeras.engine.axes import normalize_axes as _axes
from numkeras.engine.shape_ops import moveaxis, reshape, take_along_axis
from numkeras.engine.tensor import Tensor, as_array, as_tensor


def argsort(x, axis=-1):
    x = as_array(x)
    if x.ndim == 0:
        return Tensor(np.zeros((), "int32"))
    return Tensor(np.argsort(x, axis=axis, kind="stable").astype("int32"))


def sort(x, axis=-1):
    x = as_tensor(x)
    if x.ndim == 0:
        return x
    return take_along_axis(x, np.argsort(x.data, axis=axis, kind="stable"), axis=axis)


def argpartition(x, kth, axis=-1):
    """Indices that partition `x` around its `kth` smallest value (NumPy's ordering)."""
    return Tensor(np.argpartition(as_array(x), kth, axis=axis).astype("int32"))


def top_k(x, k, sorted=True):  # noqa: A002  (Keras's name)
    """The `k` largest values along the last axis and their int32 indices, largest first."""
    x = as_tensor(x)
    if k > x.shape[-1]:
        raise ValueError(f"Op `top_k`: k={k} is larger than the last axis of shape {x.shape}.")
    # stable on negated values: among ties the lower index comes first, as in torch/TF
    order = np.argsort(-x.data, axis=-1, kind="stable")[..., :k]
    return take_along_axis(x, order, axis=-1), Tensor(order.astype("int32"))


def in_top_k(targets, predictions, k):
    """Whether each target class is among the `k` highest predictions of its row."""
    predictions, targets = as_array(predictions), as_array(targets).astype(np.intp)
    target_score = np.take_along_axis(predictions, targets[:, None], axis=-1)
    higher = (predictions > target_score).sum(axis=-1)
    return Tensor((higher < k) & np.isfinite(target_score[:, 0]))


def searchsorted(sorted_sequence, values, side="left"):
    seq = as_array(sorted_sequence)
    if seq.ndim != 1:
        raise ValueError(
            f"Op `searchsorted`: expected a 1-D sorted sequence, got shape {seq.shape}."
        )
    index = np.searchsorted(seq, as_array(values), side=side)
    return Tensor(index.astype("int32" if len(seq) < 2**31 - 1 else "int64"))


def digitize(x, bins):
    return Tensor(np.digitize(as_array(x), as_array(bins)).astype("int32"))


def _quantile(name, x, q, axis, method, keepdims, nan):
    """Quantiles from the sorted values; the gradient flows to the one or two order statistics.

    NaNs sort last, so for the nan* forms a row's quantile reads only its first `count` values.
    """
    if method not in ("linear", "lower", "higher", "midpoint", "nearest"):
        raise ValueError(
            f"Op `{name}`: unknown method {method!r}; expected 'linear', 'lower', "
            "'higher', 'midpoint' or 'nearest'."
        )
    x = as_tensor(x)
    if x.data.dtype.kind in "biu":
        x = Tensor(x.data.astype(floatx()))
    axes = _axes(axis, x.ndim)
    qs = as_array(q).astype(np.float64)
    moved = moveaxis(x, axes, tuple(range(-len(axes), 0)))
    rows = moved.shape[: moved.ndim - len(axes)]
    flat = reshape(moved, rows + (-1,))
    ranked = take_along_axis(flat, np.argsort(flat.data, axis=-1, kind="stable"), -1)
    n = flat.shape[-1]
    count = (~np.isnan(flat.data)).sum(-1) if nan else np.full(rows, n)
    pos = qs.reshape(-1, *(1,) * len(rows)) * (count - 1)  # (Q, *rows)
    lo, hi = np.floor(pos), np.ceil(pos)
    frac = pos - lo
    if method == "lower":
        hi, frac = lo, np.zeros_like(frac)
    elif method == "higher":
        lo, frac = hi, np.zeros_like(frac)
    elif method == "midpoint":
        frac = np.where(hi > lo, 0.5, 0.0)
    elif method == "nearest":
        lo = hi = np.round(pos)  # half to even, as NumPy does
        frac = np.zeros_like(frac)

    def gather(index):
        index = np.clip(index, 0, n - 1).astype(np.intp)
        picked = take_along_axis(ranked, np.moveaxis(index, 0, -1), -1)  # (*rows, Q)
        return moveaxis(picked, -1, 0)

    weight = frac.astype(x.data.dtype)
    result = gather(lo) * Tensor(1 - weight) + gather(hi) * Tensor(weight)
    if nan:  # rows of only NaN give NaN
        result = result + Tensor(np.where(count == 0, np.nan, 0).astype(x.data.dtype))
    kept = tuple(1 if i in axes else d for i, d in enumerate(x.shape)) if keepdims else rows
    return reshape(result, qs.shape + kept)


def quantile(x, q, axis=None, method="linear", keepdims=False):
    return _quantile("quantile", x, q, axis, method, keepdims, nan=False)


def percentile(x, q, axis=None, method="linear", keepdims=False):
    return _quantile("percentile", x, as_array(q) / 100.0, axis, method, keepdims, nan=False)


def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    return _quantile("nanquantile", x, q, axis, method, keepdims, nan=True)


def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    return _quantile("nanpercentile", x, as_array(q) / 100.0, axis, method, keepdims, nan=True)


def median(x, axis=None, keepdims=False):
    return _quantile("median", x, 0.5, axis, "linear", keepdims, nan=False)


def nanmedian(x, axis=None, keepdims=False):
    return _quantile("nanmedian", x, 0.5, axis, "linear", keepdims, nan=True)


def unique(
    x,
    sorted=True,
    return_index=False,
    return_inverse=False,  # noqa: A002
    return_counts=False,
    axis=None,
    size=None,
    fill_value=None,
):
    """Unique values (sorted), optionally padded to `size` with `fill_value`, plus indices."""
    data = as_array(x)
    values, index, inverse, counts = np.unique(
        data, return_index=True, return_inverse=True, return_counts=True, axis=axis
    )
    if size is not None:
        n = len(values)
        if n < size:
            fill = values.min() if fill_value is None and n else (fill_value or 0)
            values = np.concatenate(
                [values, np.full((size - n,) + values.shape[1:], fill, values.dtype)]
            )
            index = np.concatenate([index, np.zeros(size - n, index.dtype)])
            counts = np.concatenate([counts, np.zeros(size - n, counts.dtype)])
        values, index, counts = values[:size], index[:size], counts[:size]
    out = [Tensor(values)]
    if return_index:
        out.append(Tensor(index.astype("int32")))
    if return_inverse:
        out.append(Tensor(inverse.reshape(data.shape if axis is None else -1).astype("int32")))
    if return_counts:
        out.append(Tensor(counts.astype("int32")))
    return out[0] if len(out) == 1 else tuple(out)


def bincount(x, weights=None, minlength=0, sparse=False):
    """Counts of each non-negative integer (per row for 2-D input), optionally weighted."""
    data = as_array(x)
    if data.ndim not in (1, 2):
        raise ValueError(f"Op `bincount`: expected a 1-D or 2-D tensor, got shape {data.shape}.")
    if data.size and data.min() < 0:
        raise ValueError("Op `bincount`: values must be non-negative.")
    w = None if weights is None else as_array(weights)
    length = max(int(data.max()) + 1 if data.size else 0, minlength)
    if data.ndim == 1:
        counts = np.bincount(data, w, minlength=length)
    else:
        counts = np.stack(
            [
                np.bincount(row, None if w is None else wr, minlength=length)
                for row, wr in zip(data, w if w is not None else [None] * len(data))
            ]
        )
    dtype = "int32" if w is None else w.dtype
    return Tensor(counts.astype(dtype))


def histogram(x, bins=10, range=None):  # noqa: A002  (Keras's name)
    data = as_array(x)
    if data.ndim != 1:
        raise ValueError(f"Op `histogram`: expected a 1-D tensor, got shape {data.shape}.")
    counts, edges = np.histogram(data, bins=bins, range=range)
    return Tensor(counts.astype("int32")), Tensor(edges.astype(data.dtype))


__all__ = [
    "argpartition",
    "argsort",
    "bincount",
    "digitize",
    "histogram",
    "in_top_k",
    "median",
    "nanmedian",
    "nanpercentile",
    "nanquantile",
    "percentile",
    "quantile",
    "searchsorted",
    "sort",
    "top_k",
    "unique",
]
