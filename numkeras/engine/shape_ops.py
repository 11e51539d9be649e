"""Ops that move values without computing new ones: reshape, transpose, slicing, joining."""

import numpy as np

from numkeras.engine.axes import normalize_axes, unbroadcast
from numkeras.engine.scatter import add_rows_at
from numkeras.engine.tensor import Tensor, as_array, as_tensor


def reshape(x, newshape):
    x = as_tensor(x)
    shape = x.shape
    try:
        y = x.data.reshape(newshape)
    except ValueError:
        raise ValueError(
            f"Op `reshape`: cannot reshape a tensor of shape {shape} ({x.size} values) "
            f"into shape {tuple(int(n) for n in np.atleast_1d(newshape))}."
        ) from None
    return Tensor(y, (x,), lambda g: (g.reshape(shape),), "reshape")


def transpose(x, axes=None):
    x = as_tensor(x)
    axes = tuple(range(x.ndim))[::-1] if axes is None else tuple(a % x.ndim for a in axes)
    if sorted(axes) != list(range(x.ndim)):
        raise ValueError(f"Op `transpose`: axes {axes} are not a permutation for shape {x.shape}.")
    inverse = tuple(np.argsort(axes))
    return Tensor(x.data.transpose(axes), (x,), lambda g: (g.transpose(inverse),), "transpose")


