"""RandomHue, RandomSaturation, RandomColorJitter, RandomGaussianBlur and CLAHE against real
Keras 3: the maths through `transform_images` with the same explicit transformation, and calls
whose factor pins the draw; the random draws by their properties."""

import numpy as np
import pytest

import numkeras
from numkeras import layers
from tests.layers.keras_parity import assert_keras_files_both_ways, comparable

RNG = np.random.default_rng(3)
IMAGES = RNG.uniform(0, 255, (3, 7, 6, 3)).astype("float32")
UNIT = IMAGES / 255.0
FORMATS = ["channels_last", "channels_first"]
RANDOM = {  # each random layer with wide arguments
    "RandomHue": {"factor": 0.8},
    "RandomSaturation": {"factor": (0.1, 0.9)},
    "RandomColorJitter": {
        "brightness_factor": 0.2,
        "contrast_factor": 0.5,
        "saturation_factor": (0.2, 0.8),
        "hue_factor": 0.5,
    },
    "RandomGaussianBlur": {"factor": 0.5, "kernel_size": (3, 5), "sigma": (0.3, 1.0)},
}


def _layout(images, data_format):
    return images if data_format == "channels_last" else np.moveaxis(images, -1, 1)


def _numpy(keras, value):
    return keras.ops.convert_to_numpy(value)


TRANSFORMS = [  # (layer, kwargs, transformation, images)
    ("RandomHue", {"factor": 0.5}, {"factor": np.array([0.3, -0.45, 0.1], "float32")}, IMAGES),
    ("RandomHue", {"factor": 1.0, "value_range": (0, 1)}, {"factor": np.array([-0.2] * 3)}, UNIT),
    ("RandomSaturation", {"factor": 0.5}, {"factor": np.array([0.2, 1.0, 3.5], "float32")}, UNIT),
    ("RandomSaturation", {"factor": 0.5}, {"factor": np.array([0.5, 2.0, 9.0], "float32")}, IMAGES),
    (
        "RandomGaussianBlur",
        {"kernel_size": (5, 5)},  # Keras's backends disagree on non-square kernels
        {"should_apply_blur": np.array([True, False, True]), "blur_factor": np.array([0.4, 0.9])},
        IMAGES,
    ),
    (
        "RandomGaussianBlur",
        {"kernel_size": 5, "value_range": (0, 1)},
        {"should_apply_blur": np.array([True] * 3), "blur_factor": np.array([1.0, 0.3])},
        UNIT * 1.2,  # some pixels above the range: clipped, blurred or not
    ),
]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize("name, kwargs, transformation, images", TRANSFORMS)
def test_transform_images_matches_keras(keras, name, kwargs, transformation, images, data_format):
    images = _layout(images, data_format)
    ours = getattr(layers, name)(data_format=data_format, **kwargs)
    theirs = getattr(keras.layers, name)(data_format=data_format, **kwargs)
    expected = _numpy(
        keras,
        theirs.transform_images(
            keras.ops.convert_to_tensor(images),
            {k: keras.ops.convert_to_tensor(v) for k, v in transformation.items()},
        ),
    )
    np.testing.assert_allclose(
        ours.transform_images(images, transformation).numpy(), expected, rtol=1e-5, atol=1e-3
    )


