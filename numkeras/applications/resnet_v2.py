"""ResNetV2 (He et al., ECCV 2016): ResNet with pre-activation blocks. Inputs are
preprocessed in "tf" mode."""

from numkeras.applications import imagenet_utils
from numkeras.applications.resnet import ResNet, stack_residual_blocks_v2

__all__ = ["ResNet50V2", "ResNet101V2", "ResNet152V2", "decode_predictions", "preprocess_input"]


def _v2_stacks(blocks):
    def stack_fn(x):
        x = stack_residual_blocks_v2(x, 64, blocks[0], name="conv2")
        x = stack_residual_blocks_v2(x, 128, blocks[1], name="conv3")
        x = stack_residual_blocks_v2(x, 256, blocks[2], name="conv4")
        return stack_residual_blocks_v2(x, 512, blocks[3], stride1=1, name="conv5")

    return stack_fn


def _resnet_v2(blocks, weights_name, args):
    return ResNet(_v2_stacks(blocks), True, True, **args, weights_name=weights_name)


def ResNet50V2(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet50v2",
):
    """ResNet50V2, optionally with weights pretrained on ImageNet (the arguments are
    VGG16's)."""
    return _resnet_v2((3, 4, 6, 3), "resnet50v2", locals())


def ResNet101V2(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet101v2",
):
    """ResNet101V2, optionally with weights pretrained on ImageNet."""
    return _resnet_v2((3, 4, 23, 3), "resnet101v2", locals())


def ResNet152V2(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet152v2",
):
    """ResNet152V2, optionally with weights pretrained on ImageNet."""
    return _resnet_v2((3, 8, 36, 3), "resnet152v2", locals())


def preprocess_input(x, data_format=None):
    """ImageNet "tf" preprocessing: pixels scaled to [-1, 1]."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """The `top` (wordnet id, class name, score) tuples of each ImageNet prediction."""
    return imagenet_utils.decode_predictions(preds, top=top)
