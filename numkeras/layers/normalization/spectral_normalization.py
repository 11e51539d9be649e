"""SpectralNormalization: keep a wrapped layer's kernel at spectral norm 1 while training."""

import numpy as np

from numkeras import initializers
from numkeras.backend import epsilon
from numkeras.layers.core.wrapper import Wrapper
from numkeras.layers.layer import InputSpec


def _normalize(x):
    """`x / max(||x||, epsilon)` over all entries, as Keras's `ops.normalize(axis=None)`."""
    return x * min(1.0 / np.sqrt(np.sum(np.square(x))), 1.0 / epsilon())


class SpectralNormalization(Wrapper):
    """During training, divides the wrapped layer's `kernel` (or `embeddings`) by its largest
    singular value, estimated by `power_iterations` steps of the power method whose vector
    `vector_u` (1, out) is kept between steps (Miyato et al., 2018). The division is written
    into the kernel, as Keras does; inference uses the kernel as it is.

    >>> import numpy as np
    >>> from numkeras.layers import Dense
    >>> layer = SpectralNormalization(Dense(3))
    >>> layer(np.ones((2, 4), "float32"), training=True).shape
    (2, 3)
    """

    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(layer, **kwargs)
        if power_iterations <= 0:
            raise ValueError(
                "`power_iterations` should be greater than zero. Received: "
                f"`power_iterations={power_iterations}`"
            )
        self.power_iterations = power_iterations

    def build(self, input_shape):
        super().build(input_shape)
        self.input_spec = InputSpec(min_ndim=1, axes={-1: input_shape[-1]})
        kernel = getattr(self.layer, "kernel", None)
        kernel = getattr(self.layer, "embeddings", None) if kernel is None else kernel
        if kernel is None:
            raise ValueError(
                f"{type(self.layer).__name__} object has no attribute 'kernel' nor 'embeddings'"
            )
        self.kernel = kernel
        self.vector_u = self.add_weight(
            shape=(1, kernel.shape[-1]),
            name="vector_u",
            trainable=False,
            initializer=initializers.TruncatedNormal(stddev=0.02),
        )

    def normalized_weights(self):
        """(new vector_u, kernel / sigma) by the power method, in NumPy."""
        kernel = self.kernel.numpy()
        weights = kernel.reshape(-1, kernel.shape[-1])
        u = self.vector_u.numpy()
        for _ in range(self.power_iterations):
            v = _normalize(u @ weights.T)
            u = _normalize(v @ weights)
        sigma = (v @ weights) @ u.T
        return u, (kernel / sigma).astype(kernel.dtype)

    def call(self, inputs, training=False):
        if training and np.any(self.kernel.numpy() != 0):
            u, kernel = self.normalized_weights()
            self.vector_u.assign(u)
            self.kernel.assign(kernel)
        return self.layer(inputs)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "power_iterations": self.power_iterations}
