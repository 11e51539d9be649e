"""Normalization: standardize features with a mean and variance given or learned by `adapt`."""

import numpy as np

from numkeras import ops
from numkeras.layers.layer import Layer, shape_str


class Normalization(Layer):
    """`(x - mean) / max(sqrt(variance), 1e-7)`, with statistics per index of the kept `axis`.

    Either pass `mean` and `variance`, or call `adapt(data)` to compute them (in NumPy) over
    every axis not in `axis`. The statistics are non-trainable weights `mean`, `variance` and
    `count`, as in Keras.

    Args:
        axis: the axis or axes that keep separate statistics (-1: one per feature); None for
            a single scalar mean and variance.
        mean, variance: fixed statistics, broadcast to the kept axes.
        invert: apply the inverse, `mean + x * sqrt(variance)`.

    >>> import numpy as np
    >>> layer = Normalization()
    >>> layer.adapt(np.array([[0.0, 10.0], [2.0, 30.0]], "float32"))
    >>> layer(np.array([[1.0, 20.0]], "float32")).numpy().tolist()
    [[0.0, 0.0]]
    """

    supports_masking = True  # the input's mask passes to the output, as in Keras

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        axis = () if axis is None else (axis,) if isinstance(axis, int) else tuple(axis)
        if any(isinstance(a, bool) or not isinstance(a, int) for a in axis):
            raise ValueError(
                f"Normalization: `axis` must be None, an int or a tuple of ints, received "
                f"axis={axis!r}."
            )
        if (mean is None) != (variance is None):
            raise ValueError(
                "Normalization: `mean` and `variance` must be set together, received "
                f"mean={mean!r} and variance={variance!r}."
            )
        if mean is not None and (np.shape(mean) != np.shape(variance) or np.ndim(mean) > len(axis)):
            raise ValueError(
                "Normalization: `mean` and `variance` must have the same shape, of rank at most "
                f"len(axis)={len(axis)}; received shapes {np.shape(mean)} and "
                f"{np.shape(variance)}."
            )
        self.axis, self.input_mean, self.input_variance = axis, mean, variance
        self.invert = invert

    def build(self, input_shape):
        rank = len(input_shape)
        if any(not -rank <= a < rank for a in self.axis):
            raise ValueError(
                f'Layer "{self.name}": axis={self.axis} is out of bounds for an input of shape '
                f"{shape_str(input_shape)}."
            )
        self._keep = tuple(sorted(a % rank for a in self.axis))
        if any(input_shape[a] is None for a in self._keep):
            raise ValueError(
                f'Layer "{self.name}": the kept axes {self.axis} must have known sizes; input '
                f"shape {shape_str(input_shape)}."
            )
        self._reduce = tuple(a for a in range(rank) if a not in self._keep)
        self._broadcast = tuple(input_shape[a] if a in self._keep else 1 for a in range(rank))
        self._build_shape = tuple(input_shape)
        stats = tuple(input_shape[a] for a in self._keep)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(
                shape=stats, name="mean", initializer="zeros", trainable=False
            )
            self.adapt_variance = self.add_weight(
                shape=stats, name="variance", initializer="ones", trainable=False
            )
            self.count = self.add_weight(
                shape=(), name="count", initializer="zeros", dtype="int32", trainable=False
            )

    def _statistics(self):
        """Mean and variance broadcast to the input rank; values align with the last kept axes."""
        if self.input_mean is None:
            values = (self.adapt_mean.data, self.adapt_variance.data)
        else:
            values = (np.asarray(self.input_mean), np.asarray(self.input_variance))
        out = []
        for value in values:
            shape = [1] * len(self._broadcast)
            for i in range(1, value.ndim + 1):
                shape[self._keep[-i]] = value.shape[-i]
            out.append(np.broadcast_to(value.reshape(shape), self._broadcast))
        return out

    def call(self, inputs):
        mean, variance = (s.astype(self.dtype) for s in self._statistics())
        std = np.maximum(np.sqrt(variance), np.asarray(1e-7, self.dtype))
        inputs = ops.cast(inputs, self.dtype)
        return mean + inputs * std if self.invert else (inputs - mean) / std

    def adapt(self, data):
        """Set `mean` and `variance` from an array, a tensor, or an iterable of batches."""
        if self.input_mean is not None:
            raise ValueError(f'Layer "{self.name}": adapt() cannot change a given mean/variance.')
        if isinstance(data, (np.ndarray, list)) and not _is_batches(data) or ops.is_tensor(data):
            batches = [np.asarray(ops.convert_to_numpy(data))]
        else:
            batches = (
                np.asarray(ops.convert_to_numpy(b[0] if isinstance(b, tuple) else b)) for b in data
            )
        total, mean, var = 0, None, None
        for batch in batches:
            if not self.built:
                self._maybe_build(tuple(batch.shape))
            self._check_adapt_shape(batch.shape)
            count = int(np.prod([batch.shape[a] for a in self._reduce]))
            b_mean = batch.mean(axis=self._reduce, dtype="float64")
            b_var = batch.var(axis=self._reduce, dtype="float64")
            if mean is None:
                total, mean, var = count, b_mean, b_var
                continue
            # merge two (count, mean, variance) summaries exactly (Chan et al.)
            new_total = total + count
            new_mean = mean + (b_mean - mean) * count / new_total
            var = (
                total * (var + (mean - new_mean) ** 2) + count * (b_var + (b_mean - new_mean) ** 2)
            ) / new_total
            total, mean = new_total, new_mean
        if mean is None:
            raise ValueError(f'Layer "{self.name}": adapt() received no data.')
        self.adapt_mean.assign(mean)
        self.adapt_variance.assign(var)

    def _check_adapt_shape(self, shape):
        if len(shape) != len(self._build_shape) or any(
            shape[a] != self._build_shape[a] for a in self._keep
        ):
            raise ValueError(
                f'Layer "{self.name}": adapt() data of shape {shape_str(shape)} does not match '
                f"the layer's input shape {shape_str(self._build_shape)} on axes {self.axis}."
            )

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "invert": self.invert,
            "mean": np.array(self.input_mean).tolist(),
            "variance": np.array(self.input_variance).tolist(),
        }


def _is_batches(data):
    """A list of arrays (batches), rather than one nested list of numbers."""
    return (
        isinstance(data, list)
        and bool(data)
        and (isinstance(data[0], np.ndarray) or ops.is_tensor(data[0]))
    )
