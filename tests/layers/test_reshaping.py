"""Permute, RepeatVector, UpSampling, ZeroPadding, Cropping: harness, torch, real Keras, errors."""

import numpy as np
import pytest

from numkeras import layers
from tests.layers.harness import run_layer_test
from tests.layers.reference import assert_matches_torch

CF = {"data_format": "channels_first"}
CASES = [
    (layers.Permute, {"dims": (2, 1)}, (2, 3, 4), (2, 4, 3)),
    (layers.Permute, {"dims": (3, 1, 2)}, (2, 3, 4, 5), (2, 5, 3, 4)),
    (layers.RepeatVector, {"n": 3}, (2, 4), (2, 3, 4)),
    (layers.UpSampling1D, {}, (2, 3, 4), (2, 6, 4)),
    (layers.UpSampling1D, {"size": 3}, (2, 3, 4), (2, 9, 4)),
    (layers.UpSampling2D, {}, (2, 3, 4, 2), (2, 6, 8, 2)),
    (layers.UpSampling2D, {"size": (2, 3), **CF}, (2, 2, 3, 4), (2, 2, 6, 12)),
    (
        layers.UpSampling2D,
        {"size": (3, 2), "interpolation": "bilinear"},
        (2, 3, 4, 2),
        (2, 9, 8, 2),
    ),
    (layers.UpSampling2D, {"interpolation": "bilinear", **CF}, (2, 2, 3, 4), (2, 2, 6, 8)),
    (layers.ZeroPadding1D, {}, (2, 3, 4), (2, 5, 4)),
    (layers.ZeroPadding1D, {"padding": (0, 2), **CF}, (2, 3, 4), (2, 3, 6)),
    (layers.ZeroPadding2D, {}, (2, 3, 4, 2), (2, 5, 6, 2)),
    (layers.ZeroPadding2D, {"padding": (2, 0)}, (2, 3, 4, 2), (2, 7, 4, 2)),
    (layers.ZeroPadding2D, {"padding": ((1, 0), (2, 3)), **CF}, (2, 2, 3, 4), (2, 2, 4, 9)),
    (layers.Cropping1D, {}, (2, 5, 4), (2, 3, 4)),
    (layers.Cropping1D, {"cropping": (0, 3)}, (2, 5, 4), (2, 2, 4)),
    (layers.Cropping2D, {}, (2, 3, 4, 2), (2, 3, 4, 2)),
    (layers.Cropping2D, {"cropping": 1}, (2, 5, 6, 2), (2, 3, 4, 2)),
    (layers.Cropping2D, {"cropping": ((1, 0), (2, 1)), **CF}, (2, 2, 5, 6), (2, 2, 4, 3)),
]


@pytest.mark.parametrize("cls, kwargs, shape, out_shape", CASES)
def test_harness(cls, kwargs, shape, out_shape):
    run_layer_test(cls, kwargs, input_shape=shape, expected_output_shape=out_shape)


def _torch_fn(torch, cls, kwargs, shape):
    F = torch.nn.functional
    first = kwargs.get("data_format") == "channels_first"
    if cls is layers.Permute:
        return lambda t, ws: t.permute((0,) + tuple(kwargs["dims"]))
    if cls is layers.RepeatVector:
        return lambda t, ws: t.unsqueeze(1).repeat(1, kwargs["n"], 1)
    if cls is layers.UpSampling1D:
        return lambda t, ws: t.repeat_interleave(kwargs.get("size", 2), dim=1)

    def nchw(fn):  # torch's image ops take channels first
        if first:
            return fn
        return lambda t, ws: fn(t.permute(0, 3, 1, 2), ws).permute(0, 2, 3, 1)

    if cls is layers.UpSampling2D:
        size = kwargs.get("size", (2, 2))
        mode = kwargs.get("interpolation", "nearest")
        extra = {"align_corners": False} if mode == "bilinear" else {}
        return nchw(lambda t, ws: F.interpolate(t, scale_factor=size, mode=mode, **extra))
    layer = cls(**kwargs)
    if cls in (layers.ZeroPadding1D, layers.ZeroPadding2D):
        pads = layer.padding
        if cls is layers.ZeroPadding1D:
            if first:
                return lambda t, ws: F.pad(t, pads[0])
            return lambda t, ws: F.pad(t.transpose(1, 2), pads[0]).transpose(1, 2)
        return nchw(lambda t, ws: F.pad(t, pads[1] + pads[0]))  # torch: last axis first
    crops = layer.cropping
    key = (
        lambda t: tuple(  # noqa: E731
            slice(c[0], n - c[1]) for c, n in zip(crops, t.shape[2 if first else 1 :])
        )
    )
    if first:
        return lambda t, ws: t[(slice(None), slice(None)) + key(t)]
    return lambda t, ws: t[(slice(None),) + key(t)]


