"""Random image augmentation layers and the affine resampler behind three of them.

`affine_transform` and the layers with a one-point factor range (a fixed transform) are
compared with real Keras 3; random draws are checked by their properties.
"""

import numpy as np
import pytest

import numkeras
from numkeras import layers
from numkeras.layers.preprocessing.affine_transform import affine_transform
from numkeras.layers.preprocessing.random_brightness import RandomBrightness
from numkeras.layers.preprocessing.random_contrast import RandomContrast
from numkeras.layers.preprocessing.random_rotation import RandomRotation
from numkeras.layers.preprocessing.random_translation import RandomTranslation
from numkeras.layers.preprocessing.random_zoom import RandomZoom

IMAGES = (np.random.default_rng(0).random((3, 7, 9, 2)) * 255).astype("float32")
GEOMETRIC = [RandomTranslation, RandomRotation, RandomZoom]
ALL = GEOMETRIC + [RandomContrast, RandomBrightness]
# every layer with a wide random range (and keyword arguments to build it)
WIDE = {
    RandomTranslation: {"height_factor": 0.4, "width_factor": (-0.3, 0.5)},
    RandomRotation: {"factor": 0.3},
    RandomZoom: {"height_factor": (-0.5, 0.6)},
    RandomContrast: {"factor": (0.5, 0.9)},
    RandomBrightness: {"factor": 0.5},
}
# each layer with a zero factor: the identity, training or not
ZERO = {
    RandomTranslation: {"height_factor": 0.0, "width_factor": 0.0},
    RandomRotation: {"factor": 0.0},
    RandomZoom: {"height_factor": 0.0},
    RandomContrast: {"factor": 0.0},
    RandomBrightness: {"factor": 0.0},
}


def rotation(theta, shift=(0.0, 0.0), scale=1.0):
    c, s = np.cos(theta) * scale, np.sin(theta) * scale
    return [c, -s, shift[0], s, c, shift[1], 0.0, 0.0]


TRANSFORMS = np.array(
    [
        rotation(0.6, (1.3, -2.1)),
        [1.3, 0.2, -3.4, -0.1, 0.8, 2.7, 0.0, 0.0],  # shear, scale, shift
        rotation(-2.2, (4.6, 9.3), scale=1.7),
    ],
    "float32",
)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # inside Keras's torch backend
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("fill_mode", ["reflect", "wrap", "constant", "nearest"])
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_affine_transform_matches_real_keras(keras, interpolation, fill_mode, data_format):
    images = IMAGES if data_format == "channels_last" else IMAGES.transpose(0, 3, 1, 2)
    ours = affine_transform(images, TRANSFORMS, interpolation, fill_mode, 7.5, data_format)
    theirs = keras.ops.image.affine_transform(
        images, TRANSFORMS.copy(), interpolation, fill_mode, 7.5, data_format
    )
    assert ours.shape == images.shape and ours.dtype == np.float32
    np.testing.assert_allclose(ours, keras.ops.convert_to_numpy(theirs), rtol=1e-5, atol=1e-3)
    # one image and one transform
    np.testing.assert_allclose(
        affine_transform(images[1], TRANSFORMS[1], interpolation, fill_mode, 7.5, data_format),
        ours[1],
        rtol=1e-6,
    )


def test_affine_transform_hand_computed_fill_modes():
    row = np.arange(1.0, 5.0).reshape(1, 4, 1)  # a b c d = 1 2 3 4
    shift = [1, 0, -2.0, 0, 1, 0, 0, 0]  # the output pixel x reads the input at x - 2
    expected = {
        "reflect": [2, 1, 1, 2],
        "wrap": [3, 4, 1, 2],
        "nearest": [1, 1, 1, 2],
        "constant": [9, 9, 1, 2],
    }
    for mode, values in expected.items():
        out = affine_transform(row, shift, "nearest", mode, fill_value=9.0)
        assert out.ravel().tolist() == values, mode
    # bilinear at x - 0.5 blends the fill value with the border pixel
    half = affine_transform(row, [1, 0, -0.5, 0, 1, 0, 0, 0], fill_mode="constant")
    assert half.ravel().tolist() == [0.5, 1.5, 2.5, 3.5]
    # a projective row divides by k = c0 x + c1 y + 1: here x / (x + 1) for x = 0 .. 3
    out = affine_transform(row, [1, 0, 0, 0, 1, 0, 1, 0], interpolation="bilinear")
    np.testing.assert_allclose(out.ravel(), 1 + np.arange(4) / (np.arange(4) + 1), rtol=1e-6)


