"""AugMix and RandAugment against real Keras 3 where the outcome is pinned (deterministic
operations chosen through `transform_images`, or no operations), and by their properties."""

import numpy as np
import pytest

import numkeras
from numkeras import layers
from tests.layers.keras_parity import assert_keras_files_both_ways, comparable

RNG = np.random.default_rng(5)
IMAGES = RNG.uniform(0, 255, (3, 8, 6, 3)).astype("float32")
POLICIES = {"AugMix": {"factor": 0.5, "num_chains": 2}, "RandAugment": {"factor": 0.6}}


def _layout(images, data_format):
    return images if data_format == "channels_last" else np.moveaxis(images, -1, 1)


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore:Tensor.T is deprecated")
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("value_range", [(0, 255), (0, 1)])
def test_augmix_mixes_deterministic_chains_as_keras(keras, data_format, value_range):
    images = _layout(IMAGES / 255 * value_range[1], data_format)
    kwargs = {"value_range": value_range, "num_chains": 3, "data_format": data_format}
    ours, theirs = layers.AugMix(**kwargs), keras.layers.AugMix(**kwargs)

    def step(name):
        return {"layer_name": name, "transformation": None}

    transformation = {  # auto contrast and equalization draw nothing
        "chain_mixing_weights": np.array([0.5, 0.3, 0.2], "float32"),
        "weight_sample": np.array(0.35, "float32"),
        "chain_transforms": [
            [step("auto_contrast")],
            [step("equalization"), step("auto_contrast")],
            [],
        ],
    }
    expected = keras.ops.convert_to_numpy(
        theirs.transform_images(keras.ops.convert_to_tensor(images), transformation)
    )
    out = ours.transform_images(images, transformation).numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-3 * value_range[1])


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("indices", [[9, 10], [10, 9, 9]])  # auto contrast, equalization
def test_randaugment_applies_the_chosen_operations_as_keras(keras, indices, data_format):
    """Against Keras's layer on its TensorFlow ops: Keras runs every operation and keeps the
    chosen one, and on torch its RandomBrightness adds in place, so the unchosen brightness
    leaks into the images there."""
    tf = pytest.importorskip("tensorflow")
    images = _layout(IMAGES, data_format)
    kwargs = {"num_ops": len(indices), "data_format": data_format}
    ours, theirs = layers.RandAugment(**kwargs), keras.layers.RandAugment(**kwargs)
    for layer in [theirs] + [getattr(theirs, n) for n in theirs._AUGMENT_LAYERS]:
        layer.backend.set_backend("tensorflow")
    transformation = theirs.get_random_transformation(tf.constant(images))
    transformation["layer_idxes"] = tf.constant(indices)
    expected = theirs.transform_images(tf.constant(images), transformation).numpy()
    out = ours.transform_images(images, transformation).numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-3)
    assert list(ours.OPERATIONS) == list(theirs._AUGMENT_LAYERS)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_the_shear_operation_shears_as_keras_random_shear(keras):
    shear = layers.RandAugment(factor=(0.3, 0.3), seed=1)._operations[0]
    batch = np.repeat(IMAGES[:1], 12, axis=0)
    out = shear(batch).numpy()
    theirs = keras.layers.RandomShear(x_factor=0.3, y_factor=0.3)
    turned = [
        keras.ops.convert_to_numpy(
            theirs.transform_images(
                keras.ops.convert_to_tensor(batch[:1]),
                {"shear_factor": np.full((1, 2), s, "float32"), "input_shape": batch[:1].shape},
            )
        )[0]
        for s in (0.3, -0.3)
    ]
    signs = [
        next(i for i, t in enumerate(turned) if np.allclose(image, t, atol=1e-3)) for image in out
    ]
    assert 0 < sum(signs) < len(signs)  # both directions, a coin flip per image


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_no_operations_leave_images_as_keras_does(keras):
    for name, kwargs in (("RandAugment", {"num_ops": 0}), ("AugMix", {"chain_depth": 0})):
        expected = keras.ops.convert_to_numpy(getattr(keras.layers, name)(**kwargs)(IMAGES))
        np.testing.assert_allclose(expected, IMAGES, rtol=1e-6)
        out = getattr(layers, name)(**kwargs, seed=1)(IMAGES).numpy()
        np.testing.assert_allclose(out, IMAGES, rtol=1e-6)


