"""`numkeras.utils.bounding_boxes` against real Keras 3 on fixed boxes, and its gradients."""

import numpy as np
import pytest

from numkeras.utils import bounding_boxes as bb
from tests.engine.gradcheck import check_grad

FORMATS = [
    "xyxy",
    "yxyx",
    "xywh",
    "center_xywh",
    "center_yxhw",
    "rel_xyxy",
    "rel_yxyx",
    "rel_xywh",
    "rel_center_xywh",
]
RNG = np.random.default_rng(0)
TOP_LEFT = RNG.uniform(-10, 70, (2, 5, 2))
BOXES = np.concatenate([TOP_LEFT, TOP_LEFT + RNG.uniform(1, 30, (2, 5, 2))], -1)
BOXES = BOXES.astype("float32")  # xyxy: x1 < x2, y1 < y2
BOXES[0, 4] = -1.0  # a padding box


def np_(x):
    return np.asarray(x.numpy() if hasattr(x, "numpy") else x)


def k_np(keras, x):
    if isinstance(x, dict):
        return {k: k_np(keras, v) for k, v in x.items()}
    return keras.ops.convert_to_numpy(x)


@pytest.mark.parametrize("source", FORMATS)
@pytest.mark.parametrize("target", FORMATS)
def test_convert_format_matches_keras(keras, source, target):
    kb = keras.utils.bounding_boxes
    ours = bb.convert_format(BOXES, source, target, height=80, width=120)
    theirs = kb.convert_format(BOXES.copy(), source, target, height=80, width=120)
    assert ours.dtype == "float32" and ours.shape == BOXES.shape
    np.testing.assert_allclose(np_(ours), k_np(keras, theirs), rtol=1e-6, atol=1e-5)


def test_convert_format_dicts_dtypes_and_errors(keras):
    kb = keras.utils.bounding_boxes
    boxes = {"boxes": BOXES[0].astype("int32"), "labels": np.arange(5)}
    ours = bb.convert_format(dict(boxes), "XYXY", "center_yxhw", dtype="float64")
    theirs = kb.convert_format(dict(boxes), "XYXY", "center_yxhw", dtype="float64")
    assert ours["boxes"].dtype == "float64"
    np.testing.assert_allclose(np_(ours["boxes"]), k_np(keras, theirs["boxes"]))
    np.testing.assert_array_equal(np_(ours["labels"]), boxes["labels"])
    for call in (bb.convert_format, kb.convert_format):
        with pytest.raises(ValueError, match="last dimension of 4"):
            call(np.zeros((3, 5)), "xyxy", "xywh")
        with pytest.raises(ValueError, match="Invalid source or target format"):
            call(BOXES, "xyxy", "corners")
        with pytest.raises(ValueError, match="must receive `height` and `width`"):
            call(BOXES, "xyxy", "rel_xyxy", height=3)


@pytest.mark.parametrize("fmt, size", [("xyxy", (60, 70)), ("rel_xyxy", (None, None))])
def test_clip_to_image_size_matches_keras(keras, fmt, size):
    boxes = BOXES if fmt == "xyxy" else BOXES / 60
    data = {"boxes": boxes, "labels": np.array([[1, 2, 3, 4, 5], [6, 7, 8, 9, 0]])}
    ours = bb.clip_to_image_size(data, *size, bounding_box_format=fmt)
    theirs = k_np(keras, keras.utils.bounding_boxes.clip_to_image_size(dict(data), *size, fmt))
    np.testing.assert_allclose(np_(ours["boxes"]), theirs["boxes"], rtol=1e-6)
    np.testing.assert_array_equal(np_(ours["labels"]), theirs["labels"])
    assert (np_(ours["labels"]) == -1).any()  # some box was cut to nothing
    with pytest.raises(NotImplementedError):
        bb.clip_to_image_size(data, 3, 3, "xywh")
    with pytest.raises(ValueError, match="`height` and `width` must be set"):
        bb.clip_to_image_size(data, bounding_box_format="xyxy")


