"""Muon and ScheduleFreeAdamW: several steps against real Keras (weights, slots, configs),
and `.keras` files with the optimizer's state read both ways."""

import os
import warnings

import numpy as np
import pytest

import numkeras
from numkeras import optimizers

SHAPES = [(3, 4), (4,), (5, 2), (2, 3, 5), (3, 3)]
NAMES = ["w0", "w1", "w2", "w3", "embedding_w4"]  # w4: 2-D, but excluded as an embedding


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pytest.importorskip("keras")


def _problem(steps=5, seed=2):
    rng = np.random.default_rng(seed)
    weights = [rng.normal(size=s).astype("float32") for s in SHAPES]
    grads = [[rng.normal(size=s).astype("float32") for s in SHAPES] for _ in range(steps)]
    return weights, grads


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("Muon", {}),
        (
            "Muon",
            {
                "learning_rate": 0.05,
                "nesterov": False,
                "exclude_layers": ["w2"],
                "weight_decay": 0.1,
                "adam_weight_decay": None,
                "rms_rate": None,
                "ns_steps": 3,
            },
        ),
        ("Muon", {"learning_rate": 0.02, "exclude_embeddings": False, "adam_lr_ratio": 0.1}),
        ("ScheduleFreeAdamW", {}),
        ("ScheduleFreeAdamW", {"learning_rate": 0.1, "warmup_steps": 3, "weight_decay": 0.05}),
        ("ScheduleFreeAdamW", {"beta_1": 0.5, "clipnorm": 1.0}),
    ],
)
def test_steps_match_keras(keras, name, kwargs):
    weights, grads = _problem()
    theirs = [keras.Variable(w, name=n) for w, n in zip(weights, NAMES)]
    ours = [numkeras.Variable(w, name=n) for w, n in zip(weights, NAMES)]
    their_opt = getattr(keras.optimizers, name)(**kwargs)
    our_opt = getattr(optimizers, name)(**kwargs)
    for step in grads:
        their_opt.apply_gradients(zip([keras.ops.convert_to_tensor(g) for g in step], theirs))
        our_opt.apply_gradients(zip(step, ours))
    for a, b in zip(theirs, ours):
        np.testing.assert_allclose(b.numpy(), keras.ops.convert_to_numpy(a), rtol=1e-5, atol=1e-6)
    assert [v.path.split("/", 1)[1] for v in our_opt.variables] == [
        v.path.split("/", 1)[1] for v in their_opt.variables
    ]
    for a, b in zip(their_opt.variables, our_opt.variables):
        np.testing.assert_allclose(b.numpy(), keras.ops.convert_to_numpy(a), rtol=1e-5, atol=1e-6)
    their_config, our_config = their_opt.get_config(), our_opt.get_config()
    their_config.pop("name"), our_config.pop("name")
    assert our_config == their_config
    restored = optimizers.deserialize(optimizers.serialize(our_opt))
    assert type(restored) is type(our_opt) and restored.get_config() == our_opt.get_config()
    assert type(optimizers.get(name.lower())).__name__ == name


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_muon_newton_schulz_and_variable_routing_match_keras(keras):
    x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
    theirs, ours = keras.optimizers.Muon(), optimizers.Muon()
    for steps in (1, 5):
        np.testing.assert_allclose(
            ours.zeropower_via_newtonschulz5(x, steps),
            keras.ops.convert_to_numpy(
                theirs.zeropower_via_newtonschulz5(keras.ops.convert_to_tensor(x), steps)
            ),
            rtol=1e-5,
            atol=1e-6,
        )
    # Keras's own golden value: the singular values are pushed towards 1
    expected = [[-0.4422, 0.6457], [0.7285, 0.2968]]
    got = ours.zeropower_via_newtonschulz5(np.array([[0.2499, 0.9105], [0.2655, 0.8824]]), 5)
    np.testing.assert_allclose(got, expected, atol=1e-3)
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        ours.zeropower_via_newtonschulz5(np.ones(3, "float32"), 5)
    np.testing.assert_allclose(ours.lr_adjust(np.ones((4, 2), "float32")), 0.4 * np.ones((4, 2)))

    embedding, dense = numkeras.layers.Embedding(2, 2), numkeras.layers.Dense(2)
    embedding.build((None,)), dense.build((None, 2))
    picky = optimizers.Muon(exclude_layers=["var"])
    assert picky._should_use_adamw(numkeras.Variable(np.ones((2, 2)), name="var"))
    assert ours._should_use_adamw(embedding.weights[0])
    assert not ours._should_use_adamw(dense.kernel) and ours._should_use_adamw(dense.bias)