CONFIGS = [
    ("AugMix", {}),
    (
        "AugMix",
        {
            "value_range": (0, 1),
            "num_chains": 2,
            "chain_depth": 4,
            "factor": (0.1, 0.4),
            "alpha": 0.5,
            "all_ops": False,
            "interpolation": "nearest",
            "seed": 3,
        },
    ),
    ("RandAugment", {}),
    ("RandAugment", {"num_ops": 3, "factor": 0.8, "seed": 2, "data_format": "channels_first"}),
]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("name, kwargs", CONFIGS)
def test_configs_match_keras_both_ways(keras, name, kwargs):
    ours, theirs = getattr(layers, name)(**kwargs), getattr(keras.layers, name)(**kwargs)
    assert ours.get_config().keys() == theirs.get_config().keys()
    assert comparable(ours.get_config()) == comparable(theirs.get_config())
    rebuilt = getattr(layers, name).from_config(theirs.get_config())
    assert comparable(rebuilt.get_config()) == comparable(theirs.get_config())
    back = getattr(keras.layers, name).from_config(ours.get_config())
    assert comparable(back.get_config()) == comparable(ours.get_config())


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("name, kwargs", CONFIGS[1::2])
def test_keras_files_both_ways(name, kwargs, tmp_path):
    images = _layout(IMAGES, kwargs.get("data_format", "channels_last"))
    assert_keras_files_both_ways(name, kwargs, images, tmp_path)


@pytest.mark.parametrize("name", POLICIES)
def test_inference_identity_range_shapes_and_seeds(name):
    cls, kwargs = getattr(layers, name), POLICIES[name]
    layer = cls(**kwargs, seed=4)
    np.testing.assert_array_equal(layer(IMAGES, training=False).numpy(), IMAGES)
    outs = [layer(IMAGES).numpy() for _ in range(4)]
    assert all(o.shape == IMAGES.shape and o.min() >= 0 and o.max() <= 255 for o in outs)
    assert sum(not np.allclose(o, IMAGES) for o in outs) >= 3  # most calls change images
    again = cls(**kwargs, seed=4)
    for o in outs:
        np.testing.assert_array_equal(again(IMAGES).numpy(), o)
    assert layer(IMAGES[0]).shape == IMAGES[0].shape
    numkeras.utils.set_random_seed(7)
    a = cls(**kwargs)(IMAGES).numpy()
    numkeras.utils.set_random_seed(7)
    np.testing.assert_array_equal(cls(**kwargs)(IMAGES).numpy(), a)


def test_augmix_draws_follow_their_definitions():
    layer = layers.AugMix(num_chains=4, chain_depth=2, all_ops=False, seed=1)
    depths = []
    for _ in range(50):
        t = layer.get_random_transformation(IMAGES)
        np.testing.assert_allclose(t["chain_mixing_weights"].sum(), 1, rtol=1e-5)
        assert np.all(t["chain_mixing_weights"] >= 0) and 0 <= t["weight_sample"] <= 1
        assert len(t["chain_transforms"]) == 4
        for chain in t["chain_transforms"]:
            assert {s["layer_name"] for s in chain} <= set(layers.AugMix.OPERATIONS)
            depths.append(len(chain))
    assert set(depths) == {0, 1, 2}  # steps skipped with probability 1 / 8
    assert layer.get_random_transformation(IMAGES, training=False) is None


def test_randaugment_picks_every_operation():
    layer = layers.RandAugment(num_ops=3, seed=2)
    picks = np.concatenate(
        [layer.get_random_transformation(IMAGES)["layer_idxes"] for _ in range(60)]
    )
    assert set(picks.tolist()) == set(range(11))


def test_bad_arguments():
    with pytest.raises(ValueError, match="factor"):
        layers.AugMix(factor=1.5)
    with pytest.raises(ValueError, match="value_range"):
        layers.RandAugment(value_range=255)
