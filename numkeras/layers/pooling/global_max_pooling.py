"""GlobalMaxPooling1D/2D: the maximum over all steps or pixels, per channel."""

from numkeras import ops
from numkeras.layers.pooling.base_global_pooling import BaseGlobalPooling


class GlobalMaxPooling1D(BaseGlobalPooling):
    """Max over the steps axis of (batch, steps, channels) inputs.

    Args:
        data_format: 'channels_last' (batch, steps, channels) or 'channels_first'.
        keepdims: keep the steps axis with size 1.

    >>> import numpy as np
    >>> GlobalMaxPooling1D()(np.array([[[1.0], [5.0], [2.0]]], "float32")).numpy().tolist()
    [[5.0]]
    """

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(1, data_format, keepdims, **kwargs)

    def call(self, inputs):
        return ops.max(inputs, axis=self._spatial_axes(), keepdims=self.keepdims)


class GlobalMaxPooling2D(BaseGlobalPooling):
    """Max over height and width of (batch, height, width, channels) inputs.

    Args:
        data_format: 'channels_last' or 'channels_first' (batch, channels, height, width).
        keepdims: keep the spatial axes with size 1.

    >>> import numpy as np
    >>> GlobalMaxPooling2D()(np.zeros((2, 5, 5, 3), "float32")).shape
    (2, 3)
    """

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(2, data_format, keepdims, **kwargs)

    def call(self, inputs):
        return ops.max(inputs, axis=self._spatial_axes(), keepdims=self.keepdims)


class GlobalMaxPooling3D(BaseGlobalPooling):
    """Max over depth, height and width of (batch, depth, height, width, channels) inputs."""

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(3, data_format, keepdims, **kwargs)

    def call(self, inputs):
        return ops.max(inputs, axis=self._spatial_axes(), keepdims=self.keepdims)


GlobalMaxPool1D, GlobalMaxPool2D = GlobalMaxPooling1D, GlobalMaxPooling2D
GlobalMaxPool3D = GlobalMaxPooling3D
