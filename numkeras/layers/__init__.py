"""`numkeras.layers`: Keras 3's layers, with its names, defaults and weight layouts."""

from numkeras.layers.activations.elu import ELU
from numkeras.layers.activations.leaky_relu import LeakyReLU
from numkeras.layers.activations.prelu import PReLU
from numkeras.layers.activations.relu import ReLU
from numkeras.layers.activations.softmax import Softmax
from numkeras.layers.attention.additive_attention import AdditiveAttention
from numkeras.layers.attention.attention import Attention
from numkeras.layers.attention.group_query_attention import GroupQueryAttention
from numkeras.layers.attention.multi_head_attention import MultiHeadAttention
from numkeras.layers.convolutional.base_conv import (
    BaseConv,
    Conv1D,
    Conv2D,
    Conv3D,
    Convolution1D,
    Convolution2D,
    Convolution3D,
)
from numkeras.layers.convolutional.base_conv_transpose import (
    Conv1DTranspose,
    Conv2DTranspose,
    Conv3DTranspose,
    Convolution1DTranspose,
    Convolution2DTranspose,
    Convolution3DTranspose,
)
from numkeras.layers.convolutional.depthwise_conv import DepthwiseConv1D, DepthwiseConv2D
from numkeras.layers.convolutional.separable_conv import (
    SeparableConv1D,
    SeparableConv2D,
    SeparableConvolution1D,
    SeparableConvolution2D,
)
from numkeras.layers.core.activation import Activation
from numkeras.layers.core.dense import Dense
from numkeras.layers.core.einsum_dense import EinsumDense
from numkeras.layers.core.embedding import Embedding
from numkeras.layers.core.identity import Identity
from numkeras.layers.core.lambda_layer import Lambda
from numkeras.layers.core.masking import Masking
from numkeras.layers.core.reversible_embedding import ReversibleEmbedding
from numkeras.layers.core.wrapper import Wrapper
from numkeras.layers.input_layer import Input, InputLayer
from numkeras.layers.layer import InputSpec, Layer
from numkeras.layers.merging.add import Add, add
from numkeras.layers.merging.average import Average, average
from numkeras.layers.merging.concatenate import Concatenate, concatenate
from numkeras.layers.merging.dot import Dot, dot
from numkeras.layers.merging.maximum import Maximum, maximum
from numkeras.layers.merging.minimum import Minimum, minimum
from numkeras.layers.merging.multiply import Multiply, multiply
from numkeras.layers.merging.subtract import Subtract, subtract
from numkeras.layers.normalization.batch_normalization import BatchNormalization
from numkeras.layers.normalization.group_normalization import GroupNormalization
from numkeras.layers.normalization.layer_normalization import LayerNormalization
from numkeras.layers.normalization.rms_normalization import RMSNormalization
from numkeras.layers.normalization.spectral_normalization import SpectralNormalization
from numkeras.layers.normalization.unit_normalization import UnitNormalization
from numkeras.layers.pooling.adaptive_pooling import (
    AdaptiveAveragePooling1D,
    AdaptiveAveragePooling2D,
    AdaptiveAveragePooling3D,
    AdaptiveMaxPooling1D,
    AdaptiveMaxPooling2D,
    AdaptiveMaxPooling3D,
)
from numkeras.layers.pooling.base_pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    AvgPool1D,
    AvgPool2D,
    AvgPool3D,
    MaxPool1D,
    MaxPool2D,
    MaxPool3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)
