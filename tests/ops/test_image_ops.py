"""ops.image against real keras.ops.image (torch backend), SciPy where Keras-torch is wrong,
and float64 gradients."""

import numpy as np
import pytest

from numkeras import ops
from tests.engine.gradcheck import check_grad, rand
from tests.ops.oracle import compare_with_keras, keras_ops

IMG = rand(2, 6, 7, 3, seed=1, low=0, high=1, dtype="float32")
ONE = IMG[0]
FIRST = np.moveaxis(IMG, -1, 1).copy()

FORWARD = [
    ("image.rgb_to_grayscale", (IMG,), {}),
    ("image.rgb_to_grayscale", (ONE,), {}),
    ("image.rgb_to_grayscale", (FIRST,), {"data_format": "channels_first"}),
    ("image.rgb_to_hsv", (IMG,), {}),
    ("image.hsv_to_rgb", (IMG,), {}),
    ("image.hsv_to_rgb", (FIRST,), {"data_format": "channels_first"}),
    ("image.pad_images", (IMG, 1, 2), {"target_height": 9, "target_width": 10}),
    (
        "image.pad_images",
        (ONE,),
        {"top_padding": 1, "bottom_padding": 2, "left_padding": 0, "right_padding": 3},
    ),
    ("image.crop_images", (IMG, 1, 2), {"target_height": 4, "target_width": 3}),
    (
        "image.crop_images",
        (FIRST,),
        {
            "top_cropping": 1,
            "bottom_cropping": 2,
            "left_cropping": 1,
            "target_width": 5,
            "data_format": "channels_first",
        },
    ),
    ("image.resize", (IMG, (9, 11)), {}),
    ("image.resize", (IMG, (3, 4)), {}),
    ("image.resize", (IMG, (3, 4)), {"antialias": True}),
    ("image.resize", (IMG, (9, 5)), {"interpolation": "nearest"}),
    ("image.resize", (IMG, (4, 4)), {"crop_to_aspect_ratio": True}),
    ("image.resize", (IMG, (4, 4)), {"pad_to_aspect_ratio": True, "fill_value": 0.5}),
    ("image.resize", (FIRST, (5, 9)), {"data_format": "channels_first"}),
    ("image.extract_patches", (IMG, 2), {}),
    ("image.extract_patches", (IMG, (3, 2)), {"strides": 1, "padding": "same"}),
    ("image.extract_patches_3d", (rand(1, 4, 4, 4, 2, dtype="float32"), 2), {}),
    ("image.map_coordinates", (IMG[0, :, :, 0], rand(2, 4, 3, low=-1, high=7)), {"order": 1}),
    ("image.ssim", (IMG, IMG[::-1] * 0.8 + 0.1), {"filter_size": 5}),
    ("image.ssim", (ONE, ONE * 0.5), {"filter_size": 3, "max_val": 2.0}),
]


@pytest.mark.parametrize("name,args,kwargs", FORWARD, ids=lambda v: v if isinstance(v, str) else "")
def test_matches_keras(name, args, kwargs):
    compare_with_keras(name, args, kwargs, atol=2e-5, rtol=1e-4)


@pytest.mark.parametrize("mode", ["constant", "nearest", "wrap", "mirror", "reflect"])
@pytest.mark.parametrize("order", [0, 1])
def test_map_coordinates_matches_scipy(mode, order):
    ndimage = pytest.importorskip("scipy.ndimage")
    coords = rand(2, 5, 4, seed=3, low=-3, high=9)
    if order == 0:  # keep away from .5 ties, where rounding conventions differ
        coords = np.round(coords) + 0.2
    expected = ndimage.map_coordinates(
        IMG[0, :, :, 1].astype("float64"),
        coords,
        order=order,
        mode={
            "mirror": "mirror",
            "reflect": "reflect",
            "wrap": "grid-wrap",
            "nearest": "nearest",
            "constant": "grid-constant",
        }[mode],
        cval=0.25,
    )
    got = ops.image.map_coordinates(IMG[0, :, :, 1].astype("float64"), coords, order, mode, 0.25)
    np.testing.assert_allclose(np.asarray(got), expected, atol=1e-6)