@pytest.mark.parametrize("cls, kwargs, shape, out_shape", CASES)
def test_matches_torch(torch, cls, kwargs, shape, out_shape):
    x = np.random.default_rng(0).normal(size=shape).astype("float32")
    assert_matches_torch(cls(**kwargs), x, _torch_fn(torch, cls, kwargs, shape))


def test_bilinear_weights_by_hand():
    x = np.array([0.0, 4.0], "float32").reshape(1, 1, 2, 1)
    y = layers.UpSampling2D((1, 2), interpolation="bilinear")(x).numpy().ravel()
    # half-pixel centres: sources -0.25, 0.25, 0.75, 1.25 clamp to [0, 1]
    np.testing.assert_allclose(y, [0.0, 1.0, 3.0, 4.0])


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # inside Keras's torch backend
@pytest.mark.parametrize("cls, kwargs, shape, out_shape", CASES)
def test_matches_real_keras(keras, cls, kwargs, shape, out_shape):
    x = np.random.default_rng(0).normal(size=shape).astype("float32")
    theirs = getattr(keras.layers, cls.__name__)(**kwargs)
    ours = cls.from_config({**theirs.get_config(), "name": "ours"})
    np.testing.assert_allclose(
        ours(x).numpy(), keras.ops.convert_to_numpy(theirs(x)), rtol=1e-5, atol=1e-6
    )
    assert ours.get_config().keys() == theirs.get_config().keys()
    assert {k: v for k, v in ours.get_config().items() if k not in ("name", "dtype")} == {
        k: v for k, v in theirs.get_config().items() if k not in ("name", "dtype")
    }


@pytest.mark.parametrize(
    "cls, kwargs, name",
    [
        (layers.Permute, {"dims": (1, 3)}, "dims"),
        (layers.Permute, {"dims": 2}, "dims"),
        (layers.RepeatVector, {"n": 0}, "n"),
        (layers.UpSampling1D, {"size": 1.5}, "size"),
        (layers.UpSampling2D, {"size": (2, 0)}, "size"),
        (layers.UpSampling2D, {"interpolation": "bicubic"}, "interpolation"),
        (layers.ZeroPadding1D, {"padding": -1}, "padding"),
        (layers.ZeroPadding2D, {"padding": (1, 2, 3)}, "padding"),
        (layers.Cropping1D, {"cropping": (1, 2, 3)}, "cropping"),
        (layers.Cropping2D, {"cropping": ((1, -1), (0, 0))}, "cropping"),
    ],
)
def test_bad_arguments_name_the_argument(cls, kwargs, name):
    with pytest.raises(ValueError, match=f"{cls.__name__}: `{name}`"):
        cls(**kwargs)


@pytest.mark.parametrize(
    "layer, shape",
    [
        (layers.Cropping1D((2, 3), name="crop"), (1, 5, 2)),
        (layers.Cropping2D(((0, 0), (2, 2)), name="crop"), (1, 5, 4, 2)),
    ],
)
def test_cropping_everything_names_the_layer(layer, shape):
    with pytest.raises(ValueError, match=r'"crop": cropping .* must leave something'):
        layer(np.zeros(shape, "float32"))
