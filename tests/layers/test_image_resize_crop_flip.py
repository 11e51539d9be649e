"""Resizing, CenterCrop, RandomCrop and RandomFlip, checked against Keras 3 and by property."""

import numpy as np
import pytest

import numkeras
from numkeras.layers.preprocessing.center_crop import CenterCrop
from numkeras.layers.preprocessing.random_crop import RandomCrop
from numkeras.layers.preprocessing.random_flip import RandomFlip
from numkeras.layers.preprocessing.resizing import Resizing

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.oracle

LAYERS = {
    "Resizing": Resizing,
    "CenterCrop": CenterCrop,
    "RandomCrop": RandomCrop,
    "RandomFlip": RandomFlip,
}


def images(shape, dtype="float32", seed=0):
    return (np.random.default_rng(seed).random(shape) * 255).astype(dtype)


def both(name, kwargs, x, **call):
    """(numkeras output, Keras output) of the layer `name` built with `kwargs`, as arrays."""
    ours = LAYERS[name](**kwargs)(x, **call).numpy()
    theirs = keras.ops.convert_to_numpy(getattr(keras.layers, name)(**kwargs)(x, **call))
    return ours, theirs


def assert_matches_keras(ours, theirs, unrounded=None):
    """Equal up to float32 rounding; for integer images, `unrounded` is Keras's float result."""
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    if ours.dtype.kind == "f":
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-4)
        return
    # an exact .5 may round either way after float32 error (Keras's own backends differ there)
    differ = ours != theirs
    assert np.all(np.abs(ours[differ].astype(int) - theirs[differ]) == 1)
    assert np.all(np.abs(unrounded[differ] % 1 - 0.5) < 1e-3)


SIZES = [(3, 4), (10, 13), (16, 3), (1, 1), (7, 2)]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
@pytest.mark.parametrize(
    "aspect", [{}, {"crop_to_aspect_ratio": True}, {"pad_to_aspect_ratio": True, "fill_value": 3.0}]
)
@pytest.mark.parametrize("dtype", ["float32", "uint8"])
def test_resizing_matches_keras(size, interpolation, aspect, dtype):
    kwargs = {"height": size[0], "width": size[1], "interpolation": interpolation, **aspect}
    for shape in [(2, 5, 7, 3), (1, 16, 9, 2), (11, 6, 1)]:
        x = images(shape, dtype)
        unrounded = both("Resizing", kwargs, x.astype("float32"))[1]
        assert_matches_keras(*both("Resizing", kwargs, x), unrounded)


def test_resizing_channels_first_and_float64():
    kwargs = {"height": 6, "width": 3, "data_format": "channels_first"}
    assert_matches_keras(*both("Resizing", kwargs, images((2, 3, 5, 7))))
    ours, theirs = both("Resizing", {"height": 4, "width": 4}, images((5, 7, 2), "float64"))
    assert ours.dtype == np.float32
    assert_matches_keras(ours, theirs)


def test_resizing_golden_values():
    # half-pixel centres: output pixel i samples input position (i + 0.5) * in / out - 0.5
    x = np.arange(4, dtype="float32").reshape(1, 4, 1)
    np.testing.assert_allclose(Resizing(1, 2)(x).numpy().ravel(), [0.5, 2.5])
    np.testing.assert_allclose(
        Resizing(1, 8)(x).numpy().ravel(), [0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3]
    )
    assert Resizing(1, 2, interpolation="nearest")(x).numpy().ravel().tolist() == [1, 3]


@pytest.mark.parametrize(
    "shape", [(2, 9, 8, 3), (2, 10, 7, 3), (2, 3, 8, 3), (2, 9, 2, 3), (2, 2, 3, 3), (4, 4, 1)]
)
@pytest.mark.parametrize("dtype", ["float32", "uint8"])
def test_center_crop_matches_keras(shape, dtype):
    # larger, with odd and even margins; smaller in one or both dimensions (crop then resize)
    ours, theirs = both("CenterCrop", {"height": 5, "width": 4}, images(shape, dtype))
    assert ours.dtype == np.float32
    assert_matches_keras(ours, theirs)
    kwargs = {"height": 5, "width": 4, "data_format": "channels_first"}
    assert_matches_keras(*both("CenterCrop", kwargs, np.moveaxis(images(shape, dtype), -1, -3)))


def test_center_crop_takes_the_middle():
    x = np.arange(30, dtype="float32").reshape(5, 6, 1)
    np.testing.assert_array_equal(CenterCrop(3, 3)(x).numpy()[..., 0], x[1:4, 1:4, 0])


