"""RandomShear, RandomPerspective, RandomElasticTransform, RandomErasing, CutMix, MixUp and
MaxNumBoundingBoxes: Keras 3's dict-aware image layers.

Random draws cannot match Keras's, so the transforms are compared with real Keras on the
same explicit transformation dicts (drawn by either library), and the draws are checked by
their properties; configs and `.keras` files are compared both ways.
"""

import numpy as np
import pytest

import numkeras
from numkeras import layers
from tests.layers.keras_parity import assert_keras_files_both_ways

# Keras's torch tensors warn inside Keras (NumPy 2's __array_wrap__): Keras's to fix
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
RNG = np.random.default_rng(0)
IMAGES = (RNG.random((3, 9, 9, 2)) * 255).astype("float32")
BIG = (RNG.random((8, 9, 9, 2)) * 255).astype("float32")  # enough images to mix for sure
MASKS = RNG.integers(0, 4, (3, 9, 9, 1)).astype("uint8")
LABELS = np.eye(4, dtype="float32")[[0, 2, 3]]
BOXES = {
    "boxes": np.array(
        [
            [[1, 1, 4, 5], [0, 0, 8, 8], [2, 6, 3, 7]],
            [[2, 3, 6, 7], [5, 5, 7, 7], [0, 1, 2, 2]],
            [[0, 0, 8, 6], [7, 6, 8, 8], [3, 3, 5, 4]],
        ],
        "float32",
    ),
    "labels": np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]], "int32"),
}
# a wide random range for each layer (keyword arguments)
WIDE = {
    "RandomShear": {"x_factor": 0.5, "y_factor": (0.1, 0.4)},
    "RandomPerspective": {"scale": 0.8},
    "RandomElasticTransform": {"scale": (0.5, 1.0)},
    "RandomErasing": {"factor": (0.9, 1.0), "scale": (0.2, 0.5)},
    "CutMix": {"factor": 1.0},
    "MixUp": {"alpha": 0.8},
}
RANDOM = list(WIDE)


def make(name, **kwargs):
    return getattr(layers, name)(**{**WIDE.get(name, {}), **kwargs})


def to_keras(keras, transformation):
    """A transformation dict with Keras tensors (shapes stay tuples)."""
    return {
        k: v if k == "input_shape" else keras.ops.convert_to_tensor(np.asarray(v))
        for k, v in transformation.items()
    }


def to_numpy(keras, value):
    if isinstance(value, dict):
        return {k: to_numpy(keras, v) for k, v in value.items()}
    if isinstance(value, tuple) or (hasattr(value, "__len__") and not hasattr(value, "shape")):
        return value
    return np.asarray(keras.ops.convert_to_numpy(value))


def both_draws(keras, theirs, ours):
    """A transformation drawn by Keras's layer and one drawn by ours."""
    return to_numpy(keras, theirs.get_random_transformation(IMAGES)), (
        ours.get_random_transformation(IMAGES)
    )


def np_(x):
    return np.asarray(x.numpy() if hasattr(x, "numpy") else x)


# RandomShear


