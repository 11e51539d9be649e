"""BatchNormalization: normalize with batch statistics in training, moving averages otherwise."""

import numpy as np

from numkeras import initializers, ops, regularizers
from numkeras.layers.layer import InputSpec, Layer, shape_str
from numkeras.ops.layer_ops import batch_norm_train


class BatchNormalization(Layer):
    """`gamma * (x - mean) / sqrt(var + epsilon) + beta` over every axis but `axis`.

    With `training=True` (and a trainable layer) it uses the batch's mean and (biased)
    variance and updates the moving statistics as Keras does:
    `moving = moving * momentum + batch * (1 - momentum)`. Otherwise, including when the
    layer is frozen (`trainable=False`), it uses `moving_mean` and `moving_variance`.

    Args:
        axis: the features axis, normalized separately (-1; use 1 for channels_first).
        momentum: the moving averages' momentum (0.99).
        epsilon: added to the variance before the square root (1e-3).
        center, scale: whether to add `beta` and multiply by `gamma`.
        beta_initializer, gamma_initializer, moving_mean_initializer,
        moving_variance_initializer: initializers (zeros, ones, zeros, ones).
        beta_regularizer, gamma_regularizer: optional penalties.

    >>> import numpy as np
    >>> layer = BatchNormalization()
    >>> y = layer(np.array([[1.0], [3.0]], "float32"), training=True)
    >>> y.numpy().round(2).ravel().tolist()
    [-1.0, 1.0]
    >>> round(float(layer.moving_mean[0]), 4)  # 0.99 * 0 + 0.01 * mean(1, 3)
    0.02
    """

    supports_masking = True  # the input's mask passes to the output, as in Keras

    def __init__(
        self,
        axis=-1,
        momentum=0.99,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        moving_mean_initializer="zeros",
        moving_variance_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        renorm=False,
        renorm_clipping=None,
        renorm_momentum=0.99,
        synchronized=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise ValueError(
                f"BatchNormalization: `axis` must be an integer, received axis={axis!r}."
            )
        if renorm or synchronized:
            raise ValueError(
                "BatchNormalization: `renorm=True` and `synchronized=True` are not supported, "
                f"received renorm={renorm!r}, synchronized={synchronized!r}."
            )
        self.axis = int(axis)
        self.momentum, self.epsilon = (
            _number(self, "momentum", momentum),
            _number(self, "epsilon", epsilon),
        )
        self.center, self.scale = center, scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.gamma = self.beta = None

    def build(self, input_shape):
        size = input_shape[_check_axis(self, input_shape)]
        if self.scale:
            self.gamma = self.add_weight(
                shape=(size,),
                name="gamma",
                initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer,
            )
        if self.center:
            self.beta = self.add_weight(
                shape=(size,),
                name="beta",
                initializer=self.beta_initializer,
                regularizer=self.beta_regularizer,
            )
        self.moving_mean = self.add_weight(
            shape=(size,),
            name="moving_mean",
            initializer=self.moving_mean_initializer,
            trainable=False,
        )
        self.moving_variance = self.add_weight(
            shape=(size,),
            name="moving_variance",
            initializer=self.moving_variance_initializer,
            trainable=False,
        )
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: size})

    def call(self, inputs, training=False):
        axis = self.axis % inputs.ndim
        reduce = tuple(a for a in range(inputs.ndim) if a != axis)
        shape = tuple(-1 if a == axis else 1 for a in range(inputs.ndim))
        if training and self.trainable and axis == inputs.ndim - 1:  # one fused op
            outputs, mean, variance = batch_norm_train(inputs, self.gamma, self.beta, self.epsilon)
            self._update_moving(mean, variance)
            return outputs
        if training and self.trainable:
            mean = ops.mean(inputs, axis=reduce, keepdims=True)
            variance = ops.mean(ops.square(inputs - mean), axis=reduce, keepdims=True)
            self._update_moving(mean.data, variance.data)
        else:
            mean = ops.reshape(ops.cast(self.moving_mean, inputs.dtype), shape)
            variance = ops.reshape(ops.cast(self.moving_variance, inputs.dtype), shape)
        inv = ops.rsqrt(variance + self.epsilon)
        if self.gamma is not None:
            inv = inv * ops.reshape(self.gamma, shape)
        offset = -mean * inv
        if self.beta is not None:
            offset = offset + ops.reshape(self.beta, shape)
        return inputs * inv + offset

    def _update_moving(self, mean, variance):
        """The moving statistics are state, not part of the graph."""
        for moving, batch in ((self.moving_mean, mean), (self.moving_variance, variance)):
            moving.assign(moving.data * self.momentum + batch.reshape(-1) * (1.0 - self.momentum))

    def compute_output_shape(self, input_shape):
        _check_axis(self, input_shape, need_size=False)
        return tuple(input_shape)

    def get_config(self):
        ser = initializers.serialize
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": ser(self.beta_initializer),
            "gamma_initializer": ser(self.gamma_initializer),
            "moving_mean_initializer": ser(self.moving_mean_initializer),
            "moving_variance_initializer": ser(self.moving_variance_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": None,
            "gamma_constraint": None,
            "synchronized": False,
            "renorm": False,
            "renorm_clipping": None,
            "renorm_momentum": 0.99,
        }


def _number(layer, name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(
            f"{type(layer).__name__}: `{name}` must be a non-negative number, "
            f"received {name}={value!r}."
        )
    return float(value)


def _check_axis(layer, input_shape, need_size=True):
    """The axis as a non-negative index into `input_shape`; a clear error when it is not."""
    rank = len(input_shape)
    if not -rank <= layer.axis < rank:
        raise ValueError(
            f'Layer "{layer.name}": axis={layer.axis} is out of bounds for an input of shape '
            f"{shape_str(input_shape)}."
        )
    if need_size and input_shape[layer.axis] is None:
        raise ValueError(
            f'Layer "{layer.name}": axis {layer.axis} of the input shape '
            f"{shape_str(input_shape)} must be known."
        )
    return layer.axis % rank