PINNED = [  # (layer, kwargs, images): a one-point factor range, so a known output
    ("RandomSaturation", {"factor": (0.7, 0.7)}, IMAGES),
    ("RandomSaturation", {"factor": (0.3, 0.3), "value_range": (0, 1)}, UNIT),
    ("RandomGaussianBlur", {"factor": (1.0, 1.0), "sigma": (0.6, 0.6)}, IMAGES),
    ("RandomGaussianBlur", {"factor": 0.0, "value_range": (0, 100)}, IMAGES),  # clip only
    (
        "RandomColorJitter",
        {"brightness_factor": (0.1, 0.1), "saturation_factor": (0.3, 0.3)},
        IMAGES,
    ),
    (
        "RandomColorJitter",
        {"value_range": (0, 1), "brightness_factor": (-0.2, -0.2), "saturation_factor": (0.8, 0.8)},
        UNIT,
    ),
]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize("name, kwargs, images", PINNED)
def test_pinned_factors_match_keras_calls(keras, name, kwargs, images, data_format):
    """Keras's jitter builds its sub-layers without its `data_format` (so they read
    channels-first images as channels-last); numkeras passes it on, and is compared with
    Keras's channels-last output, transposed."""
    theirs_format = "channels_last" if name == "RandomColorJitter" else data_format
    theirs = getattr(keras.layers, name)(data_format=theirs_format, **kwargs)
    expected = _numpy(keras, theirs(_layout(images, theirs_format)))
    expected = expected if theirs_format == data_format else _layout(expected, data_format)
    images = _layout(images, data_format)
    ours = getattr(layers, name)(data_format=data_format, **kwargs)
    np.testing.assert_allclose(ours(images).numpy(), expected, rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(ours(images[0]).numpy(), expected[0], rtol=1e-5, atol=1e-3)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_pinned_hue_turns_each_image_one_way_or_the_other(keras):
    images = np.repeat(IMAGES[:1], 40, axis=0)
    out = layers.RandomHue((0.4, 0.4), seed=2)(images).numpy()
    theirs = keras.layers.RandomHue(0.4)
    turned = [
        _numpy(keras, theirs.transform_images(images, {"factor": np.full(40, d, "float32")}))
        for d in (0.2, -0.2)
    ]
    plus = np.isclose(out, turned[0], atol=1e-3).all(axis=(1, 2, 3))
    minus = np.isclose(out, turned[1], atol=1e-3).all(axis=(1, 2, 3))
    assert (plus | minus).all() and 5 < plus.sum() < 35  # a fair coin per image


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_jitter_with_hue_is_the_jitter_then_a_hue_turn(keras):
    kwargs = {"brightness_factor": (0.1, 0.1), "saturation_factor": (0.6, 0.6)}
    out = layers.RandomColorJitter(**kwargs, hue_factor=(0.3, 0.3), seed=1)(IMAGES).numpy()
    before = _numpy(keras, keras.layers.RandomColorJitter(**kwargs)(IMAGES))
    hue = keras.layers.RandomHue(0.3)
    for image, start in zip(out, before):
        options = [
            _numpy(keras, hue.transform_images(start[None], {"factor": np.array([d])}))[0]
            for d in (0.15, -0.15)
        ]
        assert any(np.allclose(image, o, atol=1e-2) for o in options)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_jitter_contrast_is_keras_contrast_with_one_factor_per_image(keras):
    images = 100 + UNIT * 50  # never clipped
    out = layers.RandomColorJitter(contrast_factor=(0.4, 0.4), seed=3)(images).numpy()
    centred = images - images.mean(axis=(1, 2), keepdims=True)
    for image, source, deviation in zip(out, images, centred):
        factor = np.sum((image - source.mean(axis=(0, 1))) * deviation) / np.sum(deviation**2)
        assert 0.6 - 1e-4 <= factor <= 1.4 + 1e-4  # drawn from [1 - 0.4, 1 + 0.4]
        expected = keras.layers.RandomContrast(0.4).transform_images(
            keras.ops.convert_to_tensor(source[None]),
            {"contrast_factor": np.full((1, 1, 1, 1), factor, "float32")},
        )
        np.testing.assert_allclose(image, _numpy(keras, expected)[0], atol=1e-3)


CLAHE_CASES = [  # (kwargs, images)
    ({}, RNG.uniform(0, 255, (2, 16, 16, 3)).astype("float32")),
    ({"tile_grid_size": (3, 2)}, IMAGES),  # tiles padded symmetrically
    ({"tile_grid_size": (2, 4), "clip_limit": 0.0}, IMAGES),
    ({"tile_grid_size": (2, 2), "clip_limit": 1.5, "value_range": (0, 1)}, UNIT),
    ({"tile_grid_size": (4, 4)}, np.round(IMAGES / 60) * 60),  # few levels, flat tiles
    ({"tile_grid_size": (2, 3)}, IMAGES.astype("uint8")),  # the dtype is kept
]


CLAHE = "ContrastLimitedAdaptiveHistogramEqualization"


def _check_clahe(ours, expected, images):
    out = ours(images, training=False).numpy()  # applied at inference too, as in Keras
    assert out.dtype == expected.dtype == images.dtype
    atol = 1 if images.dtype == np.uint8 else 1e-3  # float32 rounding before the cast
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=atol)
    np.testing.assert_allclose(ours(images[0]).numpy(), expected[0], rtol=1e-5, atol=atol)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize("kwargs, images", CLAHE_CASES)
