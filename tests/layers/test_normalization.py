"""BatchNormalization, LayerNormalization, UnitNormalization: harness, torch, Keras, errors."""

import numpy as np
import pytest

import numkeras
from numkeras import layers
from tests.layers.harness import run_layer_test
from tests.layers.reference import assert_matches_torch

BN, LN, UN = layers.BatchNormalization, layers.LayerNormalization, layers.UnitNormalization

CASES = [
    # cls, kwargs, input shape, output shape, weights, deterministic
    (BN, {}, (4, 5), (4, 5), 4, False),
    (BN, {"axis": 1}, (4, 3, 5, 5), (4, 3, 5, 5), 4, False),
    (BN, {"center": False, "momentum": 0.5}, (4, 2, 3), (4, 2, 3), 3, False),
    (LN, {}, (2, 3, 4), (2, 3, 4), 2, True),
    (LN, {"axis": [1, 2]}, (2, 3, 4), (2, 3, 4), 2, True),
    (LN, {"axis": 1, "center": False}, (2, 3, 4), (2, 3, 4), 1, True),
    (UN, {}, (2, 5), (2, 5), 0, True),
    (UN, {"axis": [1, 2]}, (2, 3, 4), (2, 3, 4), 0, True),
]


@pytest.mark.parametrize("cls, kwargs, shape, out_shape, n_weights, deterministic", CASES)
def test_harness(cls, kwargs, shape, out_shape, n_weights, deterministic):
    run_layer_test(
        cls,
        kwargs,
        input_shape=shape,
        expected_output_shape=out_shape,
        expected_num_weights=n_weights,
        deterministic=deterministic,
    )


def test_batch_norm_weights_are_keras_ordered_and_moving_stats_non_trainable():
    layer = BN()
    layer(np.zeros((2, 3), "float32"))
    assert [v.path.split("/")[-1] for v in layer.weights] == [
        "gamma",
        "beta",
        "moving_mean",
        "moving_variance",
    ]
    assert [v.name for v in layer.trainable_weights] == ["gamma", "beta"]
    assert [v.name for v in layer.non_trainable_weights] == ["moving_mean", "moving_variance"]


def _randomize(layer, x, seed=0):
    """Build the layer and give every weight distinct values (variances positive)."""
    layer(x)
    rng = np.random.default_rng(seed)
    for v in layer.weights:
        value = rng.uniform(0.5, 1.5, v.shape) if "variance" in v.name else rng.normal(size=v.shape)
        v.assign(value.astype("float32"))


def _x(*shape, seed=1):
    return (np.random.default_rng(seed).normal(size=shape) * 2 + 0.5).astype("float32")


def _bn_weights(layer):
    return {v.name: v.numpy() for v in layer.weights}


