"""`to_categorical` and `normalize`, on plain NumPy arrays."""

import numpy as np

__all__ = ["normalize", "to_categorical"]


def _as_int_labels(y):
    """`y` as an int64 array, refusing values that are not whole numbers."""
    y = np.asarray(y)
    if y.dtype.kind in "biu":
        return y.astype(np.int64)
    if y.dtype.kind == "O":
        try:
            y = y.astype(np.float64)
        except (TypeError, ValueError):
            pass
    if y.dtype.kind != "f":
        raise ValueError(
            f"to_categorical expects integer class labels. Received an array of dtype {y.dtype}."
        )
    bad = ~np.isfinite(y) | (y != np.round(y))
    if bad.any():
        raise ValueError(
            "to_categorical expects integer class labels. "
            f"Received non-integer value {y[bad].flat[0].item()!r}."
        )
    return y.astype(np.int64)


def to_categorical(x, num_classes=None):
    """Convert a class vector (integers) to a one-hot float64 matrix, the class axis last.

    A trailing axis of size 1, as in labels of shape `(N, 1)`, is dropped first.

    Args:
        x: array-like of class indices from 0 to `num_classes - 1`.
        num_classes: total number of classes. If `None`, `max(x) + 1`.

    Returns:
        A float64 NumPy array of shape `x.shape + (num_classes,)`.

    >>> to_categorical([0, 1, 2, 3], num_classes=4)
    array([[1., 0., 0., 0.],
           [0., 1., 0., 0.],
           [0., 0., 1., 0.],
           [0., 0., 0., 1.]])
    >>> to_categorical([[2], [0]]).shape
    (2, 3)
    """
    x = _as_int_labels(x)
    shape = x.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    x = x.reshape(-1)
    if x.size and x.min() < 0:
        raise ValueError(f"Class labels must be >= 0. Received a label of {x.min()}.")
    if not num_classes:  # None or 0, as in Keras
        if not x.size:
            raise ValueError("Cannot infer `num_classes` from an empty label array; pass it.")
        num_classes = int(x.max()) + 1
    if int(num_classes) != num_classes or num_classes < 0:
        raise ValueError(f"`num_classes` must be a positive integer. Received: {num_classes!r}")
    num_classes = int(num_classes)
    if x.size and x.max() >= num_classes:
        raise ValueError(
            f"Class labels must be < num_classes={num_classes}. Received a label of {x.max()}."
        )
    categorical = np.zeros((x.size, num_classes))
    categorical[np.arange(x.size), x] = 1
    return categorical.reshape(shape + (num_classes,))


def normalize(x, axis=-1, order=2):
    """Divide `x` by its `order`-norm along `axis`; slices whose norm is 0 are left unchanged.

    Args:
        x: array to normalize.
        axis: axis along which to normalize.
        order: normalization order (e.g. `order=2` for the L2 norm).

    Returns:
        A normalized copy of `x`.

    >>> normalize([[3.0, 4.0], [0.0, 0.0]])
    array([[0.6, 0.8],
           [0. , 0. ]])
    """
    x = np.asarray(x)
    norm = np.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    norm[norm == 0] = 1
    return x / norm