def test_clahe_matches_keras(keras, kwargs, images, data_format):
    """Against Keras's layer on its TensorFlow ops: Keras's torch `one_hot` counts in integers,
    which truncates a fractional clip limit (the TensorFlow, JAX and NumPy ops count in
    float32, as numkeras does)."""
    tf = pytest.importorskip("tensorflow")
    images = _layout(images, data_format)
    theirs = getattr(keras.layers, CLAHE)(data_format=data_format, **kwargs)
    theirs.backend.set_backend("tensorflow")
    expected = theirs.transform_images(tf.constant(images)).numpy()
    _check_clahe(getattr(layers, CLAHE)(data_format=data_format, **kwargs), expected, images)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize(
    "kwargs", [{"tile_grid_size": (2, 2)}, {"tile_grid_size": (4, 2), "clip_limit": 0.0}]
)
def test_clahe_matches_keras_torch_where_the_clip_limit_is_whole(keras, kwargs):
    images = RNG.uniform(0, 255, (2, 16, 16, 3)).astype("float32")  # 4 * 64 / 256 = 1
    expected = _numpy(keras, getattr(keras.layers, CLAHE)(**kwargs)(images))
    _check_clahe(getattr(layers, CLAHE)(**kwargs), expected, images)


def test_clahe_without_clipping_equalizes_a_single_tile():
    image = np.repeat(np.arange(0, 250, 10, dtype="float32"), 4).reshape(10, 10, 1)
    out = layers.ContrastLimitedAdaptiveHistogramEqualization(clip_limit=0, tile_grid_size=(1, 1))(
        image
    ).numpy()
    levels = np.unique(out)
    assert levels[0] == 0 and levels[-1] == 255 and len(levels) == 25
    np.testing.assert_allclose(np.diff(levels), 255 / 24, rtol=1e-5)  # evenly spread


CONFIGS = [
    ("RandomHue", {"factor": (0.2, 0.6), "value_range": (0, 1), "seed": 3}),
    ("RandomSaturation", {"factor": 0.4, "value_range": (255, 0)}),
    ("RandomColorJitter", {**RANDOM["RandomColorJitter"], "seed": 7}),
    ("RandomGaussianBlur", {"factor": (0.2, 0.5), "kernel_size": (3, 7), "sigma": 0.5}),
    (
        "ContrastLimitedAdaptiveHistogramEqualization",
        {"clip_limit": 4.0, "tile_grid_size": (2, 1), "data_format": "channels_first"},
    ),
]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("name, kwargs", CONFIGS)
def test_configs_match_keras_both_ways(keras, name, kwargs):
    ours, theirs = getattr(layers, name)(**kwargs), getattr(keras.layers, name)(**kwargs)
    assert ours.get_config().keys() == theirs.get_config().keys()
    assert comparable(ours.get_config()) == comparable(theirs.get_config())
    rebuilt = getattr(layers, name).from_config(theirs.get_config())
    assert comparable(rebuilt.get_config()) == comparable(theirs.get_config())
    assert comparable(getattr(keras.layers, name).from_config(ours.get_config()).get_config()) == (
        comparable(ours.get_config())
    )


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("name, kwargs", CONFIGS)
def test_keras_files_both_ways(name, kwargs, tmp_path):
    images = RNG.uniform(0, 255, (2, 16, 8, 3)).astype("float32")  # CLAHE: a whole clip limit
    images = _layout(images, kwargs.get("data_format", "channels_last"))
    assert_keras_files_both_ways(name, kwargs, images, tmp_path, atol=1e-3)