SHEARS = np.array([[0.3, -0.2], [-0.4, 0.1], [0.0, 0.5]], "float32")


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("fill_mode", ["reflect", "wrap", "constant", "nearest"])
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_shear_transforms_images_and_masks_as_keras(keras, data_format, fill_mode, interpolation):
    images = IMAGES if data_format == "channels_last" else IMAGES.transpose(0, 3, 1, 2)
    masks = MASKS if data_format == "channels_last" else MASKS.transpose(0, 3, 1, 2)
    kw = {"fill_mode": fill_mode, "interpolation": interpolation, "fill_value": 3.0}
    ours = layers.RandomShear(0.5, 0.5, data_format=data_format, **kw)
    theirs = keras.layers.RandomShear(0.5, 0.5, data_format=data_format, **kw)
    t = {"shear_factor": SHEARS, "input_shape": images.shape}
    expected = to_numpy(keras, theirs.transform_images(images, to_keras(keras, t)))
    np.testing.assert_allclose(np_(ours.transform_images(images, t)), expected, atol=1e-3)
    got = np_(ours.transform_segmentation_masks(masks, t))
    expected = to_numpy(keras, theirs.transform_segmentation_masks(masks, to_keras(keras, t)))
    assert got.dtype == expected.dtype == np.uint8
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("fmt", ["xyxy", "center_xywh", "rel_yxyx"])
def test_shear_moves_bounding_boxes_as_keras(keras, fmt):
    """Keras shears boxes in relative coordinates: the same as pixels on a square image."""
    from numkeras.utils.bounding_boxes import convert_format

    boxes = {**BOXES, "boxes": np_(convert_format(BOXES["boxes"], "xyxy", fmt, 9, 9))}
    t = {"shear_factor": SHEARS * 3, "input_shape": IMAGES.shape}
    ours = layers.RandomShear(bounding_box_format=fmt).transform_bounding_boxes(dict(boxes), t)
    theirs = keras.layers.RandomShear(bounding_box_format=fmt).transform_bounding_boxes(
        to_keras(keras, boxes), to_keras(keras, t)
    )
    np.testing.assert_allclose(np_(ours["boxes"]), to_numpy(keras, theirs["boxes"]), atol=1e-5)
    np.testing.assert_array_equal(np_(ours["labels"]), to_numpy(keras, theirs["labels"]))
    assert (np_(ours["labels"]) == -1).any()  # a box sheared out of the image


def test_shear_draws_stay_in_range_with_random_signs():
    layer = layers.RandomShear(x_factor=(0.2, 0.3), y_factor=0.4, seed=0)
    shear = layer.get_random_transformation(np.zeros((4000, 2, 2, 1)))["shear_factor"]
    sx, sy = np.abs(shear[:, 0]), shear[:, 1]
    assert sx.min() >= 0.2 - 1e-6 and sx.max() <= 0.3 + 1e-6
    assert np.abs(sy).max() <= 0.4 + 1e-6 and sy.min() < -0.35 and sy.max() > 0.35
    assert 0.45 < np.mean(shear[:, 0] > 0) < 0.55  # the sign is a fair coin
    assert layer.get_random_transformation(IMAGES, training=False) is None


# RandomPerspective


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_perspective_warps_images_and_boxes_as_keras(keras, data_format, interpolation):
    images = IMAGES if data_format == "channels_last" else IMAGES.transpose(0, 3, 1, 2)
    kw = {"interpolation": interpolation, "fill_value": 2.0, "data_format": data_format}
    theirs = keras.layers.RandomPerspective(bounding_box_format="xyxy", **kw)
    ours = layers.RandomPerspective(bounding_box_format="xyxy", **kw)
    t = to_numpy(keras, theirs.get_random_transformation(images))
    t["apply_perspective"] = np.array([True, False, True])
    expected = to_numpy(keras, theirs.transform_images(images, to_keras(keras, t)))
    np.testing.assert_allclose(np_(ours.transform_images(images, t)), expected, atol=1e-3)
    np.testing.assert_array_equal(np_(ours.transform_images(images, t))[1], images[1])
    got = ours.transform_bounding_boxes(dict(BOXES), t)
    want = theirs.transform_bounding_boxes(to_keras(keras, BOXES), to_keras(keras, t))
    np.testing.assert_allclose(np_(got["boxes"]), to_numpy(keras, want["boxes"]), atol=1e-4)
    np.testing.assert_array_equal(np_(got["labels"]), to_numpy(keras, want["labels"]))
    # Keras transforms our draws the same way too
    t = ours.get_random_transformation(images)
    expected = to_numpy(keras, theirs.transform_images(images, to_keras(keras, t)))
    np.testing.assert_allclose(np_(ours.transform_images(images, t)), expected, atol=1e-3)


def test_perspective_draws():
    layer = layers.RandomPerspective(factor=(0.3, 0.3), scale=0.4, seed=0)
    t = layer.get_random_transformation(np.zeros((3000, 5, 7, 1)))
    assert 0.27 < t["apply_perspective"].mean() < 0.33
    start, end = t["start_points"], t["end_points"]
    np.testing.assert_array_equal(start[0], [[0, 0], [6, 0], [0, 4], [6, 4]])
    shift = (end - start)[:, 1:] / start[:, 1:].clip(1e-9)  # the top-left corner stays put
    shift = shift[start[:, 1:] > 0]
    assert shift.min() >= -0.2 - 1e-6 and shift.max() <= 0.2 + 1e-6 and shift.max() > 0.19
    np.testing.assert_array_equal(end[:, 0], 0)


