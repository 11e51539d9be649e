"""`numkeras.visualization` against real Keras 3: drawn arrays pixel for pixel (Keras draws
boxes with OpenCV, the oracle here) and the galleries' saved PNGs."""

import numpy as np
import pytest

from numkeras import visualization as viz

RNG = np.random.default_rng(0)
IMAGES = (RNG.random((5, 16, 20, 3)) * 255).astype("float32")
MASKS = RNG.integers(-1, 4, (5, 16, 20, 1)).astype("int32")


@pytest.fixture(scope="module")
def cv2():
    return pytest.importorskip("cv2")  # Keras's draw_bounding_boxes needs OpenCV


def random_boxes(rng, n=4):
    return {
        "boxes": rng.uniform(-10, 40, (2, n, 4)).astype("float32"),
        "labels": rng.integers(-1, 3, (2, n)),
    }


@pytest.mark.parametrize("thickness", [1, 2, 3, 4, 5, 8])
def test_box_outlines_match_keras_pixel_for_pixel(keras, cv2, thickness):
    rng = np.random.default_rng(thickness)
    for _ in range(10):
        height, width = rng.integers(5, 30, 2)
        images = (rng.random((2, height, width, 3)) * 255).astype("float32")
        boxes = random_boxes(rng)
        kw = {"line_thickness": thickness, "color": (10, 200, 30)}
        ours = viz.draw_bounding_boxes(images, dict(boxes), "xyxy", **kw)
        theirs = keras.visualization.draw_bounding_boxes(images, dict(boxes), "xyxy", **kw)
        assert ours.dtype == np.uint8 and ours.shape == images.shape
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("fmt", ["rel_xywh", "center_yxhw"])
@pytest.mark.parametrize("scale", [1.0, 255.0])
def test_box_formats_and_pixel_ranges_match_keras(keras, cv2, fmt, scale):
    from numkeras.utils.bounding_boxes import convert_format

    boxes = random_boxes(np.random.default_rng(1))
    boxes["boxes"] = np.asarray(convert_format(boxes["boxes"], "xyxy", fmt, 16, 20))
    images = IMAGES[:2] / 255 * scale  # [0, 1] floats are scaled to [0, 255]
    ours = viz.draw_bounding_boxes(images, dict(boxes), fmt)
    theirs = keras.visualization.draw_bounding_boxes(images, dict(boxes), fmt)
    np.testing.assert_array_equal(ours, theirs)


def test_labels_are_written_above_boxes_or_inside_them():
    pytest.importorskip("PIL")
    images = np.zeros((1, 80, 80, 3), "uint8")
    boxes = {
        "boxes": np.array([[[10, 50, 70, 75], [5, 5, 30, 30]]]),
        "labels": np.array([[1, 2]]),
        "confidences": np.array([[0.9, 0.5]]),
    }
    plain = viz.draw_bounding_boxes(images, boxes, "xyxy", line_thickness=1)
    named = viz.draw_bounding_boxes(images, boxes, "xyxy", class_mapping={1: "cat", 2: "dog"})
    text = ((named != 0).any(-1) & ~(plain != 0).any(-1))[0]
    rows = np.nonzero(text.any(1))[0]
    # "cat | 0.90" above the first box (its top is at 50); "dog | 0.50" inside the second
    assert text[:50, 10:].any() and text[:49].any() and rows.max() > 30
    assert text[30:42, 8:30].any()


def test_padding_boxes_are_skipped_and_channels_first_agrees():
    boxes = {"boxes": np.array([[[2, 2, 9, 9], [0, 0, 15, 15]]]), "labels": np.array([[0, -1]])}
    last = viz.draw_bounding_boxes(IMAGES[:1], boxes, "xyxy", color=(255, 0, 0))
    assert last[0, 0, 0].tolist() == IMAGES[0, 0, 0].astype("uint8").tolist()  # -1: not drawn
    assert last[0, 2, 5].tolist() == [255, 0, 0]
    first = viz.draw_bounding_boxes(
        IMAGES[:1].transpose(0, 3, 1, 2),
        boxes,
        "xyxy",
        color=(255, 0, 0),
        data_format="channels_first",
    )
    np.testing.assert_array_equal(first.transpose(0, 2, 3, 1), last)