@pytest.mark.parametrize("name", RANDOM)
def test_inference_is_the_identity_and_training_changes_images(name):
    layer = getattr(layers, name)(**RANDOM[name], seed=1)
    np.testing.assert_array_equal(layer(IMAGES, training=False).numpy(), IMAGES)
    out = layer(IMAGES).numpy()
    assert out.shape == IMAGES.shape and out.dtype == np.float32
    assert not np.allclose(out, IMAGES)


@pytest.mark.parametrize("name", RANDOM)
def test_seeds_repeat_draws_advance_and_images_differ(name):
    cls = getattr(layers, name)
    batch = np.repeat(IMAGES[:1], 16, axis=0)
    first = cls(**RANDOM[name], seed=5)(batch).numpy()
    layer = cls(**RANDOM[name], seed=5)
    np.testing.assert_array_equal(layer(batch).numpy(), first)
    assert not np.allclose(layer(batch).numpy(), first)  # the next draw
    assert not all(np.allclose(first[0], f) for f in first[1:])  # each image its own draw
    numkeras.utils.set_random_seed(4)
    a = cls(**RANDOM[name])(batch).numpy()
    numkeras.utils.set_random_seed(4)
    np.testing.assert_array_equal(cls(**RANDOM[name])(batch).numpy(), a)


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore:Tensor.T is deprecated")
@pytest.mark.parametrize("name", [*RANDOM, "AugMix", "RandAugment"])
def test_integer_images_get_keras_dtypes(keras, name):
    images = IMAGES.astype("uint8")
    ours = getattr(layers, name)(**RANDOM.get(name, {}))
    theirs = getattr(keras.layers, name)(**RANDOM.get(name, {}))
    inferred = ours(images, training=False).numpy()
    assert inferred.dtype == _numpy(keras, theirs(images, training=False)).dtype
    np.testing.assert_array_equal(inferred, images)
    assert ours(images).numpy().dtype == np.float32  # Keras's saturation rejects integers


def test_random_draws_stay_in_their_ranges():
    n = 400
    hue = layers.RandomHue((0.2, 0.6), seed=1).get_random_transformation(np.zeros((n, 2, 2, 3)))
    shift = np.abs(hue["factor"])
    assert shift.min() >= 0.1 and shift.max() <= 0.3 and 0.3 < (hue["factor"] > 0).mean() < 0.7
    sat = layers.RandomSaturation((0.2, 0.8), seed=1)
    f = sat.get_random_transformation(np.zeros((n, 2, 2, 3)))["factor"]
    assert f.min() >= 0.25 - 1e-5 and f.max() <= 4 + 1e-4
    blur = layers.RandomGaussianBlur(factor=(0.3, 0.3), sigma=(0.2, 0.7), seed=1)
    t = blur.get_random_transformation(np.zeros((n, 2, 2, 3)))
    assert 0.2 < t["should_apply_blur"].mean() < 0.4
    assert t["blur_factor"].shape == (2,) and np.all(
        (0.2 <= t["blur_factor"]) & (t["blur_factor"] <= 0.7 + 1e-5)
    )
    assert blur.get_random_transformation(np.zeros((2, 2, 2, 3)), training=False) is None