# one-point factor ranges: a fixed transform, so the output is Keras's exactly
FIXED = [
    (RandomTranslation, {"height_factor": (0.2, 0.2), "width_factor": (-0.35, -0.35)}),
    (
        RandomTranslation,
        {
            "height_factor": (-0.5, -0.5),
            "width_factor": (0.25, 0.25),
            "fill_mode": "constant",
            "fill_value": 3.0,
        },
    ),
    (RandomRotation, {"factor": (0.1, 0.1)}),
    (
        RandomRotation,
        {
            "factor": (-0.3, -0.3),
            "fill_mode": "constant",
            "fill_value": 3.0,
            "interpolation": "nearest",
        },
    ),
    (RandomZoom, {"height_factor": (0.5, 0.5)}),
    (RandomZoom, {"height_factor": (0.5, 0.5), "width_factor": (-0.3, -0.3), "fill_mode": "wrap"}),
    (
        RandomZoom,
        {"height_factor": (-0.4, -0.4), "fill_mode": "nearest", "interpolation": "nearest"},
    ),
    (RandomBrightness, {"factor": (0.1, 0.1)}),
    (RandomBrightness, {"factor": (-0.4, -0.4), "value_range": (0, 255)}),
]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("cls, kwargs", FIXED)
def test_fixed_transforms_match_real_keras(keras, cls, kwargs, data_format):
    images = IMAGES if data_format == "channels_last" else IMAGES.transpose(0, 3, 1, 2)
    theirs = getattr(keras.layers, cls.__name__)(data_format=data_format, **kwargs)
    ours = cls(data_format=data_format, **kwargs)
    expected = keras.ops.convert_to_numpy(theirs(images, training=True))
    np.testing.assert_allclose(ours(images, training=True).numpy(), expected, rtol=1e-5, atol=1e-3)
    # one image: the same as a batch of one
    np.testing.assert_allclose(
        ours(images[0], training=True).numpy(), expected[0], rtol=1e-5, atol=1e-3
    )


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("cls", ALL)
def test_configs_match_real_keras_both_ways(keras, cls):
    kwargs = {**WIDE[cls], "seed": 4}
    theirs = getattr(keras.layers, cls.__name__)(**kwargs)
    ours = cls(**kwargs)
    mine, their_config = ours.get_config(), theirs.get_config()
    assert mine.keys() == their_config.keys()
    for key in mine.keys() - {"name", "dtype"}:
        assert mine[key] == their_config[key], key
    assert cls.from_config({**their_config, "name": "x"}).get_config() == {**mine, "name": "x"}
    getattr(keras.layers, cls.__name__).from_config(mine)  # Keras loads ours


@pytest.mark.parametrize("cls", ALL)
def test_config_round_trip_draws_the_same(cls):
    layer = cls(**WIDE[cls], seed=11)
    clone = cls.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    np.testing.assert_array_equal(
        layer(IMAGES, training=True).numpy(), clone(IMAGES, training=True).numpy()
    )


@pytest.mark.parametrize("cls", ALL)
def test_seed_repeats_and_draws_advance(cls):
    first, second = cls(**WIDE[cls], seed=5), cls(**WIDE[cls], seed=5)
    a = first(IMAGES, training=True).numpy()
    np.testing.assert_array_equal(a, second(IMAGES, training=True).numpy())
    assert not np.allclose(a, first(IMAGES, training=True).numpy())  # a new draw
    other = cls(**WIDE[cls], seed=6)(IMAGES, training=True).numpy()
    assert not np.allclose(a, other)
    # each image of the batch gets its own draw
    same = cls(**WIDE[cls], seed=5)(np.repeat(IMAGES[:1], 3, 0), training=True).numpy()
    assert not np.allclose(same[0], same[1])


@pytest.mark.parametrize("cls", ALL)
def test_inference_is_the_identity_and_a_direct_call_augments(cls):
    """As in Keras 3: `call` defaults to training=True; predict and training=False don't."""
    layer = cls(**WIDE[cls], seed=1)
    np.testing.assert_array_equal(layer(IMAGES, training=False).numpy(), IMAGES)
    assert not np.allclose(layer(IMAGES).numpy(), IMAGES)


@pytest.mark.parametrize("cls", ALL)
def test_zero_factor_is_the_identity_in_training(cls):
    out = cls(**ZERO[cls])(IMAGES, training=True)
    np.testing.assert_allclose(out.numpy(), IMAGES, rtol=1e-6, atol=1e-3)


