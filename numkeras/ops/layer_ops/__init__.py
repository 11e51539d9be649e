"""Ops the built-in layers use beyond Keras's `ops` namespace: the fused steps (bias + relu,
conv + bias + relu (+ max pool), batch normalization alone, + relu or + relu + global mean,
add + relu, layer normalization, LSTM and GRU over whole sequences), and the output sizes of
convolutions and pools."""

from numkeras.kernels.conv import output_size
from numkeras.ops.layer_ops.add_fused import add_relu
from numkeras.ops.layer_ops.conv_relu import conv_bias_relu
from numkeras.ops.layer_ops.fused import conv_relu_pool, layer_norm, pool_tiles
from numkeras.ops.layer_ops.nn_ops import bias_relu
from numkeras.ops.layer_ops.norm_fused import batch_norm_moving_relu, batch_norm_train
from numkeras.ops.layer_ops.norm_pool import batch_norm_relu_mean
from numkeras.ops.layer_ops.rnn import gru_sequence, lstm_sequence
from numkeras.ops.layer_ops.transpose_conv import output_length

__all__ = [
    "add_relu",
    "batch_norm_moving_relu",
    "batch_norm_relu_mean",
    "batch_norm_train",
    "bias_relu",
    "conv_bias_relu",
    "conv_relu_pool",
    "gru_sequence",
    "layer_norm",
    "lstm_sequence",
    "output_length",
    "output_size",
    "pool_tiles",
]