def test_draw_bounding_boxes_errors():
    boxes = {"boxes": np.zeros((1, 1, 4)), "labels": np.zeros((1, 1))}
    with pytest.raises(ValueError, match="must be batched 4D"):
        viz.draw_bounding_boxes(IMAGES[0], boxes, "xyxy")
    with pytest.raises(TypeError, match="should be a dict"):
        viz.draw_bounding_boxes(IMAGES, [boxes], "xyxy")
    with pytest.raises(ValueError, match="'boxes' and 'labels'"):
        viz.draw_bounding_boxes(IMAGES, {"boxes": boxes["boxes"]}, "xyxy")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"num_classes": 4},
        {"num_classes": 5, "blend": False},
        {"num_classes": 4, "alpha": 0.3, "ignore_index": 2},
        {"num_classes": 4, "color_mapping": {i: (i, 60 * i, 50) for i in range(4)}},
    ],
)
def test_segmentation_masks_match_keras(keras, kwargs):
    ours = viz.draw_segmentation_masks(IMAGES, MASKS, **kwargs)
    theirs = keras.ops.convert_to_numpy(
        keras.visualization.draw_segmentation_masks(IMAGES, MASKS, **kwargs)
    )
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)
    first = viz.draw_segmentation_masks(
        IMAGES.transpose(0, 3, 1, 2),
        MASKS.transpose(0, 3, 1, 2),
        data_format="channels_first",
        **kwargs,
    )
    np.testing.assert_array_equal(first, ours)  # channels last out, as Keras


def test_segmentation_masks_defaults_and_errors():
    out = viz.draw_segmentation_masks(IMAGES, MASKS[..., 0])  # (B, H, W) masks too
    top = MASKS[..., 0] == MASKS.max()
    # the default class count is the mask's maximum (as Keras): the top class is not painted
    assert np.abs(out[top] - IMAGES[top]).max() <= 1
    painted = (MASKS[..., 0] == 1) & (np.abs(out - IMAGES) > 1).any(-1)
    assert painted.sum() > 0.9 * (MASKS == 1).sum()
    with pytest.raises(TypeError, match="must be in integer dtype"):
        viz.draw_segmentation_masks(IMAGES, MASKS.astype("float32"))
    with pytest.raises(ValueError, match="must be batched 4D"):
        viz.draw_segmentation_masks(IMAGES[0], MASKS[0])


def saved(tmp_path, name, plot, *args, **kwargs):
    import matplotlib.image

    path = str(tmp_path / f"{name}.png")
    plot(*args, path=path, **kwargs)
    return matplotlib.image.imread(path)


LABELS = {"y_true": np.array([0, 1, 2, 0, 1]), "y_pred": np.array([1, 1, 2, 0, 0])}
BOXES = {"boxes": np.array([[[2, 2, 10, 10], [5, 1, 18, 14]]] * 5, "float32")}
BOXES["labels"] = np.array([[0, 1]] * 5)
NAMED = {"label_map": {0: "cat", 1: "dog"}, "value_range": (0, 1)}
ONE_ROW = {"rows": 1, "cols": 2, "line_thickness": 1}


@pytest.mark.parametrize(
    "name, args, kwargs",
    [
        ("plot_image_gallery", (IMAGES,), {}),
        ("plot_image_gallery", (IMAGES / 255,), {**LABELS, **NAMED, "rows": 2, "cols": 2}),
        ("plot_bounding_box_gallery", (IMAGES, "xyxy"), {"y_true": BOXES, "legend": True}),
        ("plot_bounding_box_gallery", (IMAGES, "xyxy"), {"y_pred": BOXES, **ONE_ROW}),
        ("plot_segmentation_mask_gallery", (IMAGES, 4), {"y_true": MASKS, "y_pred": MASKS}),
        ("plot_segmentation_mask_gallery", (IMAGES[:2], 5), {"y_pred": MASKS[:2], "alpha": 0.4}),
    ],
)
def test_galleries_save_the_same_pictures_as_keras(keras, tmp_path, name, args, kwargs):
    pytest.importorskip("matplotlib")
    if name == "plot_bounding_box_gallery":
        pytest.importorskip("cv2")
    import matplotlib

    matplotlib.use("Agg")
    ours = saved(tmp_path, "ours", getattr(viz, name), *args, **kwargs)
    theirs = saved(tmp_path, "theirs", getattr(keras.visualization, name), *args, **kwargs)
    assert ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)


def test_gallery_returns_its_figure_and_checks_arguments():
    pytest.importorskip("matplotlib")
    fig = viz.plot_image_gallery(IMAGES, rows=2, cols=2)
    assert len([ax for ax in fig.axes if ax.images]) == 4
    fig = viz.plot_image_gallery(IMAGES, rows=2, cols=4)  # more cells than images: left empty
    assert len([ax for ax in fig.axes if ax.images]) == 5
    assert fig._repr_png_().startswith(b"\x89PNG")
    with pytest.raises(ValueError, match="either `path` to be set, or `show`"):
        viz.plot_image_gallery(IMAGES, path="x.png", show=True)
    with pytest.raises(ValueError, match="a `label_map` must also be provided"):
        viz.plot_image_gallery(IMAGES, y_true=LABELS["y_true"])
    with pytest.raises(ValueError, match="Only pass `legend` OR `legend_handles`"):
        viz.plot_bounding_box_gallery(IMAGES, "xyxy", legend=True, legend_handles=[1])