@pytest.mark.parametrize("shape, axis", [((6, 4), -1), ((3, 4, 5, 2), -1), ((3, 2, 4, 5), 1)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_matches_torch(torch, shape, axis, training):
    x = _x(*shape)
    layer = BN(axis=axis)
    _randomize(layer, x)
    w = _bn_weights(layer)

    def torch_bn(t, ws):
        moved = torch.movedim(t, axis, 1)  # torch normalizes axis 1
        y = torch.nn.functional.batch_norm(
            moved,
            torch.tensor(w["moving_mean"]),
            torch.tensor(w["moving_variance"]),
            ws[0],
            ws[1],
            training=training,
            momentum=0.01,
            eps=1e-3,
        )
        return torch.movedim(y, 1, axis)

    assert_matches_torch(layer, x, torch_bn, training=training)


def test_batch_norm_moving_statistics_follow_keras_formula(torch):
    x = _x(8, 3)
    layer = BN(momentum=0.9)
    _randomize(layer, x)
    old = _bn_weights(layer)
    layer(x, training=True)
    mean, var = x.mean(0), x.var(0)  # Keras updates with the biased batch variance
    np.testing.assert_allclose(
        layer.moving_mean.numpy(), old["moving_mean"] * 0.9 + mean * 0.1, rtol=1e-6, atol=1e-6
    )
    np.testing.assert_allclose(
        layer.moving_variance.numpy(),
        old["moving_variance"] * 0.9 + var * 0.1,
        rtol=1e-6,
        atol=1e-6,
    )
    # torch's running mean uses the same rule (its momentum is 1 - Keras's)
    running = torch.tensor(old["moving_mean"])
    torch.nn.functional.batch_norm(
        torch.tensor(x), running, torch.ones(3), training=True, momentum=0.1
    )
    np.testing.assert_allclose(layer.moving_mean.numpy(), running.numpy(), rtol=1e-6, atol=1e-6)


def test_batch_norm_inference_and_frozen_layers_leave_moving_statistics_alone():
    x = _x(8, 3)
    layer = BN()
    _randomize(layer, x)
    before = _bn_weights(layer)
    inference = layer(x).numpy()
    layer.trainable = False
    frozen = layer(x, training=True).numpy()  # a frozen BN runs in inference mode (Keras)
    np.testing.assert_array_equal(inference, frozen)
    for name, value in _bn_weights(layer).items():
        np.testing.assert_array_equal(value, before[name])


def test_batch_norm_in_fit_updates_moving_statistics_and_predict_uses_them():
    numkeras.utils.set_random_seed(0)
    x = _x(32, 4) + 3.0
    y = x.sum(1, keepdims=True)
    bn = BN()
    model = numkeras.Sequential([numkeras.Input((4,)), bn, layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert np.all(bn.moving_mean.numpy() > 0.1)  # pulled from 0 toward the data's mean
    expected = (x - bn.moving_mean.numpy()) / np.sqrt(bn.moving_variance.numpy() + 1e-3)
    expected = expected * bn.gamma.numpy() + bn.beta.numpy()
    got = model.layers[-1].kernel.numpy()
    np.testing.assert_allclose(
        model.predict(x, verbose=0),
        expected @ got + model.layers[-1].bias.numpy(),
        rtol=1e-4,
        atol=1e-4,
    )


@pytest.mark.parametrize("axis", [-1, [-2, -1]])
def test_layer_norm_matches_torch(torch, axis):
    x = _x(3, 4, 5)
    layer = LN(axis=axis)
    _randomize(layer, x)
    shape = x.shape[-1:] if axis == -1 else x.shape[-2:]

    def torch_ln(t, ws):
        return torch.nn.functional.layer_norm(t, shape, ws[0], ws[1], eps=1e-3)

    assert_matches_torch(layer, x, torch_ln)


def test_layer_norm_over_a_middle_axis_matches_numpy():
    x = _x(3, 4, 5)
    layer = LN(axis=1)
    _randomize(layer, x)
    mean, var = x.mean(1, keepdims=True), x.var(1, keepdims=True)
    gamma, beta = (v.numpy()[None, :, None] for v in (layer.gamma, layer.beta))
    np.testing.assert_allclose(
        layer(x).numpy(), (x - mean) / np.sqrt(var + 1e-3) * gamma + beta, rtol=1e-5, atol=1e-5
    )


def test_unit_normalization_matches_torch(torch):
    x = _x(3, 6)
    assert_matches_torch(UN(), x, lambda t, ws: torch.nn.functional.normalize(t, dim=-1))
    zero = UN()(np.zeros((1, 3), "float32")).numpy()
    np.testing.assert_array_equal(zero, 0.0)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # inside Keras's torch backend
@pytest.mark.parametrize(
    "cls, kwargs, x_shape",
    [
        (BN, {}, (4, 3)),
        (BN, {"axis": 1}, (4, 3, 2)),
        (LN, {"axis": [1, 2]}, (2, 3, 4)),
        (UN, {}, (2, 3)),
    ],
)
def test_matches_real_keras(keras, cls, kwargs, x_shape):
    x = _x(*x_shape)
    theirs = getattr(keras.layers, cls.__name__)(**kwargs)
    theirs(x)
    ours = cls.from_config({**theirs.get_config(), "name": "ours"})
    _randomize(ours, x)
    theirs.set_weights(ours.get_weights())
    for training in (False, True):
        np.testing.assert_allclose(
            ours(x, training=training).numpy(),
            keras.ops.convert_to_numpy(theirs(x, training=training)),
            rtol=1e-5,
            atol=1e-5,
        )
    for a, b in zip(ours.get_weights(), theirs.get_weights()):  # moving statistics too
        np.testing.assert_allclose(a, keras.ops.convert_to_numpy(b), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    "cls, kwargs, name",
    [
        (BN, {"axis": "channels"}, "axis"),
        (BN, {"momentum": -0.1}, "momentum"),
        (BN, {"epsilon": "small"}, "epsilon"),
        (LN, {"axis": 1.5}, "axis"),
        (LN, {"epsilon": -1.0}, "epsilon"),
        (UN, {"axis": None}, "axis"),
    ],
)
def test_bad_arguments_name_the_argument(cls, kwargs, name):
    with pytest.raises(ValueError, match=f"{cls.__name__}: `{name}`"):
        cls(**kwargs)


@pytest.mark.parametrize("layer", [BN(axis=3), LN(axis=-4), UN(axis=2)])
def test_axis_out_of_bounds_names_the_layer(layer):
    with pytest.raises(ValueError, match=rf'Layer "{layer.name}": axis=.* out of bounds'):
        layer(np.zeros((2, 3), "float32"))
