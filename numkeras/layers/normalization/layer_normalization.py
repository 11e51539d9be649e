"""LayerNormalization: normalize each example over its feature axes."""

from numkeras import initializers, ops, regularizers
from numkeras.layers.layer import Layer, shape_str
from numkeras.ops.layer_ops import layer_norm


class LayerNormalization(Layer):
    """`gamma * (x - mean) / sqrt(var + epsilon) + beta`, statistics taken over `axis`.

    Unlike BatchNormalization, statistics come from each example alone, so training and
    inference compute the same thing.

    Args:
        axis: an int or a list of ints: the axes normalized together (-1).
        epsilon: added to the variance before the square root (1e-3).
        center, scale: whether to add `beta` and multiply by `gamma` (shaped like the
            normalized axes).
        beta_initializer, gamma_initializer: initializers (zeros, ones).
        beta_regularizer, gamma_regularizer: optional penalties.

    >>> import numpy as np
    >>> y = LayerNormalization(epsilon=0.0)(np.array([[1.0, 3.0]], "float32"))
    >>> y.numpy().tolist()
    [[-1.0, 1.0]]
    """

    supports_masking = True  # the input's mask passes to the output, as in Keras

    def __init__(
        self,
        axis=-1,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        rms_scaling=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        axes = list(axis) if isinstance(axis, (list, tuple)) else [axis]
        if not axes or any(isinstance(a, bool) or not isinstance(a, int) for a in axes):
            raise ValueError(
                "LayerNormalization: `axis` must be an int or a list of ints, "
                f"received axis={axis!r}."
            )
        if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float)) or epsilon < 0:
            raise ValueError(
                f"LayerNormalization: `epsilon` must be a non-negative number, "
                f"received epsilon={epsilon!r}."
            )
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else axis
        self.epsilon, self.center, self.scale = epsilon, center, scale
        self.rms_scaling = rms_scaling  # Keras's deprecated flag: scale by the variance only
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)

    def _axes(self, input_shape):
        rank = len(input_shape)
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        if any(not -rank <= a < rank for a in axes):
            raise ValueError(
                f'Layer "{self.name}": axis={self.axis} is out of bounds for an input of shape '
                f"{shape_str(input_shape)}."
            )
        return sorted(a % rank for a in axes)

    def build(self, input_shape):
        shape = tuple(input_shape[a] for a in self._axes(input_shape))
        self.gamma = self.beta = None
        if self.scale or self.rms_scaling:
            self.gamma = self.add_weight(
                shape=shape,
                name="gamma",
                initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer,
            )
        if self.center and not self.rms_scaling:
            self.beta = self.add_weight(
                shape=shape,
                name="beta",
                initializer=self.beta_initializer,
                regularizer=self.beta_regularizer,
            )

    def call(self, inputs):
        axes = self._axes(inputs.shape)
        if tuple(axes) == (inputs.ndim - 1,) and not self.rms_scaling:  # one fused op
            return layer_norm(inputs, self.gamma, self.beta, self.epsilon)
        shape = tuple(n if a in axes else 1 for a, n in enumerate(inputs.shape))
        mean = ops.mean(inputs, axis=axes, keepdims=True)
        variance = ops.mean(ops.square(inputs - mean), axis=axes, keepdims=True)
        inv = ops.rsqrt(variance + self.epsilon)
        if self.gamma is not None:
            inv = inv * ops.reshape(self.gamma, shape)
        if self.rms_scaling:
            return inputs * inv
        offset = -mean * inv
        if self.beta is not None:
            offset = offset + ops.reshape(self.beta, shape)
        return inputs * inv + offset

    def compute_output_shape(self, input_shape):
        self._axes(input_shape)
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "rms_scaling": self.rms_scaling,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": None,
            "gamma_constraint": None,
        }