def test_affine_transform_matches_scipy():
    # Keras-torch's affine_transform is off (see the brief); SciPy gives the known sampling
    ndimage = pytest.importorskip("scipy.ndimage")
    transform = np.array([0.9, 0.2, 1.0, -0.1, 1.1, -0.5, 0.0, 0.0])
    got = np.asarray(ops.image.affine_transform(IMG.astype("float64"), transform))
    a = np.array([[transform[4], transform[3]], [transform[1], transform[0]]])
    for b in range(2):
        for c in range(3):
            expected = ndimage.affine_transform(
                IMG[b, :, :, c].astype("float64"),
                a,
                offset=(transform[5], transform[2]),
                order=1,
                mode="grid-constant",
                cval=0.0,
            )
            np.testing.assert_allclose(got[b, :, :, c], expected, atol=1e-6)


def test_sobel_edges_match_keras_inside_and_scipy_at_borders():
    # Keras's backends pad differently (torch: zeros; NumPy via scipy and TF: reflection);
    # numkeras reflects, so Keras-torch is the oracle inside and SciPy on the borders
    ndimage = pytest.importorskip("scipy.ndimage")
    kops = keras_ops()
    got = np.asarray(ops.image.sobel_edges(IMG))
    theirs = kops.convert_to_numpy(kops.image.sobel_edges(IMG))
    np.testing.assert_allclose(got[:, 1:-1, 1:-1], theirs[:, 1:-1, 1:-1], atol=1e-5)
    for axis in (0, 1):
        np.testing.assert_allclose(
            got[1, :, :, 2, axis], ndimage.sobel(IMG[1, :, :, 2], axis=axis), atol=1e-5
        )
    first = ops.image.sobel_edges(FIRST, data_format="channels_first")
    np.testing.assert_allclose(np.asarray(first), np.moveaxis(got, 3, 1), atol=1e-6)


def test_gaussian_blur_matches_scipy():
    # Keras-torch's gaussian_blur differs at the borders; the NumPy backend's zero-padded
    # convolution is the spec, computed here with SciPy
    signal = pytest.importorskip("scipy.signal")
    got = np.asarray(ops.image.gaussian_blur(IMG, (3, 5), (1.0, 0.7)))
    x = np.arange(3) - 1.0
    kx = np.exp(-0.5 * x**2)
    kx /= kx.sum()
    y = np.arange(5) - 2.0
    ky = np.exp(-0.5 * (y / 0.7) ** 2)
    ky /= ky.sum()
    kernel = np.outer(ky, kx)
    for b in range(2):
        for c in range(3):
            expected = signal.convolve2d(IMG[b, :, :, c], kernel, mode="same")
            np.testing.assert_allclose(got[b, :, :, c], expected, atol=1e-6)


GRAD = [
    ("rgb_to_grayscale", ops.image.rgb_to_grayscale, [rand(1, 3, 3, 3)]),
    ("rgb_to_hsv", ops.image.rgb_to_hsv, [rand(1, 2, 3, 3, low=0.1, high=0.9)]),
    ("hsv_to_rgb", ops.image.hsv_to_rgb, [rand(1, 2, 3, 3, low=0.05, high=0.95)]),
    ("pad_images", lambda x: ops.image.pad_images(x, 1, 0, 1, 2), [rand(1, 2, 3, 1)]),
    ("crop_images", lambda x: ops.image.crop_images(x, 1, 0, 1, 2), [rand(1, 4, 4, 1)]),
    ("resize", lambda x: ops.image.resize(x, (5, 2), antialias=True), [rand(1, 3, 4, 2)]),
    ("resize_bicubic", lambda x: ops.image.resize(x, (5, 6), "bicubic"), [rand(1, 3, 4, 1)]),
    ("resize_nearest", lambda x: ops.image.resize(x, (5, 2), "nearest"), [rand(1, 3, 4, 1)]),
    ("extract_patches", lambda x: ops.image.extract_patches(x, 2), [rand(1, 4, 4, 2)]),
    ("gaussian_blur", ops.image.gaussian_blur, [rand(1, 4, 4, 2)]),
    ("sobel_edges", ops.image.sobel_edges, [rand(1, 4, 4, 1)]),
    (
        "map_coordinates",
        lambda x: ops.image.map_coordinates(x, rand(2, 3, 2, seed=4, low=-1, high=3), 1, "reflect"),
        [rand(3, 3)],
    ),
    (
        "affine_transform",
        lambda x: ops.image.affine_transform(x, [1.0, 0.3, 0.5, 0.1, 0.9, -0.2, 0.0, 0.0]),
        [rand(1, 3, 4, 1)],
    ),
    (
        "ssim",
        lambda a, b: ops.image.ssim(a, b, filter_size=3),
        [rand(1, 4, 4, 1, low=0, high=1), rand(1, 4, 4, 1, seed=1, low=0, high=1)],
    ),
]


