"""Spatial dropout, Gaussian noise/dropout, activity regularization: statistics, seeds, Keras."""

import numpy as np
import pytest

import numkeras
from numkeras import layers
from tests.layers.harness import run_layer_test
from tests.layers.reference import layer_grads

SD1, SD2 = layers.SpatialDropout1D, layers.SpatialDropout2D
GN, GD, AR = layers.GaussianNoise, layers.GaussianDropout, layers.ActivityRegularization

CASES = [
    (SD1, {"rate": 0.5}, (2, 5, 3), False),
    (SD2, {"rate": 0.3}, (2, 4, 4, 3), False),
    (SD2, {"rate": 0.3, "data_format": "channels_first"}, (2, 3, 4, 4), False),
    (GN, {"stddev": 0.5, "seed": 1}, (2, 5), False),
    (GD, {"rate": 0.2}, (2, 5), False),
    (AR, {"l1": 0.01, "l2": 0.02}, (2, 5), True),
    (SD1, {"rate": 0.0}, (2, 5, 3), True),  # rate 0: the identity in training too
    (GN, {"stddev": 0.0}, (2, 5), True),
]


@pytest.mark.parametrize("cls, kwargs, shape, deterministic", CASES)
def test_harness(cls, kwargs, shape, deterministic):
    run_layer_test(
        cls, kwargs, input_shape=shape, expected_output_shape=shape, deterministic=deterministic
    )


def test_spatial_dropout_drops_whole_channels_and_scales_the_rest():
    x = np.ones((200, 6, 10), "float32")
    y = SD1(0.4, seed=3)(x, training=True).numpy()
    assert (y == y[:, :1, :]).all()  # one decision per (example, channel)
    assert set(np.unique(y)) == {0.0, np.float32(1 / 0.6)}
    assert 0.35 < (y[:, 0] == 0).mean() < 0.45
    images = np.ones((100, 3, 5, 5), "float32")
    z = SD2(0.5, data_format="channels_first", seed=0)(images, training=True).numpy()
    assert (z == z[:, :, :1, :1]).all() and 0.4 < (z[:, :, 0, 0] == 0).mean() < 0.6
    np.testing.assert_array_equal(SD2(0.5)(images).numpy(), images)  # inference


@pytest.mark.parametrize(
    "cls, kwargs", [(SD1, {"rate": 0.5}), (GN, {"stddev": 0.3}), (GD, {"rate": 0.3})]
)
def test_seeded_randomness_repeats(cls, kwargs):
    x = np.ones((4, 3, 5), "float32")
    a = cls(seed=5, **kwargs)(x, training=True).numpy()
    b = cls(seed=5, **kwargs)(x, training=True).numpy()
    np.testing.assert_array_equal(a, b)
    numkeras.utils.set_random_seed(9)
    c = cls(**kwargs)(x, training=True).numpy()
    numkeras.utils.set_random_seed(9)
    np.testing.assert_array_equal(c, cls(**kwargs)(x, training=True).numpy())
    assert not np.array_equal(a, cls(seed=6, **kwargs)(x, training=True).numpy())


def test_gaussian_noise_statistics_and_gradient():
    x = np.full((500, 40), 2.0, "float32")
    y, gx, _ = layer_grads(GN(0.3, seed=0), x, r=np.ones((500, 40), "float32"), training=True)
    assert abs((y - 2).mean()) < 0.01 and abs((y - 2).std() - 0.3) < 0.01
    np.testing.assert_array_equal(gx, 1.0)  # additive noise: the gradient passes unchanged
    np.testing.assert_array_equal(GN(0.3)(x).numpy(), x)


def test_gaussian_dropout_statistics_and_gradient():
    x = np.full((500, 40), 2.0, "float32")
    r = np.ones((500, 40), "float32")
    y, gx, _ = layer_grads(GD(0.2, seed=0), x, r=r, training=True)
    noise = y / 2
    assert abs(noise.mean() - 1) < 0.01 and abs(noise.std() - 0.5) < 0.01  # sqrt(.2 / .8)
    np.testing.assert_allclose(gx, noise, rtol=1e-6)  # d(x * noise)/dx = noise
    np.testing.assert_array_equal(GD(0.2)(x).numpy(), x)


def test_activity_regularization_adds_keras_penalty_to_the_model_loss():
    x = np.array([[1.0, -2.0], [3.0, 0.5]], "float32")
    layer = AR(l1=0.1, l2=0.01)
    layer(x)
    expected = (0.1 * np.abs(x).sum() + 0.01 * (x**2).sum()) / 2
    np.testing.assert_allclose([float(v) for v in layer.losses], [expected], rtol=1e-6)
    model = numkeras.Sequential([numkeras.Input((2,)), AR(l1=0.1, l2=0.01)])
    model.compile(loss="mse")
    loss = model.evaluate(x, np.zeros_like(x), verbose=0)
    np.testing.assert_allclose(loss, (x**2).mean() + expected, rtol=1e-5)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # inside Keras's torch backend
@pytest.mark.parametrize("cls, kwargs, shape, deterministic", CASES)
def test_configs_match_real_keras_both_ways(keras, cls, kwargs, shape, deterministic):
    keras_cls = getattr(keras.layers, cls.__name__)
    theirs = keras_cls(**kwargs)
    ours = cls.from_config(theirs.get_config())
    assert sorted(ours.get_config()) == sorted(theirs.get_config())
    keras_cls.from_config(ours.get_config())  # real Keras loads our config
    if cls is AR:
        x = np.random.default_rng(0).normal(size=shape).astype("float32")
        theirs(x)
        ours(x)
        np.testing.assert_allclose(
            float(ours.losses[0]), float(keras.ops.convert_to_numpy(theirs.losses[0])), rtol=1e-5
        )


@pytest.mark.parametrize(
    "cls, kwargs, name",
    [
        (SD1, {"rate": 1.5}, "rate"),
        (SD2, {"rate": 0.5, "data_format": "NCHW"}, "data_format"),
        (GN, {"stddev": 2.0}, "stddev"),
        (GN, {"stddev": "big"}, "stddev"),
        (GD, {"rate": 1.0}, "rate"),
        (AR, {"l1": -0.1}, "l1"),
    ],
)
def test_bad_arguments_name_the_argument(cls, kwargs, name):
    with pytest.raises(ValueError, match=f"{cls.__name__}: `{name}`"):
        cls(**kwargs)
