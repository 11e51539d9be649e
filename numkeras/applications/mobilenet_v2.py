"""MobileNetV2 (Sandler et al., CVPR 2018): inverted residual blocks with linear
bottlenecks, narrowed by `alpha`. Inputs are preprocessed in "tf" mode."""

import warnings

from numkeras import backend, layers
from numkeras.applications import imagenet_utils
from numkeras.applications.builder import (
    WEIGHTS_ROOT,
    channel_axis,
    check_weights,
    finish,
    image_input,
    pool,
)
from numkeras.applications.mobilenet import rows_and_cols

__all__ = ["MobileNetV2", "decode_predictions", "preprocess_input"]

_SIZES = (96, 128, 160, 192, 224)  # the input sizes with pretrained weights
_ALPHAS = (0.35, 0.50, 0.75, 1.0, 1.3, 1.4)
# (filters, stride, expansion) of inverted residual blocks 0 to 16
_BLOCKS = [(16, 1, 1), (24, 2, 6), (24, 1, 6), (32, 2, 6), (32, 1, 6), (32, 1, 6)]
_BLOCKS += [(64, 2, 6)] + [(64, 1, 6)] * 3 + [(96, 1, 6)] * 3
_BLOCKS += [(160, 2, 6), (160, 1, 6), (160, 1, 6), (320, 1, 6)]


def _bn(name):
    return layers.BatchNormalization(axis=channel_axis(), epsilon=1e-3, momentum=0.999, name=name)


def _default_size(input_shape, input_tensor):
    """The pretrained size the input's square side picks, else 224."""
    if input_shape is not None:
        side = rows_and_cols(input_shape)
    elif input_tensor is not None and backend.is_keras_tensor(input_tensor):
        side = rows_and_cols(input_tensor.shape[1:])
    else:
        return 224
    return side[0] if side[0] == side[1] and side[0] in _SIZES else 224


def MobileNetV2(
    input_shape=None,
    alpha=1.0,
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name=None,
):
    """The MobileNetV2 model, optionally with weights pretrained on ImageNet.

    Args:
        input_shape: the image shape without the batch axis (at least 32x32); pretrained
            weights exist for square inputs of 96, 128, 160, 192 or 224.
        alpha: the width multiplier (pretrained: 0.35, 0.5, 0.75, 1.0, 1.3 or 1.4).
        include_top, weights, input_tensor, pooling, classes, classifier_activation: as
            VGG16's.
        name: the model's name; None gives `mobilenetv2_{alpha:.2f}_{rows}`.
    """
    check_weights(weights, include_top, classes)
    if input_shape is not None and input_tensor is not None:
        if not backend.is_keras_tensor(input_tensor):
            raise ValueError(
                f"input_tensor is not a Keras tensor; Received `input_tensor={input_tensor}`"
            )
        width = 3 if backend.image_data_format() == "channels_first" else 2
        if input_tensor.shape[width] != input_shape[width - 1]:
            raise ValueError(
                f"input_tensor.shape[{width}] must equal input_shape[{width - 1}]; Received "
                f"`input_tensor.shape={input_tensor.shape}`, `input_shape={input_shape}`"
            )
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape,
        default_size=_default_size(input_shape, input_tensor),
        min_size=32,
        data_format=backend.image_data_format(),
        require_flatten=include_top,
        weights=weights,
    )
    rows, cols = rows_and_cols(input_shape)
    if weights == "imagenet":
        if alpha not in _ALPHAS:
            raise ValueError(
                "If imagenet weights are being loaded, alpha must be one of `0.35`, `0.50`, "
                f"`0.75`, `1.0`, `1.3` or `1.4` only; Received `alpha={alpha}`"
            )
        if rows != cols or rows not in _SIZES:
            rows = 224
            warnings.warn(
                "`input_shape` is undefined or non-square, or `rows` is not in "
                "[96, 128, 160, 192, 224]. Weights for input shape (224, 224) will be loaded "
                "as the default.",
                stacklevel=2,
            )
    img_input = image_input(input_tensor, input_shape)
    x = layers.Conv2D(
        make_divisible(32 * alpha, 8),
        kernel_size=3,
        strides=(2, 2),
        padding="same",
        use_bias=False,
        name="Conv1",
    )(img_input)
    x = _bn("bn_Conv1")(x)
    x = layers.ReLU(6.0, name="Conv1_relu")(x)
    for block_id, (filters, stride, expansion) in enumerate(_BLOCKS):
        x = _inverted_res_block(x, expansion, stride, alpha, filters, block_id)
    last_filters = make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
    x = layers.Conv2D(last_filters, kernel_size=1, use_bias=False, name="Conv_1")(x)
    x = _bn("Conv_1_bn")(x)
    x = layers.ReLU(6.0, name="out_relu")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D()(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = pool(x, pooling)
    if name is None:
        name = f"mobilenetv2_{alpha:0.2f}_{rows}"
    imagenet_file = None
    if weights == "imagenet":
        fname = (
            f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{rows}"
            f"{'' if include_top else '_no_top'}.h5"
        )
        imagenet_file = (fname, f"{WEIGHTS_ROOT}mobilenet_v2/{fname}", None)  # Keras: no hash
    return finish(input_tensor, img_input, x, name, weights, imagenet_file)


def _inverted_res_block(inputs, expansion, stride, alpha, filters, block_id):
    """1x1 expansion, 3x3 depthwise, then a linear 1x1 projection; added to the input when
    the shapes allow. Block 0 has no expansion and is named `expanded_conv_`."""
    in_channels = inputs.shape[channel_axis()]
    pointwise_filters = make_divisible(int(filters * alpha), 8)
    x = inputs
    prefix = f"block_{block_id}_"
    if block_id:
        x = layers.Conv2D(
            expansion * in_channels,
            kernel_size=1,
            padding="same",
            use_bias=False,
            activation=None,
            name=f"{prefix}expand",
        )(x)
        x = _bn(f"{prefix}expand_BN")(x)
        x = layers.ReLU(6.0, name=f"{prefix}expand_relu")(x)
    else:
        prefix = "expanded_conv_"
    if stride == 2:
        x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, 3), name=f"{prefix}pad")(x)
    x = layers.DepthwiseConv2D(
        kernel_size=3,
        strides=stride,
        activation=None,
        use_bias=False,
        padding="same" if stride == 1 else "valid",
        name=f"{prefix}depthwise",
    )(x)
    x = _bn(f"{prefix}depthwise_BN")(x)
    x = layers.ReLU(6.0, name=f"{prefix}depthwise_relu")(x)
    x = layers.Conv2D(
        pointwise_filters,
        kernel_size=1,
        padding="same",
        use_bias=False,
        activation=None,
        name=f"{prefix}project",
    )(x)
    x = _bn(f"{prefix}project_BN")(x)
    if in_channels == pointwise_filters and stride == 1:
        return layers.Add(name=f"{prefix}add")([inputs, x])
    return x


def make_divisible(v, divisor=8, min_value=None):
    """`v` rounded to the nearest multiple of `divisor`, never more than 10% below it."""
    min_value = divisor if min_value is None else min_value
    rounded = max(min_value, int(v + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * v else rounded


def preprocess_input(x, data_format=None):
    """ImageNet "tf" preprocessing: pixels scaled to [-1, 1]."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """The `top` (wordnet id, class name, score) tuples of each ImageNet prediction."""
    return imagenet_utils.decode_predictions(preds, top=top)