@pytest.mark.parametrize("name,fn,arrays", GRAD, ids=[g[0] for g in GRAD])
def test_gradient(name, fn, arrays):
    check_grad(fn, *arrays)


def test_errors():
    with pytest.raises(ValueError, match="rank"):
        ops.image.resize(IMG[0, 0], (2, 2))
    with pytest.raises(ValueError, match="interpolation"):
        ops.image.resize(IMG, (2, 2), interpolation="area")
    with pytest.raises(ValueError, match="exactly two"):
        ops.image.pad_images(IMG, 1, 1)
    with pytest.raises(ValueError, match="channel"):
        ops.image.rgb_to_hsv(IMG[..., :2])
    with pytest.raises(ValueError, match="fill_mode"):
        ops.image.map_coordinates(IMG[0, :, :, 0], np.zeros((2, 1)), 1, "edge")


def test_perspective_transform_matches_keras():
    start = np.array([[0, 0], [6, 0], [0, 5], [6, 5]], "float32")
    end = np.array([[1, 0], [5, 1], [0, 5], [6, 4]], "float32")
    compare_with_keras("image.perspective_transform", (IMG, start, end), {}, atol=1e-4)
    compare_with_keras(
        "image.perspective_transform",
        (IMG, start, end),
        {"interpolation": "nearest", "fill_value": 0.5},
        atol=1e-4,
    )


@pytest.mark.parametrize(
    "method,antialias", [("linear", True), ("linear", False), ("cubic", True), ("lanczos3", False)]
)
def test_scale_and_translate_matches_keras(method, antialias):
    compare_with_keras(
        "image.scale_and_translate",
        (IMG, (2, 9, 5, 3), (1.5, 0.7), (0.5, -1.0), (1, 2), method),
        {"antialias": antialias},
        atol=1e-4,
        rtol=1e-4,
    )


def test_elastic_transform_is_seeded_and_identity_without_displacement():
    a = np.asarray(ops.image.elastic_transform(IMG, seed=3))
    b = np.asarray(ops.image.elastic_transform(IMG, seed=3))
    np.testing.assert_array_equal(a, b)
    assert a.shape == IMG.shape and not np.allclose(a, IMG)
    still = ops.image.elastic_transform(IMG, alpha=0.0, sigma=1.0, seed=1)
    np.testing.assert_allclose(np.asarray(still), IMG, atol=1e-6)


def test_perspective_and_scale_gradients():
    start = np.array([[0, 0], [3, 0], [0, 2], [3, 2]], "float64")
    end = np.array([[0.5, 0], [3, 0.5], [0, 2], [2.5, 2]], "float64")
    check_grad(lambda x: ops.image.perspective_transform(x, start, end), rand(1, 3, 4, 1))
    check_grad(
        lambda x: ops.image.scale_and_translate(
            x, (1, 5, 3, 1), (1.5, 0.8), (0.2, 0.0), (1, 2), "cubic"
        ),
        rand(1, 3, 4, 1),
    )
