"""SpatialDropout1D/2D/3D: drop whole feature maps (channels) instead of single values."""

from numkeras import ops
from numkeras.layers import args
from numkeras.layers.layer import InputSpec
from numkeras.layers.regularization.dropout import Dropout


class SpatialDropout1D(Dropout):
    """Dropout of entire channels of (batch, steps, channels) inputs, during training only.

    Neighbouring steps are strongly correlated, so dropping single values barely regularizes;
    this drops a channel at every step at once (and scales the rest by `1/(1 - rate)`).

    Args:
        rate: the fraction of channels to drop, in [0, 1].
        seed: an int for a repeatable mask sequence.

    >>> import numpy as np
    >>> y = SpatialDropout1D(0.5, seed=0)(np.ones((1, 4, 6), "float32"), training=True)
    >>> bool((y.numpy() == y.numpy()[:, :1]).all())  # the same channels dropped at every step
    True
    """

    def __init__(self, rate, seed=None, name=None, dtype=None, **kwargs):
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise ValueError(
                f"{type(self).__name__}: `rate` must be a number in [0, 1], received rate={rate!r}."
            )
        super().__init__(rate, seed=seed, name=name, dtype=dtype, **kwargs)
        self.input_spec = InputSpec(ndim=3)

    def _noise_shape(self, shape):
        return (shape[0], 1, shape[2])

    def call(self, inputs, training=False):
        if training and self.rate > 0:
            return ops.dropout(
                inputs, self.rate, self._noise_shape(inputs.shape), seed=self.seed_generator
            )
        return inputs

    def get_config(self):
        # Keras's exact keys: its spatial dropout layers take no other arguments
        return {"rate": self.rate, "seed": self.seed, "name": self.name, "dtype": self.dtype}


class SpatialDropout2D(SpatialDropout1D):
    """Dropout of entire channels of images, during training only.

    Args:
        rate: the fraction of channels to drop, in [0, 1].
        data_format: 'channels_last' (batch, height, width, channels) or 'channels_first'.
        seed: an int for a repeatable mask sequence.

    >>> import numpy as np
    >>> SpatialDropout2D(0.5)(np.ones((2, 4, 4, 3), "float32"), training=True).shape
    (2, 4, 4, 3)
    """

    def __init__(self, rate, data_format=None, seed=None, name=None, dtype=None, **kwargs):
        super().__init__(rate, seed=seed, name=name, dtype=dtype, **kwargs)
        self.data_format = args.data_format(self, data_format)
        self.input_spec = InputSpec(ndim=4)

    def _noise_shape(self, shape):
        if self.data_format == "channels_first":
            return (shape[0], shape[1], 1, 1)
        return (shape[0], 1, 1, shape[3])

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class SpatialDropout3D(SpatialDropout2D):
    """Dropout of entire channels of volumes (batch, depth, height, width, channels)."""

    def __init__(self, rate, data_format=None, seed=None, name=None, dtype=None, **kwargs):
        super().__init__(rate, data_format, seed=seed, name=name, dtype=dtype, **kwargs)
        self.input_spec = InputSpec(ndim=5)

    def _noise_shape(self, shape):
        if self.data_format == "channels_first":
            return (shape[0], shape[1], 1, 1, 1)
        return (shape[0], 1, 1, 1, shape[4])
