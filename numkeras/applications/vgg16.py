"""VGG16 (Simonyan & Zisserman, ICLR 2015): five blocks of 3x3 convolutions and max pooling,
then three dense layers. Inputs are preprocessed in "caffe" mode."""

from numkeras import backend, layers
from numkeras.applications import imagenet_utils
from numkeras.applications.builder import WEIGHTS_ROOT, check_weights, finish, image_input, pool

__all__ = ["VGG16", "decode_predictions", "preprocess_input"]

WEIGHTS_HASHES = {  # include_top: md5 of Keras's weight file
    True: "64373286793e3c8b2b4e3219cbf3544b",
    False: "6d6bbae143d832006294945121d1f1fc",
}


def vgg(
    model_name,
    convs_per_block,
    weights_hashes,
    include_top,
    weights,
    input_tensor,
    input_shape,
    pooling,
    classes,
    classifier_activation,
    name,
):
    """A VGG network: `convs_per_block` 3x3 convolutions in each of its five blocks."""
    check_weights(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape,
        default_size=224,
        min_size=32,
        data_format=backend.image_data_format(),
        require_flatten=include_top,
        weights=weights,
    )
    img_input = image_input(input_tensor, input_shape)
    x = img_input
    for block, (filters, convs) in enumerate(zip((64, 128, 256, 512, 512), convs_per_block), 1):
        for i in range(1, convs + 1):
            x = layers.Conv2D(
                filters, (3, 3), activation="relu", padding="same", name=f"block{block}_conv{i}"
            )(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = pool(x, pooling)
    fname = f"{model_name}_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
    origin = f"{WEIGHTS_ROOT}{model_name}/{fname}"
    return finish(
        input_tensor, img_input, x, name, weights, (fname, origin, weights_hashes[include_top])
    )


def VGG16(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="vgg16",
):
    """The VGG16 model, optionally with weights pretrained on ImageNet.

    Args:
        include_top: keep the three dense layers at the top (the input must then be
            224x224).
        weights: None (random initialization), "imagenet", or a weights file's path.
        input_tensor: an optional KerasTensor to use as the image input.
        input_shape: the image shape without the batch axis (at least 32x32), when
            `include_top` is False.
        pooling: without the top, None (4D features), "avg" or "max" global pooling.
        classes: the number of classes, with the top and no pretrained weights.
        classifier_activation: the top layer's activation (None gives logits).
        name: the model's name.
    """
    return vgg(
        "vgg16",
        (2, 2, 3, 3, 3),
        WEIGHTS_HASHES,
        include_top,
        weights,
        input_tensor,
        input_shape,
        pooling,
        classes,
        classifier_activation,
        name,
    )


def preprocess_input(x, data_format=None):
    """ImageNet "caffe" preprocessing: RGB to BGR, then the channel means subtracted."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


def decode_predictions(preds, top=5):
    """The `top` (wordnet id, class name, score) tuples of each ImageNet prediction."""
    return imagenet_utils.decode_predictions(preds, top=top)