# RandomElasticTransform


def test_elastic_moves_masks_with_their_images_and_clips():
    """One displacement field for an image and its mask: read with nearest interpolation,
    a mask equal to the image stays equal to it."""
    mask = RNG.integers(0, 5, (4, 12, 12, 1)).astype("float32")
    layer = layers.RandomElasticTransform(
        factor=(1.0, 1.0), interpolation="nearest", value_range=(0, 3), seed=2
    )
    out = layer({"images": mask, "segmentation_masks": mask, "labels": LABELS[:1].repeat(4, 0)})
    np.testing.assert_array_equal(out["images"].numpy(), np.clip(out["segmentation_masks"], 0, 3))
    assert not np.array_equal(out["segmentation_masks"].numpy(), mask)  # moved
    assert out["images"].numpy().max() <= 3  # clipped to value_range
    np.testing.assert_array_equal(out["labels"].numpy(), LABELS[:1].repeat(4, 0))


def test_elastic_probability_and_zero_scale():
    images = IMAGES[:1].repeat(400, 0)
    layer = layers.RandomElasticTransform(factor=(0.25, 0.25), seed=1)
    moved = ~np.all(np.isclose(layer(images).numpy(), images), axis=(1, 2, 3))
    assert 0.18 < moved.mean() < 0.32
    still = layers.RandomElasticTransform(scale=0.0)
    assert still.get_random_transformation(IMAGES) is None
    np.testing.assert_array_equal(still(IMAGES).numpy(), IMAGES)


# RandomErasing and CutMix


def test_erasing_applies_keras_and_our_draws_alike(keras):
    theirs = keras.layers.RandomErasing(fill_value=7.0, scale=(0.1, 0.6))
    ours = layers.RandomErasing(fill_value=7.0, scale=(0.1, 0.6), seed=3)
    for t in both_draws(keras, theirs, ours):
        t = {**t, "apply_erasing": np.array([True, False, True])}
        expected = to_numpy(keras, theirs.transform_images(IMAGES, to_keras(keras, t)))
        np.testing.assert_array_equal(np_(ours.transform_images(IMAGES, t)), expected)


def test_erasing_patches_are_rectangles_of_the_scale():
    layer = layers.RandomErasing(factor=(1.0, 1.0), scale=(0.1, 0.1), fill_value=-5.0, seed=4)
    t = layer.get_random_transformation(np.zeros((50, 20, 30, 3)))
    masks = t["batch_masks"][..., 0]
    for mask in masks:
        rows, cols = np.nonzero(mask)
        assert mask.sum() == (np.ptp(rows) + 1) * (np.ptp(cols) + 1)  # a full rectangle
        # sides of sqrt(0.1) of the image's: about 6.3 rows and 9.5 columns
        assert 5 <= np.ptp(rows) + 1 <= 7 and 8 <= np.ptp(cols) + 1 <= 10
    assert np.all(t["apply_erasing"]) and np.all(t["fill_value"] == 0)  # -5 clipped to 0
    noise = layers.RandomErasing(value_range=(0, 1), seed=0).get_random_transformation(IMAGES)
    fill = noise["fill_value"]
    assert fill.min() == 0 and fill.max() == 1 and 0.2 < fill.mean() < 0.6  # N(0, 1) clipped


def test_cutmix_applies_keras_and_our_draws_alike(keras):
    theirs, ours = keras.layers.CutMix(), layers.CutMix(seed=5)
    for t in both_draws(keras, theirs, ours):
        expected = to_numpy(keras, theirs.transform_images(IMAGES, to_keras(keras, t)))
        np.testing.assert_array_equal(np_(ours.transform_images(IMAGES, t)), expected)
        expected = to_numpy(keras, theirs.transform_labels(LABELS, to_keras(keras, t)))
        np.testing.assert_allclose(np_(ours.transform_labels(LABELS, t)), expected, rtol=1e-6)