def test_affine_transform_matches_keras(keras):
    params = [
        np.array(v, "float32")
        for v in ([30.0, -75.0], [0.1, -0.2], [0.05, 0.3], [1.2, 0.7], [10.0, -20.0], [5.0, 0.0])
    ]
    kw = {"height": 60, "width": 90}
    ours = bb.affine_transform(BOXES, *params, **kw)
    theirs = keras.utils.bounding_boxes.affine_transform(BOXES.copy(), *params, **kw)
    np.testing.assert_allclose(np_(ours), k_np(keras, theirs), rtol=1e-5, atol=1e-3)
    centre = {"center_x": np.array([0.2, 0.7]), "center_y": np.array([0.9, 0.1])}
    ours = bb.affine_transform(BOXES, *params, **kw, **centre)
    theirs = keras.utils.bounding_boxes.affine_transform(BOXES.copy(), *params, **kw, **centre)
    np.testing.assert_allclose(np_(ours), k_np(keras, theirs), rtol=1e-5, atol=1e-3)
    # one set of boxes, one set of parameters: the batch's first
    one = bb.affine_transform(BOXES[1], *(p[1:] for p in params), **kw, center_x=0.7, center_y=0.1)
    np.testing.assert_allclose(np_(one), np_(ours)[1], rtol=1e-6)
    # the identity leaves boxes alone
    zero, ones = np.zeros(2, "float32"), np.ones(2, "float32")
    same = bb.affine_transform(BOXES, zero, zero, zero, ones, zero, zero, **kw)
    np.testing.assert_allclose(np_(same), BOXES, atol=1e-4)
    with pytest.raises(NotImplementedError):
        bb.affine_transform(BOXES, *params, **kw, bounding_box_format="yxyx")


def test_crop_and_pad_match_keras(keras):
    kb = keras.utils.bounding_boxes
    np.testing.assert_allclose(
        np_(bb.crop(BOXES, 10, 20, 40, 30)), k_np(keras, kb.crop(BOXES.copy(), 10, 20, 40, 30))
    )
    np.testing.assert_allclose(
        np_(bb.pad(BOXES, 7, -3, 100, 100)), k_np(keras, kb.pad(BOXES.copy(), 7, -3, 100, 100))
    )
    for fn in (bb.crop, bb.pad):
        with pytest.raises(NotImplementedError):
            fn(BOXES, 1, 1, 5, 5, bounding_box_format="xywh")


ANCHORS = BOXES[1] + 20


