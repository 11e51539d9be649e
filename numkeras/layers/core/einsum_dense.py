"""EinsumDense: a dense layer whose kernel and contraction an einsum equation describes."""

import math
import re

from numkeras import activations, constraints, initializers, ops, regularizers
from numkeras.layers.core.dense import _fusable
from numkeras.layers.layer import InputSpec, Layer
from numkeras.ops import einsum
from numkeras.ops.layer_ops.dense import dense


def analyze_equation(layer, equation, bias_axes, input_shape, output_shape):
    """(kernel shape, bias shape or None, full output shape), by Keras's rules.

    Supported forms: `ab,bc->ac`, `...ab,bc->...ac` and `ab...,bc->ac...`; the batch axis and
    the elided axes of the output come from the input.
    """
    plain = equation.replace("...", "0")
    forms = (
        ("([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$", False),
        ("0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)$", True),
        ("([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0$", False),
    )
    match, left = next(((m, left) for p, left in forms if (m := re.match(p, plain))), (None, False))
    if match is None:
        raise ValueError(
            f"Invalid einsum equation '{equation}'. Equations must be in the form "
            "[X],[Y]->[Z], ...[X],[Y]->...[Z], or [X]...,[Y]->[Z]...."
        )
    in_spec, kernel_spec, out_spec = match.groups()
    elided = len(input_shape) - len(in_spec)
    out = [input_shape[0], *output_shape]
    if elided > 0 and left:
        out[1:1] = list(input_shape[1:elided])
    elif elided > 0:
        out += list(input_shape[len(input_shape) - elided :])
    shift = elided if left else 0
    in_index = {c: i + shift - (len(input_shape) if left else 0) for i, c in enumerate(in_spec)}
    out_index = {c: i + shift for i, c in enumerate(out_spec)}
    for c in in_spec:
        if (
            c in out_index
            and out[out_index[c]] is not None
            and out[out_index[c]] != input_shape[in_index[c]]
        ):
            raise ValueError(
                f'Layer "{layer.name}": input shape and output shape do not match at shared '
                f"dimension '{c}'. Input shape is {input_shape[in_index[c]]}, and output "
                f"shape is {out[out_index[c]]}."
            )
    for c, i in out_index.items():  # free output axes shared with the input take its size
        if out[i] is None and c in in_index:
            out[i] = input_shape[in_index[c]]
    kernel_shape = []
    for c in kernel_spec:
        if c in out_index:
            kernel_shape.append(out[out_index[c]])
        elif c in in_index:
            kernel_shape.append(input_shape[in_index[c]])
        else:
            raise ValueError(
                f"Layer \"{layer.name}\": weight dimension '{c}' of "
                f"'{equation}' is in neither the input nor the output spec."
            )
    bias_shape = None
    if bias_axes is not None:
        missing = [c for c in bias_axes if c not in out_spec]
        if missing:
            raise ValueError(
                f"Bias dimension '{missing[0]}' was requested, but is not part of "
                f"the output spec '{out_spec}'"
            )
        first = min(out_spec.find(c) for c in bias_axes)
        bias_shape = [
            out[out_spec.find(c) + shift] if c in bias_axes else 1 for c in out_spec[first:]
        ] + ([1] * elided if not left else [])
    return tuple(kernel_shape), bias_shape and tuple(bias_shape), tuple(out)


def dense_form(equation):
    """How many axes `equation` contracts when it is a Dense over the input's last axes: the
    input's last axes are the kernel's first ones, and the output is the input's other axes
    then the kernel's others, in order (`abc,cde->abde`, `...b,bc->...c`); else None."""
    inputs, out = equation.split("->")
    x, w = inputs.split(",")
    if x.startswith("...") and out.startswith("..."):
        x, out = x[3:], out[3:]
    if "." in x + w + out:
        return None
    for c in range(1, min(len(x), len(w)) + 1):
        if x[-c:] == w[:c] and out == x[:-c] + w[c:] and len(set(x + w)) == len(x + w) - c:
            return c
    return None


class EinsumDense(Layer):
    """`activation(einsum(equation, inputs, kernel) + bias)`.

    Args:
        equation: e.g. `"ab,bc->ac"` (Dense), `"abc,cd->abd"` (Dense on sequences) or
            `"...b,bc->...c"`.
        output_shape: the output shape without the batch axis (and elided axes); None for
            axes taken from the input.
        bias_axes: the output labels that get a bias (None: no bias).
        activation, kernel_initializer, bias_initializer, *_regularizer, *_constraint: as
            Dense.

    >>> import numpy as np
    >>> EinsumDense("abc,cd->abd", output_shape=(None, 8), bias_axes="d")(
    ...     np.zeros((2, 5, 3), "float32")).shape
    (2, 5, 8)
    """

    def __init__(
        self,
        equation,
        output_shape,
        activation=None,
        bias_axes=None,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        activity_regularizer=None,
        lora_rank=None,
        lora_alpha=None,
        quantization_config=None,
        **kwargs,
    ):
        unsupported = {
            "lora_rank": lora_rank,
            "quantization_config": quantization_config,
        }
        given = {k: v for k, v in unsupported.items() if v is not None}
        if given:
            raise ValueError(f"EinsumDense: numkeras does not support {given}.")
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.equation = equation
        self.partial_output_shape = (
            (output_shape,) if isinstance(output_shape, int) else tuple(output_shape)
        )
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def build(self, input_shape):
        kernel_shape, bias_shape, _ = analyze_equation(
            self, self.equation, self.bias_axes, input_shape, self.partial_output_shape
        )
        self.input_spec = InputSpec(ndim=len(input_shape))
        self.kernel = self.add_weight(
            shape=kernel_shape,
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.bias = None
        if bias_shape is not None:
            self.bias = self.add_weight(
                shape=bias_shape,
                name="bias",
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def call(self, inputs):
        contracted = dense_form(self.equation)
        if contracted is not None and _fusable(inputs, self.kernel, self.bias):
            return self._dense_call(inputs, contracted)
        outputs = einsum(self.equation, inputs, self.kernel)
        if self.bias is not None:
            outputs = outputs + self.bias
        return self.activation(outputs)

    def _dense_call(self, inputs, contracted):
        """The equation as one GEMM (the fused dense op, with the bias when it spans the
        kernel's output axes, and relu): `np.einsum` runs no BLAS, several times slower."""
        shape = self.kernel.shape
        units = shape[contracted:]
        x = inputs
        if contracted != 1:
            x = ops.reshape(inputs, inputs.shape[: inputs.ndim - contracted] + (-1,))
        kernel = self.kernel
        if len(shape) != 2 or contracted != 1:
            kernel = ops.reshape(kernel, (math.prod(shape[:contracted]), math.prod(units)))
        bias = self.bias
        spans = bias is not None and tuple(bias.shape) == tuple(units)
        if spans and len(units) != 1:
            bias = ops.reshape(bias, (-1,))
        relu = spans and self.activation is activations.relu
        outputs = dense(x, kernel, bias if spans else None, relu=relu)
        if len(units) != 1:
            outputs = ops.reshape(outputs, tuple(outputs.shape[:-1]) + tuple(units))
        if bias is not None and not spans:
            outputs = outputs + bias
        return outputs if relu else self.activation(outputs)

    def compute_output_shape(self, input_shape):
        return analyze_equation(
            self, self.equation, self.bias_axes, input_shape, self.partial_output_shape
        )[2]

    def get_config(self):
        return {
            **super().get_config(),
            "output_shape": self.partial_output_shape,
            "equation": self.equation,
            "activation": activations.serialize(self.activation),
            "bias_axes": self.bias_axes,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "quantization_config": None,
        }