def test_cutmix_mixes_labels_by_the_pasted_area():
    layer = layers.CutMix(seed=6)
    out = layer({"images": IMAGES, "labels": LABELS, "segmentation_masks": MASKS})
    t = layers.CutMix(seed=6).get_random_transformation(IMAGES)
    pasted = t["batch_masks"][..., 0].mean(axis=(1, 2))
    labels = out["labels"].numpy()
    np.testing.assert_allclose(labels.sum(1), 1.0, rtol=1e-6)
    order = t["permutation_order"]
    for i in range(3):  # each image keeps its label's weight where it was not pasted over
        expected = (1 - pasted[i]) * LABELS[i] + pasted[i] * LABELS[order[i]]
        np.testing.assert_allclose(labels[i], expected, atol=0.12)  # fractional patch edges
    images, masks = out["images"].numpy(), out["segmentation_masks"].numpy()
    assert masks.shape == MASKS.shape and masks.dtype == np.uint8
    inside = t["batch_masks"][..., :1]
    np.testing.assert_array_equal(masks, np.where(inside, MASKS[order], MASKS))
    np.testing.assert_array_equal(images, np.where(t["batch_masks"], IMAGES[order], IMAGES))
    single = layers.CutMix(seed=6)(IMAGES[0])  # no batch to mix with
    np.testing.assert_array_equal(single.numpy(), IMAGES[0])


# MixUp


def test_mixup_applies_keras_and_our_draws_alike(keras):
    theirs, ours = keras.layers.MixUp(), layers.MixUp(seed=5)
    for t in both_draws(keras, theirs, ours):
        expected = to_numpy(keras, theirs.transform_images(IMAGES, to_keras(keras, t)))
        np.testing.assert_allclose(np_(ours.transform_images(IMAGES, t)), expected, rtol=1e-5)
        expected = to_numpy(keras, theirs.transform_labels(LABELS, to_keras(keras, t)))
        np.testing.assert_allclose(np_(ours.transform_labels(LABELS, t)), expected, rtol=1e-5)


def test_mixup_blends_everything_with_one_weight_per_image():
    layer = layers.MixUp(alpha=0.8, seed=2, bounding_box_format="xyxy")
    data = {"images": IMAGES, "labels": LABELS, "bounding_boxes": BOXES}
    out = layer({**data, "segmentation_masks": MASKS.astype("float32")})
    t = layers.MixUp(alpha=0.8, seed=2).get_random_transformation(IMAGES)
    w, order = t["mix_weight"], t["permutation_order"]
    np.testing.assert_allclose(out["labels"].numpy().sum(1), 1.0, rtol=1e-6)
    w4 = w[:, None, None, None]
    np.testing.assert_allclose(out["images"].numpy(), w4 * IMAGES + (1 - w4) * IMAGES[order])
    masks = out["segmentation_masks"].numpy()
    np.testing.assert_allclose(masks, w4 * MASKS + (1 - w4) * MASKS[order], rtol=1e-5)
    boxes = out["bounding_boxes"]
    np.testing.assert_array_equal(boxes["boxes"].numpy()[:, 3:], BOXES["boxes"][order])
    np.testing.assert_array_equal(boxes["labels"].numpy()[:, :3], BOXES["labels"])
    weights = layers.MixUp(alpha=0.2, seed=0).get_random_transformation(np.zeros((4000, 1, 1, 1)))
    w = weights["mix_weight"]
    assert w.min() >= 0 and w.max() <= 1 and np.mean((w < 0.1) | (w > 0.9)) > 0.5  # U-shaped
    assert sorted(weights["permutation_order"].tolist()) == list(range(4000))


# MaxNumBoundingBoxes