@pytest.mark.parametrize("shape", [(2, 3, 8, 3), (2, 5, 9, 3), (2, 8, 4, 3), (3, 2, 2)])
def test_random_crop_without_room_matches_keras_in_training(shape):
    # an image not larger than the target in both dimensions is cropped deterministically
    kwargs = {"height": 5, "width": 4, "seed": 1}
    assert_matches_keras(*both("RandomCrop", kwargs, images(shape), training=True))


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_random_crop_cuts_one_window_per_batch(data_format):
    x = images((3, 7, 9, 2) if data_format == "channels_last" else (3, 2, 7, 9))
    layer = RandomCrop(4, 5, seed=3, data_format=data_format)
    seen = set()
    for _ in range(200):
        y = layer(x, training=True).numpy()
        rows, cols = (1, 2) if data_format == "channels_last" else (2, 3)
        starts = [
            (i, j)
            for i in range(4)
            for j in range(5)
            if np.array_equal(y, np.take(np.take(x, range(i, i + 4), rows), range(j, j + 5), cols))
        ]
        assert len(starts) == 1  # the same window for every image of the batch
        seen.add(starts[0])
    assert seen == {(i, j) for i in range(4) for j in range(5)}  # every window is reachable


def test_random_crop_is_seeded_and_identity_at_inference():
    x = images((2, 12, 12, 3), "uint8")
    a, b = RandomCrop(5, 4, seed=7), RandomCrop(5, 4, seed=7)
    for _ in range(3):
        np.testing.assert_array_equal(a(x, training=True).numpy(), b(x, training=True).numpy())
    assert a(x, training=True).numpy().dtype == np.float32
    # Keras's code returns the input unchanged at inference, not center-cropped
    ours, theirs = both("RandomCrop", {"height": 5, "width": 4}, x, training=False)
    assert ours.dtype == theirs.dtype == np.uint8
    assert RandomCrop(5, 4)(x).shape == (2, 5, 4, 3)  # as Keras: a direct call crops
    np.testing.assert_array_equal(ours, x)
    np.testing.assert_array_equal(theirs, x)


FLIPS = {
    "horizontal": [(), (-2,)],
    "vertical": [(), (-3,)],
    "horizontal_and_vertical": [(), (-3, -2)],
}  # Keras: one coin flips both ways


@pytest.mark.parametrize("mode", list(FLIPS))
def test_random_flip_outputs_allowed_flips(mode):
    x = images((8, 4, 5, 2))
    layer = RandomFlip(mode, seed=0)
    counts = np.zeros(2)
    for _ in range(20):
        y = layer(x, training=True).numpy()
        for image, out in zip(x, y):
            matches = [np.array_equal(np.flip(image, axes), out) for axes in FLIPS[mode]]
            assert any(matches)
            counts[matches.index(True)] += 1
    assert counts.min() > 40  # both outcomes, each about half the time


@pytest.mark.parametrize("mode", list(FLIPS))
def test_random_flip_channels_first_and_single_images(mode):
    x = images((3, 4, 5))  # one channels-first image: height axis -2, width axis -1
    layer = RandomFlip(mode, seed=1, data_format="channels_first")
    outcomes = set()
    for _ in range(30):
        y = layer(x, training=True).numpy()
        allowed = [np.flip(x, tuple(a + 1 for a in axes)) for axes in FLIPS[mode]]
        outcomes.add(next(i for i, z in enumerate(allowed) if np.array_equal(z, y)))
    assert outcomes == {0, 1}


def test_random_flip_is_seeded_and_identity_at_inference():
    x = images((6, 4, 4, 1), "uint8")
    a, b = RandomFlip(seed=5), RandomFlip(seed=5)
    for _ in range(3):
        np.testing.assert_array_equal(a(x, training=True).numpy(), b(x, training=True).numpy())
    ours, theirs = both("RandomFlip", {"mode": "horizontal"}, x, training=False)
    assert ours.dtype == theirs.dtype == np.float32  # Keras casts at inference too
    np.testing.assert_array_equal(ours, x)
    # as Keras: a direct call flips (call's training defaults to True), a model's predict not
    np.testing.assert_array_equal(
        RandomFlip(seed=5)(x, training=True).numpy(), RandomFlip(seed=5)(x).numpy()
    )


