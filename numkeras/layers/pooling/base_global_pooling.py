"""BaseGlobalPooling: reduce every spatial axis to one value per channel."""

from numkeras.layers import args
from numkeras.layers.layer import InputSpec, Layer


class BaseGlobalPooling(Layer):
    """Pools over all spatial axes; `keepdims` keeps them with size 1."""

    def __init__(self, rank, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.rank = rank
        self.data_format = args.data_format(self, data_format)
        if not isinstance(keepdims, bool):
            raise ValueError(
                f"{type(self).__name__}: `keepdims` must be True or False, "
                f"received keepdims={keepdims!r}."
            )
        self.keepdims = keepdims
        self.input_spec = InputSpec(ndim=rank + 2)

    def _spatial_axes(self):
        first = 1 if self.data_format == "channels_last" else 2
        return tuple(range(first, first + self.rank))

    def compute_output_shape(self, input_shape):
        channel = -1 if self.data_format == "channels_last" else 1
        if not self.keepdims:
            return (input_shape[0], input_shape[channel])
        if self.data_format == "channels_last":
            return (input_shape[0],) + (1,) * self.rank + (input_shape[-1],)
        return (input_shape[0], input_shape[1]) + (1,) * self.rank

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}
