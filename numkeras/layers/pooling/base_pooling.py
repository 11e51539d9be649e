"""Max and average pooling layers, 1-D, 2-D and 3-D, sharing one base."""

from numkeras import ops
from numkeras.layers import args
from numkeras.layers.layer import InputSpec, Layer, shape_str
from numkeras.ops.layer_ops import output_size


class BasePooling(Layer):
    """Pools windows of `pool_size`, moving by `strides` (default: `pool_size`)."""

    op = None

    def __init__(self, rank, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.rank = rank
        self.pool_size = args.int_tuple(self, "pool_size", pool_size, rank)
        self.strides = (
            self.pool_size if strides is None else args.int_tuple(self, "strides", strides, rank)
        )
        self.padding = args.choice(self, "padding", padding, ("valid", "same"))
        self.data_format = args.data_format(self, data_format)
        self.input_spec = InputSpec(ndim=rank + 2)

    def _spatial(self, input_shape):
        return input_shape[1:-1] if self.data_format == "channels_last" else input_shape[2:]

    def _check(self, input_shape):
        if self.padding == "valid" and any(
            n is not None and p > n for n, p in zip(self._spatial(input_shape), self.pool_size)
        ):
            raise ValueError(
                f'Layer "{self.name}": pool_size {shape_str(self.pool_size)} is larger than the '
                f"input {shape_str(input_shape)} with padding='valid'."
            )

    def build(self, input_shape):
        self._check(input_shape)

    def call(self, inputs):
        self._check(inputs.shape)
        return type(self).op(inputs, self.pool_size, self.strides, self.padding, self.data_format)

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        spatial = tuple(
            None if n is None else output_size(n, p, s, self.padding)[0]
            for n, p, s in zip(self._spatial(input_shape), self.pool_size, self.strides)
        )
        channels = input_shape[-1] if self.data_format == "channels_last" else input_shape[1]
        if self.data_format == "channels_last":
            return (input_shape[0],) + spatial + (channels,)
        return (input_shape[0], channels) + spatial

    def get_config(self):
        return {
            **super().get_config(),
            "pool_size": list(self.pool_size),
            "padding": self.padding,
            "strides": list(self.strides),
            "data_format": self.data_format,
        }


def _pooling(name, op, rank, doc):
    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        BasePooling.__init__(self, rank, pool_size, strides, padding, data_format, **kwargs)

    return type(
        name,
        (BasePooling,),
        {"__init__": __init__, "op": staticmethod(op), "__doc__": doc, "__module__": __name__},
    )


MaxPooling1D = _pooling("MaxPooling1D", ops.max_pool, 1, "Max over windows of 1-D inputs.")
MaxPooling2D = _pooling("MaxPooling2D", ops.max_pool, 2, "Max over windows of 2-D inputs.")
AveragePooling1D = _pooling("AveragePooling1D", ops.average_pool, 1, "Mean over 1-D windows.")
AveragePooling2D = _pooling("AveragePooling2D", ops.average_pool, 2, "Mean over 2-D windows.")
MaxPooling3D = _pooling("MaxPooling3D", ops.max_pool, 3, "Max over windows of 3-D inputs.")
AveragePooling3D = _pooling("AveragePooling3D", ops.average_pool, 3, "Mean over 3-D windows.")
MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