@pytest.mark.parametrize("cls", ALL)
def test_uint8_inputs_get_keras_dtypes(cls):
    images = IMAGES.astype("uint8")
    trained = cls(**WIDE[cls])(images, training=True)
    inferred = cls(**WIDE[cls])(images, training=False)
    # Keras: geometric layers cast to float32 both ways; contrast computes in float32;
    # brightness keeps the integer dtype; at inference colour layers return the input as is
    geometric = cls in GEOMETRIC
    assert trained.dtype == ("uint8" if cls is RandomBrightness else "float32")
    assert inferred.dtype == ("float32" if geometric else "uint8")


def test_brightness_on_integers_clips_instead_of_wrapping():
    images = np.array([[[[10], [250]]]], "uint8")
    assert RandomBrightness((-0.5, -0.5))(images, training=True).numpy().ravel().tolist() == [
        0,
        123,
    ]  # 250 - trunc(127.5)
    assert RandomBrightness((0.5, 0.5))(images, training=True).numpy().ravel().tolist() == [
        137,
        255,
    ]


@pytest.mark.parametrize(
    "cls, kwargs",
    [
        (RandomContrast, {"factor": (0.9, 1.0), "value_range": (20, 200)}),
        (RandomBrightness, {"factor": 1.0, "value_range": (200, 20)}),
    ],
)
def test_outputs_stay_within_value_range(cls, kwargs):
    out = cls(**kwargs, seed=2)(IMAGES, training=True).numpy()
    assert out.min() >= 20 and out.max() <= 200
    assert (out == 20).any() and (out == 200).any()  # the large factors reach both ends


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_contrast_scales_each_images_channels_about_their_means(data_format):
    lower, upper = 0.3, 0.6  # contrast factors in [0.7, 1.6]
    images = IMAGES / 2 + 60  # within [0, 255] after any factor in range
    x = images if data_format == "channels_last" else images.transpose(0, 3, 1, 2)
    out = RandomContrast((lower, upper), data_format=data_format, seed=3)(x, training=True)
    out = out.numpy() if data_format == "channels_last" else out.numpy().transpose(0, 2, 3, 1)
    mean = images.mean(axis=(1, 2), keepdims=True)
    # one factor per image, shared by its channels and pixels
    factors = ((out - mean) / (images - mean)).reshape(len(images), -1)
    np.testing.assert_allclose(factors, factors[:, :1].repeat(factors.shape[1], 1), rtol=1e-3)
    assert np.all(factors >= 1 - lower - 1e-4) and np.all(factors <= 1 + upper + 1e-4)
    assert len(np.unique(factors[:, 0].round(4))) == len(images)


def test_brightness_adds_one_offset_per_image_within_range():
    out = RandomBrightness((-0.2, 0.1), value_range=(-1000, 1000), seed=8)(IMAGES, training=True)
    delta = (out.numpy() - IMAGES).reshape(len(IMAGES), -1)
    np.testing.assert_allclose(delta, delta[:, :1].repeat(delta.shape[1], 1), atol=1e-3)
    assert np.all(delta >= -400 - 1e-3) and np.all(delta <= 200 + 1e-3)


def test_geometric_draws_stay_within_their_ranges():
    n, height, width = 2000, 10, 16
    rows = RandomTranslation((-0.2, 0.3), 0.5, seed=0)._transforms(n, height, width)
    assert np.all(rows[:, [0, 4]] == 1) and np.all(rows[:, [1, 3, 6, 7]] == 0)
    dx, dy = -rows[:, 2], -rows[:, 5]
    assert dy.min() >= -0.2 * height and dy.max() <= 0.3 * height
    assert dx.min() >= -0.5 * width and dx.max() <= 0.5 * width
    assert dx.min() < -0.45 * width and dx.max() > 0.45 * width  # the whole range is used

    rows = RandomRotation((-0.1, 0.25), seed=0)._transforms(n, height, width)
    turns = np.arctan2(rows[:, 3], rows[:, 0]) / (2 * np.pi)
    assert turns.min() >= -0.1 - 1e-6 and turns.max() <= 0.25 + 1e-6
    assert turns.min() < -0.09 and turns.max() > 0.24
    # the centre stays in place: the output centre reads the input centre
    cx, cy = (width - 1) / 2, (height - 1) / 2
    np.testing.assert_allclose(rows[:, 0] * cx + rows[:, 1] * cy + rows[:, 2], cx, atol=1e-4)
    np.testing.assert_allclose(rows[:, 3] * cx + rows[:, 4] * cy + rows[:, 5], cy, atol=1e-4)

    rows = RandomZoom((-0.3, 0.5), seed=0)._transforms(n, height, width)
    np.testing.assert_array_equal(rows[:, 0], rows[:, 4])  # no width_factor: same zoom
    assert rows[:, 4].min() >= 0.7 and rows[:, 4].max() <= 1.5
    rows = RandomZoom(0.2, width_factor=(0.6, 0.8), seed=0)._transforms(n, height, width)
    assert rows[:, 4].min() >= 0.8 and rows[:, 4].max() <= 1.2
    assert rows[:, 0].min() >= 1.6 and rows[:, 0].max() <= 1.8


