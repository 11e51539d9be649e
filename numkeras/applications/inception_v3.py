"""Inception V3 (Szegedy et al., CVPR 2016): a stem, then "mixed" blocks concatenating
parallel branches of factorized convolutions. Inputs are preprocessed in "tf" mode."""

from numkeras import backend, layers
from numkeras.applications import imagenet_utils
from numkeras.applications.builder import (
    WEIGHTS_ROOT,
    channel_index,
    check_weights,
    finish,
    image_input,
    pool,
)

__all__ = ["InceptionV3", "decode_predictions", "preprocess_input"]

WEIGHTS_HASHES = {
    True: "9a0d58056eeedaa3f26cb7ebd46da564",
    False: "bcbd6486424b2319ff4ef7d526e38f63",
}


def conv2d_bn(x, filters, num_row, num_col, padding="same", strides=(1, 1), name=None):
    """Convolution (no bias), batch normalization (no scale), ReLU."""
    x = layers.Conv2D(
        filters,
        (num_row, num_col),
        strides=strides,
        padding=padding,
        use_bias=False,
        name=None if name is None else f"{name}_conv",
    )(x)
    x = layers.BatchNormalization(
        axis=channel_index(), scale=False, name=None if name is None else f"{name}_bn"
    )(x)
    return layers.Activation("relu", name=name)(x)


def _chain(x, convs):
    """conv2d_bn applied for each (filters, rows, cols) in turn."""
    for filters, rows, cols in convs:
        x = conv2d_bn(x, filters, rows, cols)
    return x


def _avg_pool_branch(x, filters):
    x = layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same")(x)
    return conv2d_bn(x, filters, 1, 1)


def _block_35(x, pool_filters, name):
    """mixed0-2: 1x1, 5x5, double 3x3 and pooled branches."""
    branches = [
        conv2d_bn(x, 64, 1, 1),
        _chain(x, [(48, 1, 1), (64, 5, 5)]),
        _chain(x, [(64, 1, 1), (96, 3, 3), (96, 3, 3)]),
        _avg_pool_branch(x, pool_filters),
    ]
    return layers.concatenate(branches, axis=channel_index(), name=name)


def _block_17(x, width, name):
    """mixed4-7: 1x1, 7x7 and double 7x7 (factorized into 1x7 and 7x1) and pooled
    branches."""
    branches = [
        conv2d_bn(x, 192, 1, 1),
        _chain(x, [(width, 1, 1), (width, 1, 7), (192, 7, 1)]),
        _chain(x, [(width, 1, 1), (width, 7, 1), (width, 1, 7), (width, 7, 1), (192, 1, 7)]),
        _avg_pool_branch(x, 192),
    ]
    return layers.concatenate(branches, axis=channel_index(), name=name)


def _block_8(x, i):
    """mixed9-10: 1x1, split 3x3, double split 3x3 and pooled branches."""
    branch1x1 = conv2d_bn(x, 320, 1, 1)
    branch3x3 = conv2d_bn(x, 384, 1, 1)
    branch3x3 = layers.concatenate(
        [conv2d_bn(branch3x3, 384, 1, 3), conv2d_bn(branch3x3, 384, 3, 1)],
        axis=channel_index(),
        name=f"mixed9_{i}",
    )
    branch3x3dbl = _chain(x, [(448, 1, 1), (384, 3, 3)])
    branch3x3dbl = layers.concatenate(
        [conv2d_bn(branch3x3dbl, 384, 1, 3), conv2d_bn(branch3x3dbl, 384, 3, 1)],
        axis=channel_index(),
    )
    branches = [branch1x1, branch3x3, branch3x3dbl, _avg_pool_branch(x, 192)]
    return layers.concatenate(branches, axis=channel_index(), name=f"mixed{9 + i}")


def InceptionV3(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="inception_v3",
):
    """The Inception V3 model, optionally with weights pretrained on ImageNet (the arguments
    are VGG16's; the default input is 299x299, the smallest 75x75)."""
    check_weights(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape,
        default_size=299,
        min_size=75,
        data_format=backend.image_data_format(),
        require_flatten=include_top,
        weights=weights,
    )
    img_input = image_input(input_tensor, input_shape)
    x = conv2d_bn(img_input, 32, 3, 3, strides=(2, 2), padding="valid")
    x = conv2d_bn(x, 32, 3, 3, padding="valid")
    x = conv2d_bn(x, 64, 3, 3)
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = conv2d_bn(x, 80, 1, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, 3, padding="valid")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)

    x = _block_35(x, 32, "mixed0")
    x = _block_35(x, 64, "mixed1")
    x = _block_35(x, 64, "mixed2")
    branches = [  # mixed3: downsampling
        conv2d_bn(x, 384, 3, 3, strides=(2, 2), padding="valid"),
        conv2d_bn(_chain(x, [(64, 1, 1), (96, 3, 3)]), 96, 3, 3, strides=(2, 2), padding="valid"),
        layers.MaxPooling2D((3, 3), strides=(2, 2))(x),
    ]
    x = layers.concatenate(branches, axis=channel_index(), name="mixed3")
    for i, width in enumerate((128, 160, 160, 192)):
        x = _block_17(x, width, f"mixed{4 + i}")
    branches = [  # mixed8: downsampling
        conv2d_bn(conv2d_bn(x, 192, 1, 1), 320, 3, 3, strides=(2, 2), padding="valid"),
        conv2d_bn(
            _chain(x, [(192, 1, 1), (192, 1, 7), (192, 7, 1)]),
            192,
            3,
            3,
            strides=(2, 2),
            padding="valid",
        ),
        layers.MaxPooling2D((3, 3), strides=(2, 2))(x),
    ]
    x = layers.concatenate(branches, axis=channel_index(), name="mixed8")
    for i in range(2):
        x = _block_8(x, i)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = pool(x, pooling)
    fname = f"inception_v3_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
    imagenet_file = (fname, f"{WEIGHTS_ROOT}inception_v3/{fname}", WEIGHTS_HASHES[include_top])
    return finish(input_tensor, img_input, x, name, weights, imagenet_file)


def preprocess_input(x, data_format=None):
    """ImageNet "tf" preprocessing: pixels scaled to [-1, 1]."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """The `top` (wordnet id, class name, score) tuples of each ImageNet prediction."""
    return imagenet_utils.decode_predictions(preds, top=top)
