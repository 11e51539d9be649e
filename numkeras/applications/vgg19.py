"""VGG19: VGG16 with four convolutions in each of its last three blocks."""

from numkeras.applications.vgg16 import decode_predictions, preprocess_input, vgg

__all__ = ["VGG19", "decode_predictions", "preprocess_input"]

WEIGHTS_HASHES = {
    True: "cbe5617147190e668d6c5d5026f83318",
    False: "253f8cb515780f3b799900260a226db6",
}


def VGG19(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="vgg19",
):
    """The VGG19 model, optionally with weights pretrained on ImageNet (the arguments are
    VGG16's)."""
    return vgg(
        "vgg19",
        (2, 2, 4, 4, 4),
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
