"""AutoContrast, RandomInvert, RandomGrayscale, Solarization and RandomPosterization against
real Keras where the outcome is determined, and by their defining properties otherwise."""

import numpy as np
import pytest

from numkeras import layers
from tests.layers.keras_parity import comparable, get_keras

IMAGES = np.random.default_rng(0).uniform(0, 255, (3, 5, 4, 3)).astype("float32")
UNIT = IMAGES / 255.0

DETERMINED = [  # (name, kwargs, images): the same output whatever the random draws
    ("AutoContrast", {}, IMAGES),
    ("AutoContrast", {"value_range": (0, 1)}, UNIT[0]),
    ("RandomInvert", {"factor": (1.0, 1.0)}, IMAGES),
    ("RandomInvert", {"factor": (1.0, 1.0), "value_range": (0, 1)}, UNIT),
    ("RandomGrayscale", {"factor": 1.0}, IMAGES),
    ("RandomGrayscale", {"factor": 0.0}, IMAGES),
    ("Solarization", {}, IMAGES),
    ("Solarization", {"value_range": (0, 1)}, UNIT),
    ("RandomPosterization", {"factor": (3, 3)}, IMAGES),
    ("RandomPosterization", {"factor": (1, 1), "value_range": (0, 1)}, UNIT),
    ("RandomColorDegeneration", {"factor": (0.3, 0.3)}, IMAGES),
    ("RandomColorDegeneration", {"factor": (-0.5, -0.5), "value_range": (0, 1)}, UNIT),
    ("RandomSharpness", {"factor": (0.9, 0.9)}, IMAGES),
    ("RandomSharpness", {"factor": (0.2, 0.2), "data_format": "channels_first"}, IMAGES),
    ("Equalization", {}, IMAGES),
    ("Equalization", {"bins": 16, "value_range": (0, 1)}, UNIT),
    ("Equalization", {"data_format": "channels_first"}, np.round(IMAGES / 40) * 40),
]


def _id(case):
    return f"{case[0]}-{'-'.join(map(str, case[1].values()))}"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("name, kwargs, images", DETERMINED, ids=[_id(c) for c in DETERMINED])
def test_matches_keras(name, kwargs, images):
    keras = get_keras()
    ours, theirs = getattr(layers, name)(**kwargs), getattr(keras.layers, name)(**kwargs)
    np.testing.assert_allclose(
        ours(images).numpy(), keras.ops.convert_to_numpy(theirs(images)), rtol=1e-5, atol=1e-4
    )
    assert comparable(ours.get_config()) == comparable(theirs.get_config())
    np.testing.assert_array_equal(
        getattr(layers, name).from_config(ours.get_config())(images).numpy(), ours(images).numpy()
    )


def test_random_layers_are_the_identity_at_inference():
    for layer in (
        layers.RandomInvert(),
        layers.RandomGrayscale(),
        layers.Solarization(),
        layers.RandomPosterization(4),
    ):
        np.testing.assert_array_equal(layer(IMAGES, training=False).numpy(), IMAGES)


def test_random_draws_follow_their_definitions():
    inverted = layers.RandomInvert(0.5, seed=1)(np.repeat(IMAGES, 30, axis=0)).numpy()
    flipped = np.isclose(inverted, 255 - np.repeat(IMAGES, 30, axis=0)).all(axis=(1, 2, 3))
    assert 0 < flipped.mean() < 0.5  # probability drawn from [0, 0.5], then compared
    posterized = layers.RandomPosterization(4, seed=2)(IMAGES).numpy()
    bits = [
        next(b for b in range(1, 9) if np.all(np.mod(p.astype(int), 2 ** (8 - b)) == 0))
        for p in posterized
    ]
    assert all(1 <= b <= 3 for b in bits)  # bits drawn from [1, 4)
    solarized = layers.Solarization(addition_factor=0.2, threshold_factor=(0.5, 0.5), seed=3)(
        IMAGES
    ).numpy()
    assert solarized.min() >= 0 and solarized.max() <= 255


def test_bad_arguments():
    with pytest.raises(ValueError, match="factor"):
        layers.RandomGrayscale(1.5)
    with pytest.raises(ValueError, match="factor"):
        layers.RandomPosterization(9)
    with pytest.raises(ValueError, match="addition_factor"):
        layers.Solarization(addition_factor=2)
    with pytest.raises(ValueError, match="rank 3"):
        layers.AutoContrast()(np.zeros((2, 2), "float32"))