@pytest.mark.parametrize("cls", GEOMETRIC)
def test_channels_first_transforms_like_channels_last(cls):
    last = cls(**WIDE[cls], data_format="channels_last", seed=9)(IMAGES, training=True)
    first = cls(**WIDE[cls], data_format="channels_first", seed=9)(
        IMAGES.transpose(0, 3, 1, 2), training=True
    )
    np.testing.assert_allclose(first.numpy().transpose(0, 2, 3, 1), last.numpy(), rtol=1e-6)


@pytest.mark.parametrize(
    "cls, kwargs, message",
    [
        (
            RandomTranslation,
            {"height_factor": 1.5, "width_factor": 0.1},
            r"RandomTranslation: `height_factor` must be a number .* \[-1.0, 1.0\], received "
            "height_factor=1.5",
        ),
        (
            RandomTranslation,
            {"height_factor": 0.1, "width_factor": (0.1, 0.2, 0.3)},
            "RandomTranslation: `width_factor`",
        ),
        (
            RandomTranslation,
            {"height_factor": 0.1, "width_factor": "big"},
            "RandomTranslation: `width_factor`",
        ),
        (RandomZoom, {"height_factor": -1.0}, r"RandomZoom: `height_factor` .* \(-1.0, 1.0\]"),
        (RandomZoom, {"height_factor": 0.1, "width_factor": (-1, 0)}, "RandomZoom: `width_factor`"),
        (RandomRotation, {"factor": (-2, 0.5)}, "RandomRotation: `factor`"),
        (RandomRotation, {"factor": 0.1, "fill_mode": "mirror"}, "RandomRotation: `fill_mode`"),
        (
            RandomZoom,
            {"height_factor": 0.1, "interpolation": "bicubic"},
            "RandomZoom: `interpolation`",
        ),
        (
            RandomTranslation,
            {"height_factor": 0.1, "width_factor": 0.1, "data_format": "NHWC"},
            "RandomTranslation: `data_format`",
        ),
        (RandomContrast, {"factor": -0.1}, r"RandomContrast: `factor` .* \[0.0, 1.0\]"),
        (RandomContrast, {"factor": 0.1, "value_range": 255}, "RandomContrast: `value_range`"),
        (
            RandomBrightness,
            {"factor": 0.1, "value_range": (0, 1, 2)},
            "RandomBrightness: `value_range`",
        ),
    ],
)
def test_bad_arguments_name_the_layer_and_value(cls, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cls(**kwargs)


@pytest.mark.parametrize("cls", ALL)
def test_rank_other_than_3_or_4_is_rejected_in_training(cls):
    with pytest.raises(ValueError, match=rf"{cls.__name__}: expected an image .*=\(2, 3\)"):
        cls(**WIDE[cls])(np.zeros((2, 3), "float32"), training=True)


@pytest.mark.parametrize("cls", ALL)
def test_in_a_model_fit_augments_and_predict_does_not(cls):
    numkeras.utils.set_random_seed(0)
    augment = cls(**WIDE[cls], seed=1)
    dense = layers.Dense(2)
    model = numkeras.Sequential([numkeras.Input((7, 9, 2)), augment, layers.Flatten(), dense])
    assert augment.compute_output_shape((None, 7, 9, 2)) == (None, 7, 9, 2)
    model.compile(optimizer="sgd", loss="mse")
    x, y = IMAGES / 255, np.zeros((3, 2), "float32")
    model.fit(x, y, epochs=1, batch_size=3, verbose=0)
    # fit augmented once, in training mode: the layer's next draw is a fresh layer's second
    fresh = cls(**WIDE[cls], seed=1)
    fresh(x, training=True)
    np.testing.assert_array_equal(
        augment(x, training=True).numpy(), fresh(x, training=True).numpy()
    )
    expected = dense(x.reshape(3, -1)).numpy()  # predict leaves the images alone
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
