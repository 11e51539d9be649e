"""Dense: `activation(inputs @ kernel + bias)`, the fully connected layer."""

from numkeras import activations, ops
from numkeras.engine.tensor import Tensor
from numkeras.layers.args import positive_int
from numkeras.layers.kernel_bias import add_kernel_bias, kernel_bias_config, set_kernel_bias_args
from numkeras.layers.layer import InputSpec, Layer
from numkeras.ops.layer_ops import bias_relu
from numkeras.ops.layer_ops.dense import dense


class Dense(Layer):
    """A fully connected layer; the kernel has shape (input_dim, units) as in Keras.

    Args:
        units: the output size.
        activation: a name or callable; None is linear.
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer: initializers (glorot_uniform, zeros).
        kernel_regularizer, bias_regularizer: optional penalties added to the loss.
        kernel_constraint, bias_constraint: optional projections applied after each
            optimizer update (see `numkeras.constraints`).

    >>> import numpy as np
    >>> Dense(3)(np.ones((2, 4), "float32")).shape
    (2, 3)
    """

    supports_masking = True  # the input's mask passes to the output, as in Keras

    def __init__(
        self,
        units,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.units = positive_int(self, "units", units)
        set_kernel_bias_args(
            self,
            activation,
            use_bias,
            kernel_initializer,
            bias_initializer,
            kernel_regularizer,
            bias_regularizer,
            kernel_constraint,
            bias_constraint,
        )
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape):
        in_dim = input_shape[-1]
        add_kernel_bias(self, (in_dim, self.units), self.units)
        self.input_spec = InputSpec(min_ndim=2, axes={-1: in_dim})

    def call(self, inputs, training=None):
        if _fusable(inputs, self.kernel, self.bias):
            relu = self.activation is activations.relu
            outputs = dense(inputs, self.kernel, self.bias, relu=relu)
            return outputs if relu else self.activation(outputs)
        outputs = ops.matmul(inputs, self.kernel)
        if self.bias is not None and self.activation is activations.relu:
            # fused, in place on the matmul's fresh output, which nothing else holds
            return bias_relu(outputs, self.bias, overwrite_x=True)
        if self.bias is not None:
            outputs = outputs + self.bias
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units, **kernel_bias_config(self)}


def _fusable(inputs, kernel, bias):
    """Whether the fused op computes what `matmul` and `add` would: tensors of one float dtype
    (else their promotion rules apply)."""
    dtype = kernel.data.dtype
    return (
        type(inputs) is Tensor
        and inputs.data.dtype == dtype
        and dtype.kind == "f"
        and (bias is None or bias.data.dtype == dtype)
    )