def test_muon_rejects_bad_common_arguments():
    with pytest.raises(ValueError, match="Only one of"):
        optimizers.Muon(clipnorm=1.0, clipvalue=1.0)
    with pytest.raises(ValueError, match="not recognized"):
        optimizers.ScheduleFreeAdamW(betas=0.9)


def _model(lib):
    layers = lib.layers
    return lib.Sequential(
        [
            layers.Input((6,), dtype="int32"),
            layers.Embedding(10, 4, name="embedding"),
            layers.Flatten(),
            layers.Dense(5, name="hidden"),
            layers.Dense(2, name="last"),
        ]
    )


def _data():
    rng = np.random.default_rng(1)
    return rng.integers(0, 10, size=(16, 6)).astype("int32"), rng.normal(size=(16, 2))


def _compile(lib, name):
    if name == "Muon":
        opt = lib.optimizers.Muon(learning_rate=0.01, exclude_layers=["last"])
    else:
        opt = lib.optimizers.ScheduleFreeAdamW(learning_rate=0.01, warmup_steps=2)
    model = _model(lib)
    model.compile(optimizer=opt, loss="mse")
    return model


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("name", ["Muon", "ScheduleFreeAdamW"])
def test_keras_file_both_ways_with_optimizer_state(keras, tmp_path, name):
    x, y = _data()
    ours = _compile(numkeras, name)
    ours.fit(x, y.astype("float32"), batch_size=8, epochs=2, verbose=0)
    ours.save(tmp_path / "ours.keras")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # no "skipping variable loading"
        loaded = keras.saving.load_model(tmp_path / "ours.keras")
    assert type(loaded.optimizer).__name__ == name
    assert len(loaded.optimizer.variables) == len(ours.optimizer.variables)
    for a, b in zip(loaded.optimizer.variables, ours.optimizer.variables):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(a), b.numpy(), atol=1e-7)
    assert int(keras.ops.convert_to_numpy(loaded.optimizer.iterations)) == 4

    theirs = _compile(keras, name)
    theirs.fit(x, y.astype("float32"), batch_size=8, epochs=1, verbose=0)
    theirs.save(tmp_path / "theirs.keras")
    back = numkeras.models.load_model(tmp_path / "theirs.keras")
    assert type(back.optimizer) is getattr(optimizers, name)
    assert back.optimizer.get_config() == _without_keras_only(theirs.optimizer.get_config())
    assert len(back.optimizer.variables) == len(theirs.optimizer.variables)
    for a, b in zip(theirs.optimizer.variables, back.optimizer.variables):
        np.testing.assert_allclose(b.numpy(), keras.ops.convert_to_numpy(a), atol=1e-7)
    # training goes on from the restored state exactly as in Keras
    theirs.train_on_batch(x[:8], y[:8].astype("float32"))
    back.train_on_batch(x[:8], y[:8].astype("float32"))
    for a, b in zip(theirs.weights, back.weights):
        np.testing.assert_allclose(b.numpy(), keras.ops.convert_to_numpy(a), rtol=1e-5, atol=1e-6)


def _without_keras_only(config):
    return {k: v for k, v in config.items() if k not in ("jit_compile",)}


def test_schedule_free_trains_a_model_and_keeps_the_interpolated_weights():
    x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5], [3.0]], "float32")
    numkeras.utils.set_random_seed(0)
    model = numkeras.Sequential([numkeras.layers.Input((4,)), numkeras.layers.Dense(1)])
    opt = optimizers.ScheduleFreeAdamW(0.05)
    model.compile(opt, "mse")
    history = model.fit(x, y, epochs=20, verbose=0).history["loss"]
    assert history[-1] < 0.7 * history[0]
    # the weights are y = (1 - beta_1) z + beta_1 x with z the "momentum" slot, not z itself
    kernel = model.layers[0].kernel
    assert not np.allclose(kernel.numpy(), opt._momentums[0].numpy())