from numkeras.layers.pooling.global_average_pooling import (
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalAvgPool1D,
    GlobalAvgPool2D,
    GlobalAvgPool3D,
)
from numkeras.layers.pooling.global_max_pooling import (
    GlobalMaxPool1D,
    GlobalMaxPool2D,
    GlobalMaxPool3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
)
from numkeras.layers.preprocessing.augmentation_policies import AugMix, RandAugment
from numkeras.layers.preprocessing.category_encoding import CategoryEncoding
from numkeras.layers.preprocessing.center_crop import CenterCrop
from numkeras.layers.preprocessing.clahe import ContrastLimitedAdaptiveHistogramEqualization
from numkeras.layers.preprocessing.color_augmentation import (
    AutoContrast,
    Equalization,
    RandomColorDegeneration,
    RandomGrayscale,
    RandomInvert,
    RandomPosterization,
    RandomSharpness,
    Solarization,
)
from numkeras.layers.preprocessing.cut_mix import CutMix
from numkeras.layers.preprocessing.discretization import Discretization
from numkeras.layers.preprocessing.hashed_crossing import HashedCrossing
from numkeras.layers.preprocessing.hashing import Hashing
from numkeras.layers.preprocessing.hsv_augmentation import (
    RandomColorJitter,
    RandomHue,
    RandomSaturation,
)
from numkeras.layers.preprocessing.max_num_bounding_boxes import MaxNumBoundingBoxes
from numkeras.layers.preprocessing.mel_spectrogram import MelSpectrogram
from numkeras.layers.preprocessing.mix_up import MixUp
from numkeras.layers.preprocessing.normalization import Normalization
from numkeras.layers.preprocessing.pipeline import Pipeline
from numkeras.layers.preprocessing.random_brightness import RandomBrightness
from numkeras.layers.preprocessing.random_contrast import RandomContrast
from numkeras.layers.preprocessing.random_crop import RandomCrop
from numkeras.layers.preprocessing.random_elastic_transform import RandomElasticTransform
from numkeras.layers.preprocessing.random_erasing import RandomErasing
from numkeras.layers.preprocessing.random_flip import RandomFlip
from numkeras.layers.preprocessing.random_gaussian_blur import RandomGaussianBlur
from numkeras.layers.preprocessing.random_perspective import RandomPerspective
from numkeras.layers.preprocessing.random_rotation import RandomRotation
from numkeras.layers.preprocessing.random_shear import RandomShear
from numkeras.layers.preprocessing.random_translation import RandomTranslation
from numkeras.layers.preprocessing.random_zoom import RandomZoom
from numkeras.layers.preprocessing.rescaling import Rescaling
from numkeras.layers.preprocessing.resizing import Resizing
from numkeras.layers.preprocessing.stft_spectrogram import STFTSpectrogram
from numkeras.layers.preprocessing.string_lookup import IntegerLookup, StringLookup
from numkeras.layers.preprocessing.text_vectorization import TextVectorization
from numkeras.layers.regularization.activity_regularization import ActivityRegularization
from numkeras.layers.regularization.alpha_dropout import AlphaDropout
from numkeras.layers.regularization.dropout import Dropout
from numkeras.layers.regularization.gaussian_dropout import GaussianDropout
from numkeras.layers.regularization.gaussian_noise import GaussianNoise
from numkeras.layers.regularization.spatial_dropout import (
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)
from numkeras.layers.reshaping.cropping import Cropping1D, Cropping2D, Cropping3D
from numkeras.layers.reshaping.flatten import Flatten
from numkeras.layers.reshaping.permute import Permute
from numkeras.layers.reshaping.repeat_vector import RepeatVector
from numkeras.layers.reshaping.reshape import Reshape
from numkeras.layers.reshaping.up_sampling import UpSampling1D, UpSampling2D, UpSampling3D
from numkeras.layers.reshaping.zero_padding import ZeroPadding1D, ZeroPadding2D, ZeroPadding3D
from numkeras.layers.rnn.bidirectional import Bidirectional
from numkeras.layers.rnn.conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D
from numkeras.layers.rnn.gru import GRU
from numkeras.layers.rnn.gru_cell import GRUCell
from numkeras.layers.rnn.lstm import LSTM
from numkeras.layers.rnn.lstm_cell import LSTMCell
from numkeras.layers.rnn.rnn import RNN
from numkeras.layers.rnn.simple_rnn import SimpleRNN
from numkeras.layers.rnn.simple_rnn_cell import SimpleRNNCell
from numkeras.layers.rnn.stacked_rnn_cells import StackedRNNCells
from numkeras.layers.rnn.time_distributed import TimeDistributed
from numkeras.layers.serialization import deserialize, serialize

