"""AugMix and RandAugment: random pipelines over the other augmentation layers, with Keras
3's arguments, operation lists and mixing.

Both build Keras's sub-layers from one `factor` and draw everything (operation choices,
mixing weights, each operation's parameters) from the layer's own SeedGenerator, so a seed
or `set_random_seed` repeats them. Each chosen operation is applied by calling its sub-layer,
which draws its parameters per image.
"""

import numpy as np

from numkeras import random
from numkeras.layers.preprocessing.augmentation_args import pixel_range
from numkeras.layers.preprocessing.color_augmentation import (
    AutoContrast,
    Equalization,
    RandomColorDegeneration,
    RandomPosterization,
    RandomSharpness,
    Solarization,
)
from numkeras.layers.preprocessing.image_augmentation import BaseImageAugmentation
from numkeras.layers.preprocessing.image_data_layer import as_array, unit_factor
from numkeras.layers.preprocessing.random_brightness import RandomBrightness
from numkeras.layers.preprocessing.random_contrast import RandomContrast
from numkeras.layers.preprocessing.random_rotation import RandomRotation
from numkeras.layers.preprocessing.random_shear import RandomShear
from numkeras.layers.preprocessing.random_translation import RandomTranslation


def _operations(layer, names):
    """Keras's sub-layers for `factor`, `value_range` and `interpolation`, by name, sharing
    the parent's SeedGenerator."""
    factor, value_range, data_format = layer.factor, layer.value_range, layer.data_format
    geometric = {"interpolation": layer.interpolation, "data_format": data_format}
    color = {"value_range": value_range, "data_format": data_format}
    build = {
        "random_shear": lambda: RandomShear(factor, factor, **geometric),
        "random_translation": lambda: RandomTranslation(factor, factor, **geometric),
        "random_rotation": lambda: RandomRotation(factor, **geometric),
        "random_posterization": lambda: RandomPosterization(max(1, int(8 * factor[1])), **color),
        "solarization": lambda: Solarization(factor, factor, **color),
        "auto_contrast": lambda: AutoContrast(**color),
        "equalization": lambda: Equalization(**color),
        "random_brightness": lambda: RandomBrightness(factor, **color),
        "random_color_degeneration": lambda: RandomColorDegeneration(factor, **color),
        "random_contrast": lambda: RandomContrast(factor, **color),
        "random_sharpness": lambda: RandomSharpness(factor, **color),
    }
    operations = []
    for name in names:
        operation = build[name]()
        operation.seed_generator = layer.seed_generator
        operations.append(operation)
    return operations


class _Policy(BaseImageAugmentation):
    _float_at_inference = True

    def __init__(self, value_range, factor, interpolation, seed, data_format, **kwargs):
        super().__init__(data_format, seed, **kwargs)
        self.value_range = pixel_range(self, value_range)
        self.factor = unit_factor(self, factor)
        self.interpolation = interpolation

    def _choices(self, shape, count, seed):
        return random.randint(shape, 0, count, seed=self._generator(seed)).numpy()

    @staticmethod
    def _run(operation, x):
        return operation(x, training=True).numpy().astype(x.dtype)

    def transform_segmentation_masks(self, segmentation_masks, transformation=None, training=True):
        raise NotImplementedError(
            f"{type(self).__name__}: numkeras transforms images and labels only, not "
            "segmentation masks."
        )

    def transform_bounding_boxes(self, bounding_boxes, transformation=None, training=True):
        raise NotImplementedError(
            f"{type(self).__name__}: numkeras transforms images and labels only, not "
            "bounding boxes."
        )


