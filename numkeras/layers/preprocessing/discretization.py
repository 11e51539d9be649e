"""Discretization: bucket continuous values by boundaries, given or learned by `adapt`."""

import numpy as np

from numkeras import ops
from numkeras.backend import floatx
from numkeras.layers.layer import Layer
from numkeras.layers.preprocessing.category_encoding import encode_categorical


def summarize(values, epsilon):
    """An approximate quantile summary: every `step`-th sorted value, weighted by `step`."""
    values = np.sort(np.ravel(values))
    step = max(values.size * epsilon, 1)
    picked = values[int(step - 1) :: int(step)]
    return np.stack([picked, np.full(picked.shape, step, picked.dtype)])


def compress(summary, epsilon):
    """Resample a summary at the `epsilon`-spaced quantiles of its cumulative weight."""
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + np.arange(0.0, 1.0, epsilon)
    cumulative = summary[1].cumsum()
    fractions = cumulative / cumulative[-1]
    bins = np.interp(percents, fractions, summary[0])
    cumulative = np.interp(percents, fractions, cumulative)
    weights = cumulative - np.concatenate(([0], cumulative[:-1]))
    return np.stack((bins, weights)).astype("float32")


class Discretization(Layer):
    """Maps each value to the index of its bucket: `bin_boundaries` `[0., 1.]` make the
    buckets `(-inf, 0)`, `[0, 1)`, `[1, inf)`; `adapt` learns `num_bins` quantile buckets.

    Args:
        bin_boundaries: sorted boundaries (or None with `num_bins`, then `adapt`).
        num_bins: the number of buckets `adapt` should make.
        epsilon: the quantile summary's error tolerance (0.01).
        output_mode: "int" (bucket ids, int32), "one_hot", "multi_hot" or "count".

    >>> Discretization(bin_boundaries=[0.0, 1.0])([[-1.5, 0.5, 2.0]]).numpy().tolist()
    [[0, 1, 2]]
    """

    def __init__(
        self,
        bin_boundaries=None,
        num_bins=None,
        epsilon=0.01,
        output_mode="int",
        sparse=False,
        dtype=None,
        name=None,
    ):
        super().__init__(name=name, dtype=dtype)
        if output_mode not in ("int", "one_hot", "multi_hot", "count"):
            raise ValueError(
                f"Discretization: invalid output_mode {output_mode!r}; expected "
                "one of ('int', 'one_hot', 'multi_hot', 'count')."
            )
        if sparse:
            raise ValueError("Discretization: numkeras has no sparse tensors (sparse=True).")
        if num_bins is not None and num_bins < 0:
            raise ValueError(
                f"`num_bins` must be greater than or equal to 0. Received: `num_bins={num_bins}`"
            )
        if (num_bins is None) == (bin_boundaries is None):
            raise ValueError(
                "You need to set either `num_bins` or `bin_boundaries` (not both)."
                f" Received: `num_bins={num_bins}` and "
                f"`bin_boundaries={bin_boundaries}`"
            )
        self.bin_boundaries, self.num_bins, self.epsilon = bin_boundaries, num_bins, epsilon
        self.output_mode, self.sparse = output_mode, sparse
        self.summary = None if bin_boundaries else np.zeros((2, 0), "float32")

    def adapt(self, data, steps=None):
        """Learn `num_bins` buckets of about equal counts from an array or batches."""
        if self.num_bins is None:
            raise ValueError(
                "Cannot adapt a Discretization layer that has been initialized "
                "with `bin_boundaries`, use `num_bins` instead."
            )
        self.summary = np.zeros((2, 0), "float32")
        batches = [data] if isinstance(data, np.ndarray) or hasattr(data, "numpy") else data
        for i, batch in enumerate(batches):
            if steps is not None and i >= steps:
                break
            values = np.asarray(ops.convert_to_numpy(batch), "float32")
            merged = np.concatenate((summarize(values, self.epsilon), self.summary), axis=1)
            merged = merged[:, np.argsort(merged[0], kind="stable")]
            self.summary = compress(merged, self.epsilon)
        self.bin_boundaries = compress(self.summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError(
                "You need to either pass the `bin_boundaries` argument at "
                "construction time or call `adapt(dataset)` before you can start "
                "using the `Discretization` layer."
            )
        ids = np.digitize(ops.convert_to_numpy(inputs), self.bin_boundaries)
        dtype = "int32" if self.output_mode == "int" else (self.dtype or floatx())
        return ops.convert_to_tensor(
            encode_categorical(ids, self.output_mode, len(self.bin_boundaries) + 1, dtype)
        )

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        depth = len(self.bin_boundaries) + 1 if self.bin_boundaries is not None else self.num_bins
        if self.output_mode == "one_hot":
            if input_shape and input_shape[-1] == 1 and len(input_shape) > 1:
                return tuple(input_shape[:-1]) + (depth,)
            return tuple(input_shape) + (depth,)
        if input_shape and len(input_shape) >= 2:
            return (input_shape[0],) + tuple(input_shape[2:]) + (depth,)
        return (depth,)

    def get_config(self):
        return {
            "bin_boundaries": self.bin_boundaries,
            "num_bins": self.num_bins,
            "epsilon": self.epsilon,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "name": self.name,
            "dtype": self.dtype,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if config.get("bin_boundaries") is not None and config.get("num_bins") is not None:
            boundaries = config.pop("bin_boundaries")
            layer = cls(**config)
            layer.bin_boundaries = boundaries
            return layer
        return cls(**config)
