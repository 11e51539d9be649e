"""GroupNormalization: normalize each example over groups of channels."""

from numkeras import constraints, initializers, ops, regularizers
from numkeras.layers.layer import InputSpec, Layer, shape_str


class GroupNormalization(Layer):
    """Splits the `axis` channels into `groups` and normalizes each group of each example.

    `groups=1` is close to LayerNormalization, `groups=-1` (one channel per group) is
    instance normalization. `gamma` and `beta` are per channel.

    Args:
        groups: the number of groups (32), or -1 for one per channel.
        axis: the channel axis (-1).
        epsilon: added to the variance (1e-3).
        center, scale: whether to add `beta` and multiply by `gamma`.
        beta_initializer, gamma_initializer, *_regularizer, *_constraint: as Keras.

    >>> import numpy as np
    >>> y = GroupNormalization(groups=2, epsilon=0.0)(np.array([[1.0, 3.0, 0.0, 4.0]], "float32"))
    >>> y.numpy().tolist()
    [[-1.0, 1.0, -1.0, 1.0]]
    """

    supports_masking = True

    def __init__(
        self,
        groups=32,
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
        **kwargs,
    ):
        if (
            isinstance(groups, bool)
            or not isinstance(groups, int)
            or (groups <= 0 and groups != -1)
        ):
            raise ValueError(
                "Received an invalid value for argument `groups`, expected a positive integer "
                f"(or `-1` for instance normalization). Received: groups={groups}"
            )
        super().__init__(**kwargs)
        self.groups, self.axis, self.epsilon = groups, axis, epsilon
        self.center, self.scale = center, scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)

    def build(self, input_shape):
        dim = input_shape[self.axis]
        if dim is None:
            raise ValueError(
                f'Layer "{self.name}": axis {self.axis} of the input must have a defined '
                f"size; input shape {shape_str(input_shape)}."
            )
        if self.groups == -1:
            self.groups = dim
        if dim < self.groups or dim % self.groups:
            raise ValueError(
                f'Layer "{self.name}": the {dim} channels cannot be split into '
                f"{self.groups} equal groups; input shape {shape_str(input_shape)}."
            )
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: dim})
        self.gamma = self.beta = None
        if self.scale:
            self.gamma = self.add_weight(
                shape=(dim,),
                name="gamma",
                initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer,
                constraint=self.gamma_constraint,
            )
        if self.center:
            self.beta = self.add_weight(
                shape=(dim,),
                name="beta",
                initializer=self.beta_initializer,
                regularizer=self.beta_regularizer,
                constraint=self.beta_constraint,
            )

    def call(self, inputs):
        axis = self.axis % inputs.ndim
        shape = list(inputs.shape)
        grouped = shape[:axis] + [self.groups, shape[axis] // self.groups] + shape[axis + 1 :]
        x = ops.reshape(inputs, grouped)
        reduce = tuple(a for a in range(1, x.ndim) if a != axis)  # all but batch and group
        mean = ops.mean(x, axis=reduce, keepdims=True)
        variance = ops.mean(ops.square(x - mean), axis=reduce, keepdims=True)
        inv = ops.rsqrt(variance + self.epsilon)
        params = [1] * x.ndim
        params[axis : axis + 2] = grouped[axis : axis + 2]
        if self.gamma is not None:
            inv = inv * ops.reshape(self.gamma, params)
        offset = -mean * inv
        if self.beta is not None:
            offset = offset + ops.reshape(self.beta, params)
        return ops.reshape(x * inv + offset, shape)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "groups": self.groups,
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        }