@pytest.mark.parametrize("max_number", [2, 5])
def test_max_num_bounding_boxes_matches_keras(keras, max_number):
    data = {"images": IMAGES, "labels": LABELS, "bounding_boxes": BOXES}
    theirs = keras.layers.MaxNumBoundingBoxes(max_number, fill_value=-3, bounding_box_format="xyxy")
    ours = layers.MaxNumBoundingBoxes(max_number, fill_value=-3, bounding_box_format="xyxy")
    got = ours({**data, "bounding_boxes": dict(BOXES)})
    want = to_numpy(keras, theirs({**data, "bounding_boxes": dict(BOXES)}))
    for key in ("boxes", "labels"):
        np.testing.assert_array_equal(got["bounding_boxes"][key], want["bounding_boxes"][key])
    assert got["bounding_boxes"]["boxes"].shape == (3, max_number, 4)
    np.testing.assert_array_equal(got["images"].numpy(), IMAGES)
    shape = {"images": (3, 9, 9, 2), "bounding_boxes": {"boxes": (3, 3, 4), "labels": (3, 3)}}
    assert ours.compute_output_shape(shape)["bounding_boxes"] == {
        "boxes": (3, max_number, 4),
        "labels": (3, max_number),
    }
    # one image's boxes (no batch axis)
    single = ours({"images": IMAGES[0], "bounding_boxes": {k: v[0] for k, v in BOXES.items()}})
    assert single["bounding_boxes"]["labels"].shape == (max_number,)


# what every layer shares


@pytest.mark.parametrize("name", RANDOM)
def test_inference_passes_images_through(name):
    layer = make(name, seed=1)
    out = layer({"images": IMAGES, "labels": LABELS, "segmentation_masks": MASKS}, training=False)
    np.testing.assert_array_equal(out["images"].numpy(), IMAGES)
    np.testing.assert_array_equal(out["labels"].numpy(), LABELS)
    np.testing.assert_array_equal(out["segmentation_masks"].numpy(), MASKS)
    assert out["images"].dtype == "float32"
    assert not np.allclose(layer(BIG).numpy(), BIG)  # a direct call augments


@pytest.mark.parametrize("name", RANDOM)
def test_seed_repeats_draws_advance_and_set_random_seed_repeats(name):
    a = make(name, seed=5)(BIG).numpy()
    layer = make(name, seed=5)
    np.testing.assert_array_equal(a, layer(BIG).numpy())
    assert not np.array_equal(a, layer(BIG).numpy())
    runs = []
    for _ in range(2):
        numkeras.utils.set_random_seed(3)
        runs.append(make(name)(BIG).numpy())
    np.testing.assert_array_equal(*runs)


@pytest.mark.parametrize("name", RANDOM)
def test_shapes_dtypes_and_single_images(name):
    layer = make(name, seed=2)
    out = layer(IMAGES.astype("uint8"))
    assert out.shape == IMAGES.shape and out.dtype == "float32"
    assert layer(IMAGES[0]).shape == IMAGES[0].shape
    first = make(name, seed=2, data_format="channels_first")(IMAGES.transpose(0, 3, 1, 2))
    assert first.shape == (3, 2, 9, 9)
    with pytest.raises(ValueError, match=rf"{name}: expected an image .*=\(9, 9\)"):
        layer(np.zeros((9, 9), "float32"))


@pytest.mark.parametrize("name", RANDOM + ["MaxNumBoundingBoxes"])
def test_boxes_without_a_format_are_refused(name):
    kwargs = {"max_number": 2} if name == "MaxNumBoundingBoxes" else {}
    with pytest.raises(ValueError, match="didn't specify a bounding box format"):
        make(name, **kwargs)({"images": IMAGES, "bounding_boxes": BOXES})


CONFIGS = [
    ("RandomShear", {"x_factor": (0.1, 0.3), "y_factor": (0.0, 0.2), "fill_mode": "constant"}),
    ("RandomShear", {"bounding_box_format": "xywh", "interpolation": "nearest", "seed": 3}),
    ("RandomPerspective", {"factor": (0.2, 0.9), "scale": 0.5, "fill_value": 1.0, "seed": 2}),
    ("RandomElasticTransform", {"factor": 0.7, "scale": (0.2, 0.4), "value_range": (0, 1)}),
    ("RandomErasing", {"factor": 0.4, "scale": 0.3, "fill_value": 2.0, "seed": 1}),
    ("RandomErasing", {"fill_value": [1, 2, 3], "data_format": "channels_first"}),
    ("CutMix", {"factor": (0.2, 0.5), "seed": 7}),
    ("MixUp", {"alpha": 0.4}),
    ("MaxNumBoundingBoxes", {"max_number": 4, "bounding_box_format": "xyxy"}),
]


