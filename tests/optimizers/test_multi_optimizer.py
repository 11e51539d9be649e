"""MultiOptimizer and OptimizerMap: which sub-optimizer gets each variable, their steps and
variable order against real Keras, configs, and `.keras` files read both ways."""

import json
import os
import warnings

import numpy as np
import pytest

import numkeras
from numkeras import optimizers

SHAPES = [(3, 4), (4,), (5, 2), (3, 3)]
NAMES = ["enc_w0", "enc_b0", "dec_w1", "dec_w2"]


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pytest.importorskip("keras")


def _multi(lib, loss_scale_factor=None):
    o = lib.optimizers
    table = o.OptimizerMap(
        o.SGD(0.1, momentum=0.5, name="sgd"),
        {"enc_.*": o.Adam(0.01, name="adam"), "dec_w2": o.Muon(0.02, name="muon")},
    )
    return o.MultiOptimizer(table, loss_scale_factor=loss_scale_factor, name="multi")


def test_optimizer_map_lookup_and_errors():
    adam, sgd, rms = optimizers.Adam(), optimizers.SGD(), optimizers.RMSprop()
    table = optimizers.OptimizerMap(default_optimizer=rms)
    table["encoder/layer_0/dense"] = adam
    table["encoder/.*"] = sgd
    table["decoder"] = adam
    assert table["decoder"] is adam and table["encoder/layer_0/dense"] is adam  # exact first
    assert table["encoder/layer_0/attention/query"] is sgd
    assert table["decoder/layer_0/dense"] is rms  # "decoder" is no prefix pattern
    assert len(table) == 3 and list(table) == ["encoder/layer_0/dense", "encoder/.*", "decoder"]
    table["enc.*"] = sgd
    with pytest.raises(ValueError, match="Multiple optimizers assigned to variable encoder/x"):
        table["encoder/x"]
    del table["enc.*"]
    with pytest.raises(ValueError, match="already exists"):
        table["decoder"] = sgd
    with pytest.raises(ValueError, match="cannot be LossScaleOptimizer"):
        table["x"] = optimizers.LossScaleOptimizer(optimizers.SGD())
    with pytest.raises(ValueError, match="cannot be MultiOptimizer"):
        table["x"] = optimizers.MultiOptimizer(optimizers.OptimizerMap(sgd))
    with pytest.raises(TypeError, match="default_optimizer must be a Keras Optimizer"):
        optimizers.OptimizerMap("adam")
    with pytest.raises(TypeError, match="optimizer_map must be a dictionary"):
        optimizers.OptimizerMap(sgd, [("a", adam)])


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_steps_variables_and_config_match_keras(keras):
    rng = np.random.default_rng(2)
    weights = [rng.normal(size=s).astype("float32") for s in SHAPES]
    steps = [[rng.normal(size=s).astype("float32") for s in SHAPES] for _ in range(4)]
    theirs = [keras.Variable(w, name=n) for w, n in zip(weights, NAMES)]
    ours = [numkeras.Variable(w, name=n) for w, n in zip(weights, NAMES)]
    their_opt, our_opt = _multi(keras, loss_scale_factor=2.0), _multi(numkeras, 2.0)
    for grads in steps:
        their_opt.apply_gradients(zip([keras.ops.convert_to_tensor(g) for g in grads], theirs))
        our_opt.apply_gradients(zip(grads, ours))
    for a, b in zip(theirs, ours):
        np.testing.assert_allclose(b.numpy(), keras.ops.convert_to_numpy(a), rtol=1e-5, atol=1e-7)
    # own iteration and learning rate, then each sub-optimizer's, mapped ones before the default
    assert [v.path for v in our_opt.variables] == [v.path for v in their_opt.variables]
    assert [v.path for v in our_opt.variables][8:] == [
        "muon/iteration",
        "muon/learning_rate",
        "muon/dec_w2_momentum",
        "sgd/iteration",
        "sgd/learning_rate",
        "sgd/dec_w1_momentum",
    ]
    for a, b in zip(their_opt.variables, our_opt.variables):
        np.testing.assert_allclose(b.numpy(), keras.ops.convert_to_numpy(a), rtol=1e-5, atol=1e-7)
    assert [o.name for o in our_opt.optimizers] == ["adam", "muon", "sgd"]
    assert all(o.loss_scale_factor == 2.0 for o in our_opt.optimizers)
    assert (
        int(our_opt.iterations.numpy()) == 4 and int(our_opt.optimizers[2].iterations.numpy()) == 4
    )

    def plain(config):  # Keras names its torch-backend classes' modules; keep the rest
        text = json.dumps(config, sort_keys=True)
        for name in ("torch_sgd", "torch_adam"):
            text = text.replace(f"keras.src.backend.torch.optimizers.{name}", "keras.optimizers")
        return json.loads(text.replace('"registered_name": "SGD"', '"registered_name": null'))

    ours_json = plain(optimizers.serialize(our_opt))
    theirs_json = plain(keras.optimizers.serialize(their_opt))
    theirs_json["config"]["optimizer_map"]["config"]["optimizer_map"]["enc_.*"][
        "registered_name"
    ] = None
    assert ours_json == theirs_json
    restored = optimizers.deserialize(optimizers.serialize(our_opt))
    assert isinstance(restored._optimizer_map, optimizers.OptimizerMap)
    assert [type(o).__name__ for o in restored.optimizers] == ["Adam", "Muon", "SGD"]
    # Keras reads our config back too
    again = keras.optimizers.deserialize(optimizers.serialize(our_opt))
    assert [type(o).__name__ for o in again.optimizers] == ["Adam", "Muon", "SGD"]


