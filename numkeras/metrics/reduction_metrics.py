"""`Sum`, `Mean` and `MeanMetricWrapper`: running (weighted) sums and means in NumPy."""

import numpy as np

from numkeras import ops
from numkeras.engine.autodiff import no_grad
from numkeras.losses.loss import apply_mask, squeeze_or_expand_to_same_rank
from numkeras.metrics.metric import Metric, as_result, divide_no_nan

__all__ = ["Mean", "MeanMetricWrapper", "Sum"]


def to_numpy(x, dtype=None):
    array = ops.convert_to_numpy(x)
    return array if dtype is None else array.astype(dtype, copy=False)


def reduce_to_samplewise_values(values, sample_weight, reduce_fn, dtype):
    """Weight `values` and reduce them to one value per sample (Keras's rule).

    Values with more axes than the weights are first reduced over the extra axes; weights
    with more than one axis are reduced to one weight per sample the same way.
    """
    values = to_numpy(values, dtype)
    if sample_weight is not None:
        sample_weight = to_numpy(sample_weight, dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        if values.ndim > sample_weight.ndim:
            values = reduce_fn(values, axis=tuple(range(sample_weight.ndim, values.ndim)))
        sample_weight = np.broadcast_to(sample_weight, values.shape)
        values = values * sample_weight
        if sample_weight.ndim > 1:
            sample_weight = reduce_fn(sample_weight, axis=tuple(range(1, sample_weight.ndim)))
    if values.ndim > 1:
        values = reduce_fn(values, axis=tuple(range(1, values.ndim)))
    return values, sample_weight


class Sum(Metric):
    """The running (weighted) sum of the values.

    >>> m = Sum()
    >>> m.update_state([1, 3, 5, 7])
    >>> m.result()
    16.0
    """

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), name="total")

    def update_state(self, values, sample_weight=None):
        values, _ = reduce_to_samplewise_values(values, sample_weight, np.sum, self.dtype)
        self.total.assign(self.total.data + np.sum(values, dtype=self.dtype))

    def result(self):
        return as_result(self.total.data)


class Mean(Metric):
    """The running (weighted) mean: `total / count` over everything seen since the reset.

    Without weights, each sample counts once; with `sample_weight` the count grows by the sum
    of the weights. This is the tracker behind the loss shown in the progress bar.

    >>> m = Mean()
    >>> m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    >>> m.result()
    2.0
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), name="total")
        self.count = self.add_variable((), name="count")

    def update_state(self, values, sample_weight=None):
        if np.ndim(values) == 0 and np.ndim(sample_weight) == 0:  # a loss tracker's step
            value = to_numpy(values, self.dtype)
            weight = 1 if sample_weight is None else to_numpy(sample_weight, self.dtype)
            self.total.assign(self.total.data + value * weight)
            self.count.assign(self.count.data + weight)
            return
        values, sample_weight = reduce_to_samplewise_values(
            values, sample_weight, np.mean, self.dtype
        )
        if sample_weight is not None:
            count = np.sum(sample_weight, dtype=self.dtype)
        else:
            count = values.shape[0] if values.ndim else 1
        self.total.assign(self.total.data + np.sum(values, dtype=self.dtype))
        self.count.assign(self.count.data + count)

    def result(self):
        return as_result(divide_no_nan(self.total.data, self.count.data).astype(self.dtype))


class MeanMetricWrapper(Mean):
    """The running mean of `fn(y_true, y_pred, **kwargs)`, a per-sample function.

    `fn` may be a NumPy function or a numkeras loss function; it runs without recording a
    graph and its result is taken as a NumPy array.

    >>> from numkeras.losses import mean_absolute_error
    >>> m = MeanMetricWrapper(mean_absolute_error, name="mae")
    >>> m.update_state([[0.0], [1.0]], [[1.0], [1.0]])
    >>> m.result()
    0.5
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        in_mask = getattr(y_pred, "_keras_mask", None)  # a masked model output, as Keras
        with no_grad():
            values = self._fn(to_numpy(y_true), to_numpy(y_pred), **self._fn_kwargs)
        mask = getattr(values, "_keras_mask", None)
        if in_mask is not None:
            mask = in_mask if mask is None else to_numpy(in_mask) & to_numpy(mask)
        sample_weight = apply_mask(
            None if sample_weight is None else to_numpy(sample_weight, self.dtype),
            mask,
            self.dtype,
            reduction="sum",
        )
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self):
        from numkeras.losses import serialize

        config = {**super().get_config(), **self._fn_kwargs}
        if type(self) is MeanMetricWrapper:
            config["fn"] = serialize(self._fn)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("fn"), dict):
            from numkeras.metrics import deserialize_function

            config["fn"] = deserialize_function(config["fn"])
        return cls(**config)
