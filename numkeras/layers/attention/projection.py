"""Projection: the dense maps inside MultiHeadAttention (Keras uses EinsumDense for them)."""

import math

import numpy as np

from numkeras import activations, initializers, ops
from numkeras.engine.tensor import Tensor
from numkeras.layers.layer import Layer
from numkeras.ops.layer_ops.dense import dense


def project(x, kernel, bias=None):
    """`x @ kernel (+ bias)` over x's last axis: one recorded op (ops/layer_ops/dense.py, the
    bias added in place) for tensors of one float dtype, else `matmul` and `add`."""
    dtype = kernel.data.dtype
    if type(x) is Tensor and x.data.dtype == dtype and dtype.kind == "f":
        return dense(x, kernel, bias)
    y = ops.matmul(x, kernel)
    return y if bias is None else y + bias


class Projection(Layer):
    """Contract the last `len(in_dims)` axes of the inputs with a kernel `in_dims + out_dims`.

    `query`/`key`/`value` map (..., dim) to (..., heads, head_dim) with a kernel
    (dim, heads, head_dim) and a bias (heads, head_dim); `attention_output` maps
    (..., heads, value_dim) to (..., *output_shape). Weights are named and shaped as Keras's
    EinsumDense sublayers, so they transfer one to one. Initializers see the kernel as the
    (prod(in_dims), prod(out_dims)) matrix it is, as Keras 3.15's EinsumDense fans do.

    Args:
        in_dims, out_dims: tuples of ints.
        use_bias: whether to add a bias of shape `out_dims`.
        activation: applied last (the gate uses sigmoid).
        kernel_*, bias_*: initializer, regularizer and constraint of each weight.
    """

    def __init__(
        self,
        in_dims,
        out_dims,
        use_bias=True,
        activation=None,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.in_dims, self.out_dims = tuple(in_dims), tuple(out_dims)
        self.use_bias, self.activation = use_bias, activations.get(activation)
        self._options = {
            "kernel": (initializers.get(kernel_initializer), kernel_regularizer, kernel_constraint),
            "bias": (initializers.get(bias_initializer), bias_regularizer, bias_constraint),
        }

    def build(self, input_shape):
        n_in, n_out = math.prod(self.in_dims), math.prod(self.out_dims)
        init, reg, con = self._options["kernel"]

        def as_matrix(shape, dtype=None):
            return np.reshape(np.asarray(init((n_in, n_out), dtype=dtype)), shape)

        self.kernel = self.add_weight(
            shape=self.in_dims + self.out_dims,
            name="kernel",
            initializer=as_matrix,
            regularizer=reg,
            constraint=con,
        )
        self.bias = None
        if self.use_bias:
            init, reg, con = self._options["bias"]
            self.bias = self.add_weight(
                shape=self.out_dims, name="bias", initializer=init, regularizer=reg, constraint=con
            )

    def call(self, inputs):
        lead = tuple(inputs.shape[: inputs.ndim - len(self.in_dims)])
        kernel = ops.reshape(self.kernel, (math.prod(self.in_dims), math.prod(self.out_dims)))
        bias = None if self.bias is None else ops.reshape(self.bias, (-1,))
        outputs = project(ops.reshape(inputs, lead + (-1,)), kernel, bias)
        return self.activation(ops.reshape(outputs, lead + self.out_dims))

    def compute_mask(self, inputs, mask=None):
        return None  # MultiHeadAttention consumes the inputs' masks itself, as Keras does

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[: len(input_shape) - len(self.in_dims)]) + self.out_dims