def test_saturation_keeps_value_and_hue_keeps_saturation_and_value():
    from numkeras.ops.image import rgb_to_hsv

    before = rgb_to_hsv(UNIT).numpy()
    hue = rgb_to_hsv(layers.RandomHue(0.9, value_range=(0, 1), seed=3)(UNIT)).numpy()
    np.testing.assert_allclose(hue[..., 1:], before[..., 1:], atol=1e-4)
    gray = layers.RandomSaturation((0.0, 0.0))(IMAGES).numpy()
    np.testing.assert_allclose(gray.max(-1), IMAGES.max(-1), rtol=1e-5)  # value kept
    np.testing.assert_allclose(gray, gray[..., :1].repeat(3, -1), atol=1e-3)  # gray


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: layers.RandomHue(1.5), "factor"),
        (lambda: layers.RandomSaturation((0.1, 0.2, 0.3)), "factor"),
        (lambda: layers.RandomHue(0.5, value_range=5), "value_range"),
        (lambda: layers.RandomGaussianBlur(kernel_size=4), "kernel_size"),
        (lambda: layers.RandomGaussianBlur(sigma=2.0), "sigma"),
        (lambda: layers.RandomColorJitter(hue_factor=2.0), "factor"),
        (lambda: layers.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=4), "tile"),
    ],
)
def test_bad_arguments(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_bad_rank_names_the_layer():
    for layer in (layers.RandomHue(0.5), layers.ContrastLimitedAdaptiveHistogramEqualization()):
        with pytest.raises(ValueError, match=type(layer).__name__):
            layer(np.zeros((2, 3)))


@pytest.mark.parametrize("name", [*RANDOM, "AugMix", "RandAugment"])
def test_in_a_model_fit_augments_and_predict_does_not(name):
    numkeras.utils.set_random_seed(0)
    kwargs = {**RANDOM.get(name, {}), "seed": 1}
    augment, dense = getattr(layers, name)(**kwargs), layers.Dense(2)
    model = numkeras.Sequential([numkeras.Input((7, 6, 3)), augment, layers.Flatten(), dense])
    model.compile(optimizer="sgd", loss="mse")
    x, y = IMAGES, np.zeros((3, 2), "float32")
    model.fit(x, y, epochs=1, batch_size=3, verbose=0)
    fresh = getattr(layers, name)(**kwargs)  # fit drew once: the next draw is a fresh second
    fresh(x)
    np.testing.assert_array_equal(augment(x).numpy(), fresh(x).numpy())
    expected = dense(x.reshape(3, -1)).numpy()
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("name", ["RandomHue", "RandomSaturation", "RandomGaussianBlur", "AugMix"])
def test_an_explicit_seed_generator_drives_the_draws(name):
    layer = getattr(layers, name)(**RANDOM.get(name, {}))
    first, second = (
        layer.get_random_transformation(IMAGES, seed=numkeras.random.SeedGenerator(8))
        for _ in range(2)
    )
    for key in ("factor", "blur_factor", "chain_mixing_weights"):
        if key in first:
            np.testing.assert_array_equal(first[key], second[key])


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_dict_inputs_change_images_only_as_keras_colour_layers_do(keras):
    masks = (IMAGES[..., :1] > 128).astype("float32")
    data = {"images": IMAGES, "labels": np.array([0.0, 1.0, 2.0]), "segmentation_masks": masks}
    ours = layers.RandomSaturation((0.7, 0.7))(dict(data))
    theirs = keras.layers.RandomSaturation((0.7, 0.7))(dict(data))
    assert ours.keys() == theirs.keys()
    for key in data:
        np.testing.assert_allclose(ours[key].numpy(), _numpy(keras, theirs[key]), atol=1e-3)
    with pytest.raises(NotImplementedError, match="AugMix.*segmentation masks"):
        layers.AugMix()(dict(data))
    mixed = layers.AugMix(seed=1)({"images": IMAGES, "labels": data["labels"]})
    np.testing.assert_array_equal(mixed["labels"].numpy(), data["labels"])


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_bounding_boxes_pass_through_with_a_format_as_in_keras(keras):
    boxes = {"boxes": np.array([[[1.0, 1.0, 4.0, 3.0]]] * 3), "labels": np.array([[2.0]] * 3)}
    kwargs = {"factor": (0.2, 0.2), "bounding_box_format": "xyxy"}
    ours, theirs = layers.RandomHue(**kwargs), keras.layers.RandomHue(**kwargs)
    assert comparable(ours.get_config()) == comparable(theirs.get_config())
    out = ours({"images": IMAGES, "bounding_boxes": boxes})
    np.testing.assert_array_equal(out["bounding_boxes"]["boxes"].numpy(), boxes["boxes"])
    with pytest.raises(ValueError, match="bounding box format"):
        layers.RandomHue(0.2)({"images": IMAGES, "bounding_boxes": boxes})
