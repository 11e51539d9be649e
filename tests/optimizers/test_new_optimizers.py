"""Adafactor, Ftrl and Lamb: a few steps against real Keras (values, slots, configs)."""

import os
import warnings

import numpy as np
import pytest

import numkeras
from numkeras import optimizers

SHAPES = [(3, 4), (4,), (2, 3, 5)]


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pytest.importorskip("keras")


def _problem(steps=4, seed=2):
    rng = np.random.default_rng(seed)
    weights = [rng.normal(size=s).astype("float32") for s in SHAPES]
    grads = [[rng.normal(size=s).astype("float32") for s in SHAPES] for _ in range(steps)]
    return weights, grads


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("Adafactor", {}),
        ("Adafactor", {"learning_rate": 0.5, "relative_step": False, "clip_threshold": 0.5}),
        ("Ftrl", {}),
        (
            "Ftrl",
            {
                "learning_rate": 0.1,
                "l1_regularization_strength": 0.05,
                "l2_regularization_strength": 0.1,
                "beta": 0.2,
                "l2_shrinkage_regularization_strength": 0.01,
            },
        ),
        ("Lamb", {}),
        ("Lamb", {"learning_rate": 0.01, "weight_decay": 0.1}),
    ],
)
def test_against_keras(keras, name, kwargs):
    weights, grads = _problem()
    theirs = [keras.Variable(w, name=f"w{i}") for i, w in enumerate(weights)]
    ours = [numkeras.Variable(w, name=f"w{i}") for i, w in enumerate(weights)]
    their_opt = getattr(keras.optimizers, name)(**kwargs)
    our_opt = getattr(optimizers, name)(**kwargs)
    for step in grads:
        their_opt.apply_gradients(zip([keras.ops.convert_to_tensor(g) for g in step], theirs))
        our_opt.apply_gradients(zip(step, ours))
    for a, b in zip(theirs, ours):
        np.testing.assert_allclose(b.numpy(), keras.ops.convert_to_numpy(a), rtol=2e-5, atol=1e-6)
    assert len(their_opt.variables) == len(our_opt.variables)
    for a, b in zip(their_opt.variables, our_opt.variables):
        assert tuple(a.shape) == b.shape
        np.testing.assert_allclose(b.numpy(), keras.ops.convert_to_numpy(a), rtol=2e-5, atol=1e-6)
    their_config, our_config = their_opt.get_config(), our_opt.get_config()
    their_config.pop("name"), our_config.pop("name")
    assert our_config == their_config
    restored = optimizers.deserialize(optimizers.serialize(our_opt))
    assert type(restored) is type(our_opt)
    assert optimizers.get(name.lower()).__class__.__name__ == name


def test_ftrl_rejects_bad_arguments():
    with pytest.raises(ValueError, match="l1_regularization_strength"):
        optimizers.Ftrl(l1_regularization_strength=-1.0)
    with pytest.raises(ValueError, match="learning_rate_power"):
        optimizers.Ftrl(learning_rate_power=0.5)


def test_new_optimizers_train_a_model():
    x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5], [3.0]], "float32")
    for opt in (optimizers.Adafactor(0.1), optimizers.Ftrl(0.5), optimizers.Lamb(0.05)):
        numkeras.utils.set_random_seed(0)  # the same start for each, and every run
        model = numkeras.Sequential([numkeras.layers.Input((4,)), numkeras.layers.Dense(1)])
        model.compile(opt, "mse")
        history = model.fit(x, y, epochs=20, verbose=0).history["loss"]
        assert history[-1] < 0.8 * history[0], type(opt).__name__


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_loss_scale_optimizer_matches_keras(keras):
    weights, grads = _problem(steps=5)
    grads[2][0][0, 0] = np.inf  # a skipped step that halves the scale
    theirs = [keras.Variable(w, name=f"w{i}") for i, w in enumerate(weights)]
    ours = [numkeras.Variable(w, name=f"w{i}") for i, w in enumerate(weights)]
    their_opt = keras.optimizers.LossScaleOptimizer(
        keras.optimizers.Adam(0.1, name="adam"),
        initial_scale=8.0,
        dynamic_growth_steps=2,
        name="loss_scale_optimizer",
    )
    our_opt = optimizers.LossScaleOptimizer(
        optimizers.Adam(0.1, name="adam"),
        initial_scale=8.0,
        dynamic_growth_steps=2,
        name="loss_scale_optimizer",
    )
    for step in grads:
        their_opt.apply_gradients(zip([keras.ops.convert_to_tensor(g * 8) for g in step], theirs))
        our_opt.apply_gradients(zip([g * 8 for g in step], ours))
    for a, b in zip(theirs, ours):
        np.testing.assert_allclose(b.numpy(), keras.ops.convert_to_numpy(a), rtol=1e-5, atol=1e-6)
    # Keras builds the inner slots under the outer optimizer's name scope; files store
    # optimizer variables by position, so only the order and values must agree
    assert [v.path for v in our_opt.variables] == [
        v.path.replace("loss_scale_optimizer/adam/", "adam/") for v in their_opt.variables
    ]
    for a, b in zip(their_opt.variables, our_opt.variables):
        np.testing.assert_allclose(b.numpy(), keras.ops.convert_to_numpy(a), rtol=1e-5)
    assert int(our_opt.iterations.numpy()) == int(their_opt.iterations.numpy()) == 4
    config, their_config = our_opt.get_config(), their_opt.get_config()
    assert {k: v for k, v in config.items() if k != "inner_optimizer"} == {
        k: v for k, v in their_config.items() if k != "inner_optimizer"
    }
    restored = optimizers.deserialize(optimizers.serialize(our_opt))
    assert type(restored.inner_optimizer) is optimizers.Adam
    with pytest.raises(ValueError, match="does not support `clipnorm`"):
        optimizers.LossScaleOptimizer(optimizers.SGD(), clipnorm=1.0)


def test_loss_scale_optimizer_trains_like_its_inner_optimizer():
    x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
    y = x[:, :1] * 2
    results = []
    for opt in (optimizers.SGD(0.05), optimizers.LossScaleOptimizer(optimizers.SGD(0.05))):
        numkeras.utils.set_random_seed(0)
        model = numkeras.Sequential([numkeras.layers.Input((4,)), numkeras.layers.Dense(1)])
        model.compile(opt, "mse")
        model.fit(x, y, epochs=3, batch_size=8, verbose=0, shuffle=False)
        results.append(model.get_weights())
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
