"""GlobalAveragePooling1D/2D: the mean over all steps or pixels, per channel."""

from numkeras import ops
from numkeras.layers.pooling.base_global_pooling import BaseGlobalPooling


class GlobalAveragePooling1D(BaseGlobalPooling):
    """Mean over the steps axis; with a `mask` (batch, steps), only over the unmasked steps.

    Args:
        data_format: 'channels_last' (batch, steps, channels) or 'channels_first'.
        keepdims: keep the steps axis with size 1.

    >>> import numpy as np
    >>> GlobalAveragePooling1D()(np.array([[[1.0], [5.0], [3.0]]], "float32")).numpy().tolist()
    [[3.0]]
    """

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(1, data_format, keepdims, **kwargs)

    def call(self, inputs, mask=None):
        axis = self._spatial_axes()
        if mask is None:
            return ops.mean(inputs, axis=axis, keepdims=self.keepdims)
        channel = 2 if self.data_format == "channels_last" else 1
        weights = ops.expand_dims(ops.cast(ops.convert_to_tensor(mask), inputs.dtype), channel)
        total = ops.sum(inputs * weights, axis=axis, keepdims=self.keepdims)
        return total / ops.sum(weights, axis=axis, keepdims=self.keepdims)

    def compute_mask(self, inputs, mask=None):
        """The steps are averaged away, and so is their mask."""
        return None


class GlobalAveragePooling2D(BaseGlobalPooling):
    """Mean over height and width of (batch, height, width, channels) inputs.

    Args:
        data_format: 'channels_last' or 'channels_first' (batch, channels, height, width).
        keepdims: keep the spatial axes with size 1.

    >>> import numpy as np
    >>> GlobalAveragePooling2D(keepdims=True)(np.zeros((2, 5, 5, 3), "float32")).shape
    (2, 1, 1, 3)
    """

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(2, data_format, keepdims, **kwargs)

    def call(self, inputs):
        return ops.mean(inputs, axis=self._spatial_axes(), keepdims=self.keepdims)


class GlobalAveragePooling3D(BaseGlobalPooling):
    """Mean over depth, height and width of (batch, depth, height, width, channels) inputs."""

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(3, data_format, keepdims, **kwargs)

    def call(self, inputs):
        return ops.mean(inputs, axis=self._spatial_axes(), keepdims=self.keepdims)


GlobalAvgPool1D, GlobalAvgPool2D = GlobalAveragePooling1D, GlobalAveragePooling2D
GlobalAvgPool3D = GlobalAveragePooling3D