def moveaxis(x, source, destination):
    x = as_tensor(x)
    src = [a % x.ndim for a in np.atleast_1d(source)]
    dst = [a % x.ndim for a in np.atleast_1d(destination)]
    if len(src) != len(dst):
        raise ValueError(
            f"Op `moveaxis`: source {source} and destination {destination} differ in length."
        )
    order = [a for a in range(x.ndim) if a not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(x, order)


def swapaxes(x, axis1, axis2):
    order = list(range(as_tensor(x).ndim))
    order[axis1], order[axis2] = order[axis2], order[axis1]
    return transpose(x, order)


def expand_dims(x, axis):
    x = as_tensor(x)
    return reshape(x, np.expand_dims(np.empty(x.shape, dtype=bool), axis).shape)


def squeeze(x, axis=None):
    x = as_tensor(x)
    if axis is not None:
        for a in normalize_axes(axis, x.ndim):
            if x.shape[a] != 1:
                raise ValueError(
                    f"Op `squeeze`: axis {a} of shape {x.shape} has size {x.shape[a]}, not 1."
                )
    return reshape(x, np.squeeze(np.empty(x.shape, dtype=bool), axis).shape)


def flatten(x):
    return reshape(x, (-1,))


def broadcast_to(x, shape):
    x = as_tensor(x)
    source, shape = x.shape, tuple(int(n) for n in np.atleast_1d(shape))
    if len(shape) < len(source) or any(n not in (1, m) for n, m in zip(source[::-1], shape[::-1])):
        raise ValueError(f"Op `broadcast_to`: cannot broadcast shape {source} to shape {shape}.")
    return Tensor(
        np.broadcast_to(x.data, shape), (x,), lambda g: (unbroadcast(g, source),), "broadcast_to"
    )


def tile(x, repeats):
    x = as_tensor(x)
    reps = (1,) * (x.ndim - len(np.atleast_1d(repeats))) + tuple(np.atleast_1d(repeats))
    shape = (1,) * (len(reps) - x.ndim) + x.shape
    y = np.tile(x.data, reps)

    def vjp(g):
        split = [n for pair in zip(reps, shape) for n in pair]
        return (g.reshape(split).sum(axis=tuple(range(0, len(split), 2))).reshape(x.shape),)

    return Tensor(y, (x,), vjp, "tile")


def repeat(x, repeats, axis=None):
    x = as_tensor(x)
    data = x.data if axis is not None else x.data.reshape(-1)
    ax = 0 if axis is None else axis % data.ndim
    y = np.repeat(data, repeats, axis=ax)

    def vjp(g):
        # add.at, not reduceat: reduceat mishandles elements repeated zero times
        gx = np.zeros_like(data)
        source = np.repeat(np.arange(data.shape[ax]), repeats)
        np.add.at(np.moveaxis(gx, ax, 0), source, np.moveaxis(g, ax, 0))
        return (gx.reshape(x.shape),)

    return Tensor(y, (x,), vjp, "repeat")


def concatenate(xs, axis=0):
    xs = [as_tensor(x) for x in xs]
    ref = xs[0].shape
    ax = axis % len(ref) if ref else 0
    for x in xs[1:]:
        if len(x.shape) != len(ref) or any(
            a != b for i, (a, b) in enumerate(zip(x.shape, ref)) if i != ax
        ):
            raise ValueError(
                f"Op `concatenate`: shapes {ref} and {x.shape} differ outside axis {axis}."
            )
    y = np.concatenate([x.data for x in xs], axis=ax)
    cuts = np.cumsum([x.shape[ax] for x in xs])[:-1]
    return Tensor(y, xs, lambda g: tuple(np.split(g, cuts, axis=ax)), "concatenate")


def stack(xs, axis=0):
    xs = [as_tensor(x) for x in xs]
    for x in xs[1:]:
        if x.shape != xs[0].shape:
            raise ValueError(
                f"Op `stack`: all shapes must be equal, got {xs[0].shape} and {x.shape}."
            )
    y = np.stack([x.data for x in xs], axis=axis)
    return Tensor(y, xs, lambda g: tuple(np.moveaxis(g, axis, 0)), "stack")


def unstack(x, num=None, axis=0):
    x = as_tensor(x)
    return [getitem(moveaxis(x, axis, 0), i) for i in range(x.shape[axis])]


def split(x, indices_or_sections, axis=0):
    x = as_tensor(x)
    ax = axis % x.ndim
    n = x.shape[ax]
    if isinstance(indices_or_sections, int):
        if indices_or_sections <= 0 or n % indices_or_sections:
            raise ValueError(
                f"Op `split`: axis {axis} of shape {x.shape} cannot be split into "
                f"{indices_or_sections} equal sections."
            )
        cuts = list(range(0, n, n // indices_or_sections))[1:]
    else:
        cuts = list(indices_or_sections)
    bounds = [0] + cuts + [n]
    return [
        getitem(x, (slice(None),) * ax + (slice(lo, hi),)) for lo, hi in zip(bounds, bounds[1:])
    ]


def getitem(x, key):
    """Indexing and slicing, NumPy style; the gradient scatters back with `np.add.at`."""
    x = as_tensor(x)
    key = _plain_key(key)
    y = x.data[key]
    shape, dtype = x.shape, x.data.dtype

    def vjp(g):
        gx = np.zeros(shape, dtype=dtype)
        if _is_basic(key):
            gx[key] = g
        else:
            np.add.at(gx, key, g)
        return (gx,)

    return Tensor(np.asarray(y), (x,), vjp, "getitem")


def _plain_key(key):
    if isinstance(key, tuple):
        return tuple(_plain_key(k) for k in key)
    if isinstance(key, Tensor):
        return key.data
    return key


def _is_basic(key):
    keys = key if isinstance(key, tuple) else (key,)
    return all(isinstance(k, (int, np.integer, slice)) or k is None or k is Ellipsis for k in keys)


def take(x, indices, axis=None):
    """Gather along `axis` (flattened when None); used for embeddings and sparse labels."""
    x = as_tensor(x)
    idx = as_array(indices).astype(np.intp)
    data = x.data if axis is not None else x.data.reshape(-1)
    ax = 0 if axis is None else axis % data.ndim
    if idx.size and (idx.max() >= data.shape[ax] or idx.min() < -data.shape[ax]):
        raise ValueError(
            f"Op `take`: indices must be in [-{data.shape[ax]}, {data.shape[ax]}), "
            f"got values from {idx.min()} to {idx.max()}."
        )
    y = np.take(data, idx, axis=ax)

    def vjp(g):
        gx = np.zeros_like(data)
        moved = np.moveaxis(gx, ax, 0)
        index_axes = tuple(range(ax, ax + idx.ndim))
        if ax == 0 and gx.flags.c_contiguous:  # rows, as an embedding's: sorted sums
            add_rows_at(gx, idx, g)
        else:
            np.add.at(moved, idx, np.moveaxis(g, index_axes, tuple(range(idx.ndim))))
        return (gx.reshape(x.shape),)

    return Tensor(y, (x,), vjp, "take")


def take_along_axis(x, indices, axis=None):
    x = as_tensor(x)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    idx = as_array(indices).astype(np.intp)
    y = np.take_along_axis(x.data, idx, axis=axis)

    def vjp(g):
        full = np.zeros_like(x.data)
        # add.at over the index grid broadcast to the output, so repeated indices accumulate
        grid = list(np.indices(g.shape, sparse=True))
        grid[axis % x.ndim] = np.broadcast_to(idx, g.shape)
        np.add.at(full, tuple(grid), g)
        return (full,)

    return Tensor(y, (x,), vjp, "take_along_axis")


def pad(x, pad_width, mode="constant", constant_values=None):
    """Constant padding (the mode layers use); the gradient is the inner slice."""
    x = as_tensor(x)
    width = np.broadcast_to(np.asarray(pad_width, dtype=int), (x.ndim, 2))
    if (width < 0).any():
        raise ValueError(f"Op `pad`: pad_width must be non-negative, got {pad_width}.")
    if mode != "constant":
        raise NotImplementedError(f"Op `pad`: only mode='constant' is supported, got {mode!r}.")
    y = np.pad(x.data, width, constant_values=constant_values or 0)
    inner = tuple(slice(lo, lo + n) for (lo, _), n in zip(width, x.shape))
    return Tensor(y, (x,), lambda g: (g[inner],), "pad")


def zeros_like(x, dtype=None):
    return Tensor(np.zeros_like(as_array(x), dtype=dtype))


def ones_like(x, dtype=None):
    return Tensor(np.ones_like(as_array(x), dtype=dtype))


def shape(x):
    return tuple(as_tensor(x).shape)