@pytest.mark.parametrize("name, kwargs", CONFIGS)
def test_configs_match_keras_both_ways(keras, name, kwargs):
    ours, theirs = getattr(layers, name)(**kwargs), getattr(keras.layers, name)(**kwargs)
    mine, their_config = ours.get_config(), theirs.get_config()
    mine.pop("fill_value") if name == "MaxNumBoundingBoxes" else None  # Keras drops it
    assert mine.keys() == their_config.keys()
    for key in mine.keys() - {"name", "dtype"}:
        assert mine[key] == their_config[key], key
    clone = type(ours).from_config({**their_config, "dtype": "float32"})
    assert {**clone.get_config(), "name": 0} == {**ours.get_config(), "name": 0}
    getattr(keras.layers, name).from_config(ours.get_config())  # Keras loads ours


def test_a_shear_number_reloads_from_its_config():
    layer = layers.RandomShear(0.2, seed=1)
    clone = layers.RandomShear.from_config(layer.get_config())
    assert clone.x_factor == (-0.2, 0.2)
    np.testing.assert_array_equal(clone(IMAGES).numpy(), layers.RandomShear(0.2, seed=1)(IMAGES))
    assert (
        layers.MaxNumBoundingBoxes.from_config(
            layers.MaxNumBoundingBoxes(3, fill_value=0).get_config()
        ).fill_value
        == 0
    )


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("RandomShear", {"x_factor": (0.1, 0.3), "seed": 3}),
        ("RandomPerspective", {"seed": 1}),
        ("RandomElasticTransform", {"seed": 1}),
        ("RandomErasing", {"seed": 1}),
        ("CutMix", {"seed": 1}),
        ("MixUp", {"seed": 1}),
        ("MaxNumBoundingBoxes", {"max_number": 3}),
    ],
)
def test_keras_files_both_ways(keras, name, kwargs, tmp_path):
    assert_keras_files_both_ways(name, kwargs, IMAGES, tmp_path)


@pytest.mark.parametrize(
    "make_layer, error, message",
    [
        (lambda: layers.RandomShear(x_factor=1.5), ValueError, "input_number=1.5"),
        (lambda: layers.RandomShear(y_factor=(0.1, 0.2, 0.3)), ValueError, "y_factor="),
        (lambda: layers.RandomShear(fill_mode="mirror"), NotImplementedError, "fill_mode"),
        (lambda: layers.RandomShear(interpolation="cubic"), NotImplementedError, "cubic"),
        (lambda: layers.RandomPerspective(scale=1.5), ValueError, "scale=1.5"),
        (lambda: layers.RandomPerspective(factor=2), ValueError, r"range \[0, 1\]"),
        (lambda: layers.RandomElasticTransform(scale=(2, 3)), ValueError, "`scale`"),
        (lambda: layers.RandomElasticTransform(fill_mode="x"), NotImplementedError, "fill_mode"),
        (lambda: layers.RandomErasing(fill_value=(1, 2)), ValueError, "`fill_value`"),
        (lambda: layers.CutMix(factor=-0.5), ValueError, "`factor`"),
        (lambda: layers.RandomShear(data_format="NHWC"), ValueError, "data_format"),
    ],
)
def test_bad_arguments_raise_as_keras(keras, make_layer, error, message):
    with pytest.raises(error, match=message):
        make_layer()


@pytest.mark.parametrize("name", RANDOM)
def test_in_a_model_fit_augments_and_predict_does_not(name):
    numkeras.utils.set_random_seed(0)
    augment = make(name, seed=1)
    dense = layers.Dense(2)
    model = numkeras.Sequential([numkeras.Input((9, 9, 2)), augment, layers.Flatten(), dense])
    model.compile(optimizer="sgd", loss="mse")
    x, y = BIG / 255, np.zeros((8, 2), "float32")
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    fresh = make(name, seed=1)  # fit drew once: the layer's next draw is a fresh one's second
    fresh(x)
    np.testing.assert_array_equal(augment(x).numpy(), fresh(x).numpy())
    expected = dense(x.reshape(8, -1)).numpy()  # predict leaves the images alone
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