CONFIGS = [
    (
        "Resizing",
        {
            "height": 3,
            "width": 4,
            "interpolation": "nearest",
            "pad_to_aspect_ratio": True,
            "fill_value": 1.5,
        },
    ),
    ("CenterCrop", {"height": 3, "width": 4, "data_format": "channels_first"}),
    ("RandomCrop", {"height": 3, "width": 4, "seed": 9}),
    ("RandomFlip", {"mode": "vertical", "seed": 2}),
]


@pytest.mark.parametrize("name,kwargs", CONFIGS)
def test_config_matches_keras_and_round_trips(name, kwargs):
    layer = LAYERS[name](**kwargs)
    config = layer.get_config()
    reference = getattr(keras.layers, name)(**kwargs).get_config()
    assert set(config) - {"dtype"} == set(reference) - {"dtype"}
    for key in set(reference) - {"name", "dtype"}:
        assert config[key] == reference[key], key
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    x = images((2, 6, 7, 4))
    if name == "RandomCrop" or name == "RandomFlip":  # the saved seed repeats the draws
        np.testing.assert_array_equal(
            clone(x, training=True).numpy(),
            type(layer).from_config(config)(x, training=True).numpy(),
        )


def test_defaults_match_keras():
    for name, kwargs in [
        ("Resizing", {"height": 2, "width": 2}),
        ("CenterCrop", {"height": 2, "width": 2}),
        ("RandomFlip", {}),
    ]:
        ours, theirs = (
            LAYERS[name](**kwargs).get_config(),
            getattr(keras.layers, name)(**kwargs).get_config(),
        )
        for key in set(theirs) - {"name", "dtype"}:
            assert ours[key] == theirs[key], (name, key)
    assert isinstance(RandomCrop(2, 2).get_config()["seed"], int)  # drawn, as in Keras


@pytest.mark.parametrize("name,kwargs", CONFIGS)
@pytest.mark.parametrize("shape", [(None, 6, 7, 4), (6, 7, 4), (2, 4, 6, 7)])
def test_compute_output_shape_matches_keras(name, kwargs, shape):
    reference = getattr(keras.layers, name)(**kwargs).compute_output_shape(shape)
    assert LAYERS[name](**kwargs).compute_output_shape(shape) == tuple(reference)


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda: Resizing(0, 3), "height"),
        (lambda: Resizing(3, 3, interpolation="cubic"), "interpolation"),
        (lambda: Resizing(3, 3, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True), "only one"),
        (lambda: Resizing(3, 3, fill_mode="reflect"), "fill_mode"),
        (lambda: Resizing(3, 3, antialias=True), "antialias"),
        (lambda: CenterCrop(3, "4"), "width"),
        (lambda: RandomCrop(3, 3, data_format="channels_middle"), "data_format"),
        (lambda: RandomCrop(3, 3, seed=-1), "seed"),
        (lambda: RandomFlip("diagonal"), "mode"),
    ],
)
def test_bad_arguments_raise(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize("layer", [Resizing(2, 2), CenterCrop(2, 2), RandomFlip()])
def test_bad_rank_raises(layer):
    with pytest.raises(ValueError, match=type(layer).__name__):
        layer(np.zeros((4, 4), "float32"), training=True)


@pytest.mark.parametrize(
    "layer", [lambda: Resizing(4, 3), lambda: CenterCrop(4, 3), lambda: RandomFlip(seed=0)]
)
def test_in_a_model_fit_and_predict(layer):
    numkeras.utils.set_random_seed(0)
    model = numkeras.Sequential(
        [numkeras.Input((6, 5, 2)), layer(), numkeras.layers.Flatten(), numkeras.layers.Dense(2)]
    )
    model.compile(optimizer="sgd", loss="mse")
    x, y = images((4, 6, 5, 2)) / 255, np.ones((4, 2), "float32")
    history = model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert model.predict(x, verbose=0).shape == (4, 2)


def test_random_crop_in_a_model_trains_but_cannot_predict_as_in_keras():
    # Keras 3's RandomCrop returns uncropped images at inference, so Dense sees the wrong size
    model = numkeras.Sequential(
        [
            numkeras.Input((6, 5, 2)),
            RandomCrop(4, 3, seed=0),
            numkeras.layers.Flatten(),
            numkeras.layers.Dense(2),
        ]
    )
    model.compile(optimizer="sgd", loss="mse")
    x, y = images((4, 6, 5, 2)) / 255, np.ones((4, 2), "float32")
    assert np.isfinite(model.fit(x, y, epochs=1, verbose=0).history["loss"][0])
    with pytest.raises(ValueError):
        model.predict(x, verbose=0)