def test_learning_rate_lives_on_the_sub_optimizers_and_errors():
    multi = _multi(numkeras)
    with pytest.raises(AttributeError, match="sub-optimizers"):
        _ = multi.learning_rate
    with pytest.raises(AttributeError, match="sub-optimizers"):
        multi.learning_rate = 0.1
    multi.loss_scale_factor = 4.0
    assert [o.loss_scale_factor for o in multi.optimizers] == [4.0, 4.0, 4.0]
    variables = [numkeras.Variable(np.ones(s, "float32"), name=n) for s, n in zip(SHAPES, NAMES)]
    with pytest.raises(ValueError, match="must already be built"):
        multi.apply([np.ones(s, "float32") for s in SHAPES])
    multi.build(variables)
    with pytest.raises(ValueError, match="one-to-one"):
        multi.apply([np.ones((3, 4), "float32")], variables[:1])
    nested = optimizers.MultiOptimizer(lambda v: _multi(numkeras))
    with pytest.raises(ValueError, match="MultiOptimizer cannot be used inside"):
        nested.build(variables)


def test_a_function_picks_the_optimizer_and_stateless_apply_leaves_variables_alone():
    adam, sgd = optimizers.Adam(0.1), optimizers.SGD(0.1)
    multi = optimizers.MultiOptimizer(lambda v: adam if "enc" in v.path else sgd)
    variables = [numkeras.Variable(np.ones(s, "float32"), name=n) for s, n in zip(SHAPES, NAMES)]
    multi.build(variables)
    assert multi.optimizers == [adam, sgd]  # in the order the function returned them
    grads = [np.full(s, 0.5, "float32") for s in SHAPES]
    before = [v.numpy().copy() for v in variables]
    new_vars, new_opt_vars = multi.stateless_apply(
        [v.numpy() for v in multi.variables], grads, [v.numpy() for v in variables]
    )
    for v, b in zip(variables, before):
        np.testing.assert_array_equal(v.numpy(), b)
    np.testing.assert_allclose(new_vars[2].numpy(), before[2] - 0.05)  # SGD
    np.testing.assert_allclose(new_vars[0].numpy(), before[0] - 0.1, rtol=1e-5)  # Adam, step 1
    assert int(new_opt_vars[0].numpy()) == 1
    multi.apply(grads, variables)
    for a, b in zip(variables, new_vars):
        np.testing.assert_allclose(a.numpy(), b.numpy())


def _functional(lib):
    inputs = lib.Input((4,))
    hidden = lib.layers.Dense(3, name="encoder")(inputs)
    outputs = lib.layers.Dense(2, name="head")(hidden)
    return lib.Model(inputs, outputs)


