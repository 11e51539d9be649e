"""Ops the built-in layers use beyond Keras's `ops` namespace: the fused bias + relu and
conv + bias + relu (+ max pool) steps, and the output sizes of convolutions and pools."""
from numkeras.engine.conv_pool import conv_bias_relu
from numkeras.engine.nn_ops import bias_relu
from numkeras.engine.transpose_conv import output_length
from numkeras.kernels.conv import output_size

__all__ = ["bias_relu", "conv_bias_relu", "output_length", "output_size"]