__all__ = [
    "Activation",
    "ActivityRegularization",
    "Add",
    "Average",
    "AveragePooling1D",
    "AveragePooling2D",
    "AvgPool1D",
    "AvgPool2D",
    "BaseConv",
    "BatchNormalization",
    "Bidirectional",
    "Concatenate",
    "Conv1D",
    "Conv2D",
    "Convolution1D",
    "Convolution2D",
    "Cropping1D",
    "Cropping2D",
    "Dense",
    "Dot",
    "Dropout",
    "ELU",
    "Embedding",
    "Flatten",
    "GRU",
    "GRUCell",
    "GaussianDropout",
    "GaussianNoise",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalAvgPool1D",
    "GlobalAvgPool2D",
    "GlobalMaxPool1D",
    "GlobalMaxPool2D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "Identity",
    "Input",
    "InputLayer",
    "InputSpec",
    "LSTM",
    "LSTMCell",
    "Lambda",
    "Layer",
    "LayerNormalization",
    "LeakyReLU",
    "Masking",
    "MaxPool1D",
    "MaxPool2D",
    "MaxPooling1D",
    "MaxPooling2D",
    "Maximum",
    "Minimum",
    "Multiply",
    "Normalization",
    "PReLU",
    "Permute",
    "RNN",
    "ReLU",
    "RepeatVector",
    "Rescaling",
    "Reshape",
    "SimpleRNN",
    "SimpleRNNCell",
    "Softmax",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "Subtract",
    "TimeDistributed",
    "UnitNormalization",
    "UpSampling1D",
    "UpSampling2D",
    "ZeroPadding1D",
    "ZeroPadding2D",
    "add",
    "average",
    "concatenate",
    "dot",
    "maximum",
    "minimum",
    "multiply",
    "subtract",
    "Conv1DTranspose",
    "Conv2DTranspose",
    "Convolution1DTranspose",
    "Convolution2DTranspose",
    "DepthwiseConv1D",
    "DepthwiseConv2D",
    "SeparableConv1D",
    "SeparableConv2D",
    "CenterCrop",
    "RandomBrightness",
    "RandomContrast",
    "RandomCrop",
    "RandomFlip",
    "RandomRotation",
    "RandomTranslation",
    "RandomZoom",
    "RandomShear",
    "RandomPerspective",
    "RandomElasticTransform",
    "RandomErasing",
    "CutMix",
    "MixUp",
    "MaxNumBoundingBoxes",
    "Resizing",
    "StackedRNNCells",
    "SeparableConvolution1D",
    "SeparableConvolution2D",
    "Attention",
    "MultiHeadAttention",
    "Conv3D",
    "Convolution3D",
    "Conv3DTranspose",
    "Convolution3DTranspose",
    "MaxPooling3D",
    "MaxPool3D",
    "AveragePooling3D",
    "AvgPool3D",
    "GlobalMaxPooling3D",
    "GlobalMaxPool3D",
    "GlobalAveragePooling3D",
    "GlobalAvgPool3D",
    "Cropping3D",
    "UpSampling3D",
    "ZeroPadding3D",
    "SpatialDropout3D",
    "AdditiveAttention",
    "GroupNormalization",
    "RMSNormalization",
    "AlphaDropout",
    "EinsumDense",
    "AdaptiveAveragePooling1D",
    "AdaptiveAveragePooling2D",
    "AdaptiveAveragePooling3D",
    "AdaptiveMaxPooling1D",
    "AdaptiveMaxPooling2D",
    "AdaptiveMaxPooling3D",
    "CategoryEncoding",
    "Hashing",
    "HashedCrossing",
    "MelSpectrogram",
    "STFTSpectrogram",
    "Discretization",
    "serialize",
    "deserialize",
    "GroupQueryAttention",
    "IntegerLookup",
    "StringLookup",
    "Pipeline",
    "ReversibleEmbedding",
    "Wrapper",
    "TextVectorization",
    "ConvLSTM1D",
    "ConvLSTM2D",
    "ConvLSTM3D",
    "AutoContrast",
    "RandomGrayscale",
    "RandomInvert",
    "RandomPosterization",
    "Solarization",
    "SpectralNormalization",
    "RandomColorDegeneration",
    "RandomSharpness",
    "Equalization",
    "RandomHue",
    "RandomSaturation",
    "RandomColorJitter",
    "RandomGaussianBlur",
    "ContrastLimitedAdaptiveHistogramEqualization",
    "AugMix",
    "RandAugment",
]