class RandAugment(_Policy):
    """Applies `num_ops` operations in a row, each chosen at random (once per batch) from
    Keras's eleven: shear, translation, rotation, brightness, color degeneration, contrast,
    sharpness, posterization, solarization, auto contrast and equalization, all built with
    magnitude `factor`. An operation chosen twice draws its parameters twice (Keras reuses
    one draw).

    Args:
        value_range: the (low, high) pixel range ((0, 255)).
        num_ops: how many operations to apply (2).
        factor: the operations' magnitude, a number in [0, 1] (drawn from [0, f]) or a pair.
        interpolation: "bilinear" or "nearest", for the geometric operations.
        seed: an int for repeatable draws.
        data_format: "channels_last" or "channels_first".
    """

    OPERATIONS = (
        "random_shear",
        "random_translation",
        "random_rotation",
        "random_brightness",
        "random_color_degeneration",
        "random_contrast",
        "random_sharpness",
        "random_posterization",
        "solarization",
        "auto_contrast",
        "equalization",
    )

    def __init__(
        self,
        value_range=(0, 255),
        num_ops=2,
        factor=0.5,
        interpolation="bilinear",
        seed=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(value_range, factor, interpolation, seed, data_format, **kwargs)
        self.num_ops = num_ops
        self._operations = _operations(self, self.OPERATIONS)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        return {"layer_idxes": self._choices((self.num_ops,), len(self.OPERATIONS), seed)}

    def _transform(self, x, transformation):  # Keras's "transforms" entry is not needed
        for index in as_array(transformation["layer_idxes"]).ravel():
            x = self._run(self._operations[int(index)], x)
        return x

    def get_config(self):
        return {
            **super().get_config(),
            "value_range": self.value_range,
            "num_ops": self.num_ops,
            "factor": self.factor,
            "interpolation": self.interpolation,
            "seed": self.seed,
        }


class AugMix(_Policy):
    """Mixes `num_chains` augmented copies of the batch with Dirichlet(alpha) weights, each
    copy a chain of up to `chain_depth` random operations (each step may also be skipped),
    then blends the mix with the original by a Beta(alpha, alpha) weight m:
    `m x + (1 - m) mix`, clipped to `value_range` (Hendrycks et al., 2020).

    Args:
        value_range: the (low, high) pixel range ((0, 255)).
        num_chains: the number of augmented copies (3).
        chain_depth: the operations per copy, at most (3).
        factor: the operations' magnitude, a number in [0, 1] (drawn from [0, f]) or a pair.
        alpha: the Dirichlet and Beta concentration (1.0).
        all_ops: use all eleven operations (True); False leaves out brightness, color
            degeneration, contrast and sharpness.
        interpolation: "bilinear" or "nearest", for the geometric operations.
        seed: an int for repeatable draws.
        data_format: "channels_last" or "channels_first".
    """

    OPERATIONS = (
        "random_shear",
        "random_translation",
        "random_rotation",
        "random_posterization",
        "solarization",
        "auto_contrast",
        "equalization",
    )
    MORE_OPERATIONS = (
        "random_brightness",
        "random_color_degeneration",
        "random_contrast",
        "random_sharpness",
    )

    def __init__(
        self,
        value_range=(0, 255),
        num_chains=3,
        chain_depth=3,
        factor=0.3,
        alpha=1.0,
        all_ops=True,
        interpolation="bilinear",
        seed=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(value_range, factor, interpolation, seed, data_format, **kwargs)
        self.num_chains = num_chains
        self.chain_depth = chain_depth
        self.alpha = alpha
        self.all_ops = all_ops
        self._names = self.OPERATIONS + (self.MORE_OPERATIONS if all_ops else ())
        self._operations = _operations(self, self._names)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        gamma = random.gamma((self.num_chains,), self.alpha, seed=self._generator(seed)).numpy()
        weight = random.beta((), self.alpha, self.alpha, seed=self._generator(seed)).numpy()
        # one more choice than operations: that step of the chain is skipped
        steps = self._choices((self.num_chains, self.chain_depth), len(self._names) + 1, seed)
        chains = [
            [
                {"layer_name": self._names[s], "transformation": None}
                for s in chain
                if s < len(self._names)
            ]
            for chain in steps
        ]
        return {
            "chain_mixing_weights": gamma / gamma.sum(),
            "weight_sample": weight,
            "chain_transforms": chains,  # as Keras's (the sub-layers draw when they run)
        }

    def _transform(self, x, transformation):
        weights = as_array(transformation["chain_mixing_weights"]).astype(x.dtype)
        mixed = np.zeros_like(x)
        for weight, chain in zip(weights, transformation["chain_transforms"]):
            copy = x
            for step in chain:
                copy = self._run(self._operations[self._names.index(step["layer_name"])], copy)
            mixed += weight * copy
        m = as_array(transformation["weight_sample"]).astype(x.dtype)
        return np.clip(m * x + (1 - m) * mixed, *self.value_range).astype(x.dtype)

    def get_config(self):
        return {
            **super().get_config(),
            "value_range": self.value_range,
            "num_chains": self.num_chains,
            "chain_depth": self.chain_depth,
            "factor": self.factor,
            "alpha": self.alpha,
            "all_ops": self.all_ops,
            "interpolation": self.interpolation,
            "seed": self.seed,
        }