@pytest.mark.parametrize("encoding", ["center_yxhw", "center_xywh"])
@pytest.mark.parametrize("variance", [None, [0.1, 0.1, 0.2, 0.2]])
@pytest.mark.parametrize("boxes", [ANCHORS[::-1] + 3, np.stack([ANCHORS + 1, ANCHORS * 1.5])])
def test_encode_and_decode_deltas_match_keras(keras, encoding, variance, boxes):
    kb = keras.utils.bounding_boxes
    args = (ANCHORS, boxes, "xyxy", "xywh")
    kw = {"variance": variance}
    ours = bb.encode_box_to_deltas(*args, encoding_format=encoding, **kw)
    theirs = kb.encode_box_to_deltas(*args, encoding_format=encoding, **kw)
    np.testing.assert_allclose(np_(ours), k_np(keras, theirs), rtol=1e-5, atol=1e-6)
    back = bb.decode_deltas_to_boxes(ANCHORS, ours, "xyxy", "xywh", encoding, **kw)
    kback = kb.decode_deltas_to_boxes(ANCHORS, theirs, "xyxy", "xywh", encoding, **kw)
    np.testing.assert_allclose(np_(back), k_np(keras, kback), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(np_(back), boxes, rtol=1e-5, atol=1e-4)  # the round trip


def test_deltas_relative_formats_levels_and_errors(keras):
    kb = keras.utils.bounding_boxes
    rel = ANCHORS / 100
    kw = {"image_shape": (100, 100, 3)}
    ours = bb.encode_box_to_deltas(ANCHORS, rel + 0.01, "xyxy", "rel_xyxy", **kw)
    theirs = kb.encode_box_to_deltas(ANCHORS, rel + 0.01, "xyxy", "rel_xyxy", **kw)
    np.testing.assert_allclose(np_(ours), k_np(keras, theirs), rtol=1e-5, atol=1e-6)
    levels = {"P3": ANCHORS, "P4": ANCHORS * 2}
    deltas = {"P3": np.full((5, 4), 0.1), "P4": np.full((5, 4), -0.2)}
    ours = bb.decode_deltas_to_boxes(levels, deltas, "xyxy", "xyxy")
    theirs = kb.decode_deltas_to_boxes(
        levels, {k: keras.ops.convert_to_tensor(v) for k, v in deltas.items()}, "xyxy", "xyxy"
    )
    assert ours.keys() == theirs.keys()
    for key in ours:
        np.testing.assert_allclose(np_(ours[key]), k_np(keras, theirs[key]), rtol=1e-5)
    for lib in (bb, kb):
        with pytest.raises(ValueError, match="`variance` must be length 4"):
            lib.encode_box_to_deltas(ANCHORS, ANCHORS, "xyxy", "xyxy", variance=[1, 2])
        with pytest.raises(ValueError, match="`encoding_format` should be one of"):
            lib.encode_box_to_deltas(ANCHORS, ANCHORS, "xyxy", "xyxy", "xyxy")
        with pytest.raises(ValueError, match="`encoded_format` should be"):
            lib.decode_deltas_to_boxes(ANCHORS, ANCHORS, "xyxy", "xyxy", "xyxy")


@pytest.mark.parametrize("fmt", ["xyxy", "yxyx", "center_xywh", "rel_xyxy"])
@pytest.mark.parametrize("masking", [False, True])
@pytest.mark.parametrize("ranks", [(3, 3), (2, 3), (3, 2), (2, 2)])
def test_compute_iou_matches_keras(keras, fmt, masking, ranks):
    boxes = np.asarray(bb.convert_format(BOXES, "xyxy", fmt, 100, 100))
    boxes1 = boxes if ranks[0] == 3 else boxes[0]
    boxes2 = (boxes[:, :3] if ranks[1] == 3 else boxes[1, :3]) + 2
    if ranks[0] != ranks[1]:
        masking = False  # Keras's mask transposes boxes2 by boxes1's rank: fails there
    kw = {"use_masking": masking, "mask_val": -7, "image_shape": (100, 100, 3)}
    ours = bb.compute_iou(boxes1, boxes2, fmt, **kw)
    theirs = keras.utils.bounding_boxes.compute_iou(boxes1, boxes2, fmt, **kw)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(np_(ours), k_np(keras, theirs), rtol=1e-5, atol=1e-6)


def test_compute_iou_known_values_and_errors(keras):
    a = np.array([[0.0, 0, 2, 2]])
    b = np.array([[1.0, 1, 3, 3], [0, 0, 2, 2], [5, 5, 6, 6]])
    np.testing.assert_allclose(np_(bb.compute_iou(a, b, "xyxy"))[0], [1 / 7, 1, 0], atol=1e-6)
    for lib in (bb, keras.utils.bounding_boxes):
        with pytest.raises(ValueError, match="expects boxes1 to be batched"):
            lib.compute_iou(np.zeros(4), b, "xyxy")
        with pytest.raises(ValueError, match="expects boxes2 to be batched"):
            lib.compute_iou(a, np.zeros((1, 1, 1, 4)), "xyxy")
        with pytest.raises(ValueError, match="`image_shape` argument must be provided"):
            lib.compute_iou(a, b, "rel_xyxy")


@pytest.mark.parametrize("fmt", ["xyxy", "xywh", "center_yxhw"])
def test_compute_ciou_matches_keras(keras, fmt):
    boxes = np.asarray(bb.convert_format(BOXES, "xyxy", fmt))
    other = np.asarray(bb.convert_format(BOXES[::-1] + 4, "xyxy", fmt))
    ours = bb.compute_ciou(boxes, other, fmt)
    theirs = keras.utils.bounding_boxes.compute_ciou(boxes, other, fmt)
    assert ours.shape == (2, 5)
    np.testing.assert_allclose(np_(ours), k_np(keras, theirs), rtol=1e-5, atol=1e-6)
    same = np_(bb.compute_ciou(boxes[1], boxes[1], fmt))
    np.testing.assert_allclose(same, 1.0, atol=1e-5)  # a box with itself: IoU 1, no penalty
    with pytest.raises(ValueError, match="`image_shape` argument must be provided"):
        bb.compute_ciou(boxes, other, "rel_xyxy")


def test_iou_ciou_and_deltas_gradients_match_finite_differences():
    boxes = BOXES[1].astype("float64") + [0, 0, 5, 5]
    target = boxes[::-1] + 1.5
    check_grad(lambda b: bb.compute_ciou(b, target, "xyxy"), boxes)
    check_grad(lambda b: bb.compute_iou(b, target, "center_xywh"), boxes + [20, 20, 0, 0])
    check_grad(lambda b: bb.encode_box_to_deltas(target, b, "xyxy", "xywh"), boxes)
    check_grad(lambda d: bb.decode_deltas_to_boxes(target, d, "xyxy", "yxyx"), boxes / 100)
