"""RandomElasticTransform: warp images by a smooth random displacement field."""

import numpy as np

from numkeras import random
from numkeras.layers.preprocessing.affine_transform import INTERPOLATIONS
from numkeras.layers.preprocessing.image_data_layer import ImageDataLayer, as_array, unit_factor
from numkeras.ops.image import FILL_MODES, elastic_transform


class RandomElasticTransform(ImageDataLayer):
    """Warps each image, with a probability drawn from `factor`, by a Gaussian-smoothed random
    displacement field (`ops.image.elastic_transform`) of strength drawn from `scale`:
    alpha = 0.1 * s * max(h, w), sigma = 0.05 * s * min(h, w). The outputs are clipped to
    `value_range`; segmentation masks move with their images (one field for both).

    Args:
        factor: the probability of warping an image: a number p in [0, 1] (probability drawn
            from [0, p] per image) or a pair (1.0).
        scale: the distortion strength s, a number in [0, 1] (s drawn from [0, s] per call)
            or a pair (1.0).
        interpolation: "bilinear" (the default) or "nearest".
        fill_mode: "reflect" (the default), "mirror", "wrap", "constant" or "nearest".
        fill_value: the value outside the image when `fill_mode="constant"` (0.0).
        value_range: the (low, high) pixel range outputs are clipped to ((0, 255)).
        seed: an int for a repeatable sequence of warps.
        data_format: "channels_last" or "channels_first" (default: the image data format).
    """

    def __init__(
        self,
        factor=1.0,
        scale=1.0,
        interpolation="bilinear",
        fill_mode="reflect",
        fill_value=0.0,
        value_range=(0, 255),
        seed=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = unit_factor(self, factor)
        self.scale = unit_factor(self, scale, "scale")
        self.interpolation, self.fill_mode = interpolation, fill_mode
        self.fill_value, self.value_range = fill_value, value_range
        if interpolation not in INTERPOLATIONS:
            raise NotImplementedError(
                f"Unknown `interpolation` {interpolation}. Expected of one {INTERPOLATIONS}."
            )
        if fill_mode not in FILL_MODES:
            raise NotImplementedError(
                f"Unknown `fill_mode` {fill_mode}. Expected of one {set(FILL_MODES)}."
            )

    def get_random_transformation(self, data, training=True, seed=None):
        """{"apply_transform": (B,) bool, "distortion_factor": s, "seed": the field's seed},
        or None when `scale` or `factor` cannot be above 0."""
        if not training or self.scale[1] == 0 or self.factor[1] == 0:
            return None
        n = self._batch_size(data)
        probability = self._uniform((n,), *self.factor, seed=seed)
        apply = self._uniform((n,), seed=seed) < probability
        distortion = self._uniform((), *self.scale, seed=seed).astype(self.dtype)
        field_seed = int(random.randint((), 0, 2**31 - 1, seed=self._generator(seed)).data)
        return {"apply_transform": apply, "distortion_factor": distortion, "seed": field_seed}

    def _transform_images(self, images, transformation, interpolation):
        height, width = self._size(images.shape)
        strength = float(as_array(transformation["distortion_factor"]))
        alpha = max(height, width) * 0.1 * strength
        sigma = min(height, width) * 0.05 * strength
        warped = elastic_transform(
            images.astype(self.dtype),
            alpha=alpha,
            sigma=sigma,
            interpolation=interpolation,
            fill_mode=self.fill_mode,
            fill_value=self.fill_value,
            seed=int(as_array(transformation["seed"])),
            data_format=self.data_format,
        ).data
        apply = as_array(transformation["apply_transform"]).astype(bool)
        out = np.where(apply[:, None, None, None], warped, images)
        return np.clip(out, self.value_range[0], self.value_range[1]).astype(self.dtype)

    def get_config(self):
        return {
            **super().get_config(),
            "factor": self.factor,
            "scale": self.scale,
            "interpolation": self.interpolation,
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
            "value_range": self.value_range,
            "seed": self.seed,
        }