def _compiled(lib):
    model = _functional(lib)
    o = lib.optimizers
    multi = o.MultiOptimizer(o.OptimizerMap(o.SGD(0.05), {"encoder/.*": o.Adam(0.01)}))
    model.compile(optimizer=multi, loss="mse")
    return model


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_keras_file_both_ways_and_fit_matches_keras(keras, tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 4)).astype("float32"), rng.normal(size=(16, 2)).astype("float32")
    ours, theirs = _compiled(numkeras), _compiled(keras)
    theirs.set_weights(ours.get_weights())
    ours_loss = ours.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history["loss"]
    their_loss = theirs.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(ours_loss, their_loss, rtol=1e-5)
    for a, b in zip(theirs.weights, ours.weights):
        np.testing.assert_allclose(b.numpy(), keras.ops.convert_to_numpy(a), rtol=1e-5, atol=1e-6)

    ours.save(tmp_path / "ours.keras")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        loaded = keras.saving.load_model(tmp_path / "ours.keras")
    assert [type(o).__name__ for o in loaded.optimizer.optimizers] == ["Adam", "SGD"]
    assert len(loaded.optimizer.variables) == len(ours.optimizer.variables) == 10
    for a, b in zip(loaded.optimizer.variables, ours.optimizer.variables):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(a), b.numpy(), atol=1e-7)

    theirs.save(tmp_path / "theirs.keras")
    back = numkeras.models.load_model(tmp_path / "theirs.keras")
    assert type(back.optimizer) is optimizers.MultiOptimizer
    assert [type(o).__name__ for o in back.optimizer.optimizers] == ["Adam", "SGD"]
    for a, b in zip(theirs.optimizer.variables, back.optimizer.variables):
        np.testing.assert_allclose(b.numpy(), keras.ops.convert_to_numpy(a), atol=1e-7)
    theirs.train_on_batch(x[:8], y[:8])
    back.train_on_batch(x[:8], y[:8])
    for a, b in zip(theirs.weights, back.weights):
        np.testing.assert_allclose(b.numpy(), keras.ops.convert_to_numpy(a), rtol=1e-5, atol=1e-6)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_loss_scale_optimizer_keras_file_both_ways(keras, tmp_path):
    """Keras also stores a wrapper's inner optimizer at `optimizer/inner_optimizer`."""

    def compiled(lib):
        inputs = lib.Input((4,))
        model = lib.Model(inputs, lib.layers.Dense(2, name="d")(inputs))
        model.compile(lib.optimizers.LossScaleOptimizer(lib.optimizers.Adam(0.01)), "mse")
        return model

    x, y = np.ones((8, 4), "float32"), np.ones((8, 2), "float32")
    ours, theirs = compiled(numkeras), compiled(keras)
    ours.fit(x, y, verbose=0)
    theirs.fit(x, y, verbose=0)
    ours.save(tmp_path / "ours.keras")
    theirs.save(tmp_path / "theirs.keras")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        loaded = keras.saving.load_model(tmp_path / "ours.keras")
    back = numkeras.models.load_model(tmp_path / "theirs.keras")
    for saved, read in ((ours, loaded), (theirs, back)):
        assert len(read.optimizer.variables) == len(saved.optimizer.variables) == 10
        for a, b in zip(saved.optimizer.variables, read.optimizer.variables):
            np.testing.assert_array_equal(
                keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b)
            )


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_learning_rate_callbacks_drive_each_sub_optimizer_as_in_keras(keras):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 4)).astype("float32"), rng.normal(size=(16, 2)).astype("float32")
    histories = []
    for lib in (keras, numkeras):
        o = lib.optimizers
        model = _functional(lib)
        table = o.OptimizerMap(o.SGD(0.05, name="sgd"), {"encoder/.*": o.Adam(0.01, name="adam")})
        model.compile(o.MultiOptimizer(table), loss="mse")
        callbacks = [
            lib.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5),
            lib.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.1, patience=0, min_delta=10),
        ]
        history = model.fit(x, y, epochs=2, callbacks=callbacks, verbose=0).history
        histories.append(history)
    theirs, ours = histories
    assert sorted(ours) == sorted(theirs) == ["learning_rate_adam", "learning_rate_sgd", "loss"]
    for key in ("learning_rate_adam", "learning_rate_sgd"):
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-6)


def test_swap_ema_weights_swaps_the_sub_optimizers_with_ema():
    x = np.random.default_rng(0).normal(size=(16, 4)).astype("float32")
    model = _functional(numkeras)
    adam = optimizers.Adam(0.1, use_ema=True, ema_momentum=0.5)
    model.compile(
        optimizers.MultiOptimizer(
            optimizers.OptimizerMap(optimizers.SGD(0.1), {"encoder/.*": adam})
        ),
        "mse",
    )
    model.fit(x, x[:, :2], epochs=2, verbose=0)  # ends with the averages in the weights
    model.train_on_batch(x, x[:, :2])  # now they differ
    encoder, head = model.get_layer("encoder"), model.get_layer("head")
    trained = [encoder.kernel.numpy().copy(), head.kernel.numpy().copy()]
    average = adam._model_variables_moving_average[0].numpy().copy()
    swap = numkeras.callbacks.SwapEMAWeights()
    swap.set_model(model)
    swap.on_test_begin()
    np.testing.assert_array_equal(encoder.kernel.numpy(), average)
    assert not np.array_equal(encoder.kernel.numpy(), trained[0])
    np.testing.assert_array_equal(head.kernel.numpy(), trained[1])  # SGD keeps no average
    swap.on_test_end()
    np.testing.assert_array_equal(encoder.kernel.numpy(), trained[0])
    plain = _functional(numkeras)
    plain.compile(optimizers.MultiOptimizer(optimizers.OptimizerMap(optimizers.SGD())), "mse")
    swap.set_model(plain)
    with pytest.raises(ValueError, match="at least one inner optimizer has `use_ema=True`"):
        swap.on_test_begin()
