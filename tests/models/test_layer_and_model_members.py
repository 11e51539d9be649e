"""Layer and Model members of the API census (issue 14), each checked against real Keras 3:
paths, dtype attributes, activity regularization, stateless calls, the per-layer variable
store, state trees, step functions and the compile attributes."""

import numpy as np
import pytest

import numkeras
from numkeras import layers

RNG = np.random.default_rng(0)
X = RNG.normal(size=(4, 3)).astype("float32")
Y = RNG.normal(size=(4, 2)).astype("float32")


def _to_np(value):
    value = value.detach().numpy() if hasattr(value, "detach") else value
    return np.asarray(value.numpy() if hasattr(value, "numpy") else value)


def _pair(keras, **kwargs):
    """The same built Dense in both libraries, with the same weights."""
    ours, theirs = layers.Dense(2, **kwargs), keras.layers.Dense(2, **kwargs)
    ours.build((None, 3))
    theirs.build((None, 3))
    theirs.set_weights(ours.get_weights())
    return ours, theirs


def _sequential(lib, name="seq"):
    return lib.Sequential(
        [lib.Input((3,)), lib.layers.Dense(4, name="d1"), lib.layers.Dense(2, name="d2")],
        name=name,
    )


def test_dense_reports_keras_dtype_path_and_signature_attributes(keras):
    ours, theirs = _pair(keras)
    for attr in ("compute_dtype", "variable_dtype", "input_dtype", "autocast"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    assert ours.dtype_policy.name == theirs.dtype_policy.name == "float32"
    assert ours.call_signature_parameters == theirs.call_signature_parameters
    assert ours.path == theirs.path.replace(theirs.name, ours.name)
    assert ours.metrics_variables == [] == theirs.metrics_variables
    unbuilt = layers.Dense(2)
    assert unbuilt.path is None and keras.layers.Dense(2).path is None
    with pytest.raises(NotImplementedError) as err:
        ours.add_metric(None)
    with pytest.raises(NotImplementedError) as their_err:
        theirs.add_metric(None)
    assert str(err.value) == str(their_err.value)


def test_layer_and_variable_paths_follow_the_model_they_are_built_in(keras):
    ours, theirs = _sequential(numkeras), _sequential(keras)
    assert ours.path == theirs.path == "seq"
    assert [la.path for la in ours.layers] == [la.path for la in theirs.layers]
    assert [v.path for v in ours.weights] == [v.path for v in theirs.weights]
    assert ours.layers[0].path == "seq/d1"
    inputs = numkeras.Input((3,))
    functional = numkeras.Model(inputs, layers.Dense(2, name="fd")(inputs))
    assert functional.layers[-1].path == "fd"  # built outside the model, as in Keras


def test_add_variable_is_add_weight_with_keras_signature(keras):
    ours = layers.Layer(name="holder")
    v = ours.add_variable((2, 3), "ones", name="w", trainable=False)
    theirs = keras.layers.Layer(name="holder")
    w = theirs.add_variable((2, 3), "ones", name="w", trainable=False)
    assert v.path == w.path == "holder/w"
    assert ours.non_trainable_weights == [v] and not v.trainable
    np.testing.assert_array_equal(v.numpy(), _to_np(w))


@pytest.mark.parametrize("make", ["dense", "conv", "embedding", "lstm"])
def test_activity_regularizer_adds_the_keras_loss_on_each_call(keras, make):
    reg = {"class_name": "L1L2", "config": {"l1": 0.01, "l2": 0.1}}

    def build(lib):
        return {
            "dense": lambda: lib.layers.Dense(3, activity_regularizer=reg),
            "conv": lambda: lib.layers.Conv1D(2, 2, activity_regularizer=reg),
            "embedding": lambda: lib.layers.Embedding(5, 2, activity_regularizer=reg),
            "lstm": lambda: lib.layers.LSTM(2, activity_regularizer=reg),
        }[make]()

    x = {
        "dense": X,
        "conv": RNG.normal(size=(3, 5, 2)).astype("float32"),
        "embedding": np.array([[1, 2, 4], [0, 3, 3]]),
        "lstm": RNG.normal(size=(3, 4, 2)).astype("float32"),
    }[make]
    ours, theirs = build(numkeras), build(keras)
    theirs(x)
    ours(x)
    ours.set_weights([_to_np(w) for w in theirs.weights])
    ours(x)
    theirs(x)
    assert len(ours.losses) == len(theirs.losses) == 1
    np.testing.assert_allclose(_to_np(ours.losses[0]), _to_np(theirs.losses[0]), rtol=1e-5)
    config = ours.get_config()["activity_regularizer"]
    assert config["class_name"] == theirs.get_config()["activity_regularizer"]["class_name"]
    assert type(ours).from_config(ours.get_config()).activity_regularizer is not None


def test_activity_regularization_counts_in_the_training_loss(keras):
    def model(lib):
        return lib.Sequential([lib.Input((3,)), lib.layers.Dense(2, activity_regularizer="l2")])

    ours, theirs = model(numkeras), model(keras)
    ours.set_weights([_to_np(w) for w in theirs.weights])
    for m in (ours, theirs):
        m.compile("sgd", "mse")
    np.testing.assert_allclose(ours.evaluate(X, Y, verbose=0), theirs.evaluate(X, Y, verbose=0))


def test_stateless_call_uses_given_values_and_returns_updated_state(keras):
    def model(lib):
        return lib.Sequential(
            [lib.Input((3,)), lib.layers.Dense(4), lib.layers.BatchNormalization()]
        )

    ours, theirs = model(numkeras), model(keras)
    ours.set_weights([_to_np(w) for w in theirs.weights])
    before = ours.get_weights()
    trainable = [RNG.normal(size=v.shape).astype("float32") for v in ours.trainable_variables]
    non_trainable = [np.full(v.shape, 0.5, "float32") for v in ours.non_trainable_variables]
    out, new_state = ours.stateless_call(trainable, non_trainable, X, training=True)
    their_out, their_state = theirs.stateless_call(trainable, non_trainable, X, training=True)
    np.testing.assert_allclose(_to_np(out), _to_np(their_out), rtol=1e-5, atol=1e-6)
    for a, b in zip(new_state, their_state):
        np.testing.assert_allclose(_to_np(a), _to_np(b), rtol=1e-5, atol=1e-6)
    for a, b in zip(ours.get_weights(), before):  # the model itself is unchanged
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="must be a list of tensors corresponding 1:1"):
        ours.stateless_call(trainable[:1], non_trainable, X)
    with pytest.raises(ValueError, match="must be built"):
        layers.Dense(2).stateless_call([], [], X)


def test_stateless_call_can_return_the_losses(keras):
    ours, theirs = _pair(keras, activity_regularizer="l2", kernel_regularizer="l1")
    values = [np.ones((3, 2), "float32"), np.zeros(2, "float32")]
    _, _, losses = ours.stateless_call(values, [], X, return_losses=True)
    _, _, their_losses = theirs.stateless_call(values, [], X, return_losses=True)
    assert len(losses) == len(their_losses) == 1  # `call` runs, not `__call__`: no activity
    np.testing.assert_allclose(
        sorted(float(_to_np(v)) for v in losses), sorted(float(_to_np(v)) for v in their_losses)
    )
    ours(X)  # an ordinary call: the activity penalty too
    assert len(ours.losses) == 2


def test_own_variable_store_matches_keras_and_feeds_saving(keras, tmp_path):
    ours, theirs = _pair(keras)
    store = {}
    theirs.save_own_variables(store)
    fresh = layers.Dense(2)
    fresh.build((None, 3))
    fresh.load_own_variables({k: _to_np(v) for k, v in store.items()})
    np.testing.assert_allclose(fresh(X).numpy(), _to_np(theirs(X)), rtol=1e-6, atol=1e-6)
    mine = {}
    fresh.save_own_variables(mine)
    assert sorted(mine) == sorted(store) == ["0", "1"]
    with pytest.raises(ValueError, match="expected 2 variables, but received 1"):
        fresh.load_own_variables({"0": mine["0"]})
    with pytest.raises(ValueError, match="never built"):
        layers.Dense(2).load_own_variables(mine)

    class Doubling(layers.Dense):  # a layer that stores its kernel doubled
        def save_own_variables(self, store):
            super().save_own_variables(store)
            store["0"] = store["0"] * 2

        def load_own_variables(self, store):
            super().load_own_variables({"0": store["0"] / 2, "1": store["1"]})

    model = numkeras.Sequential([numkeras.Input((3,)), Doubling(2)])
    path = str(tmp_path / "m.weights.h5")
    model.save_weights(path)
    copy = numkeras.Sequential([numkeras.Input((3,)), Doubling(2)])
    copy.load_weights(path)
    np.testing.assert_array_equal(copy.get_weights()[0], model.get_weights()[0])


def test_state_tree_is_keyed_like_keras_and_sets_the_values(keras):
    keras.backend.clear_session()  # Keras numbers optimizer names per session ("adam_79")
    numkeras.backend.clear_session()
    ours, theirs = _sequential(numkeras), _sequential(keras)
    for lib, m in ((numkeras, ours), (keras, theirs)):
        m.compile(lib.optimizers.Adam(name="adam"), "mse", metrics=["mean_absolute_error"])
    with pytest.raises(AttributeError):
        _sequential(numkeras, "other").get_state_tree()
    theirs.fit(X, Y, verbose=0)
    ours.fit(X, Y, verbose=0)

    def keys(tree):
        return {k: keys(v) if isinstance(v, dict) else None for k, v in tree.items()}

    their_tree = theirs.get_state_tree("numpy_array")
    assert keys(ours.get_state_tree("numpy_array")) == keys(their_tree)
    ours.set_state_tree(their_tree)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(ours.optimizer.variables, theirs.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), _to_np(b))
    assert isinstance(
        ours.get_state_tree()["trainable_variables"]["seq"]["d1"]["kernel"],
        type(ours.weights[0].value),
    )
    with pytest.raises(ValueError, match="Invalid `value_format` argument"):
        ours.get_state_tree("arrays")
    with pytest.raises(ValueError, match="Unknown variable name: weights"):
        ours.set_state_tree({"weights": {}})


def test_compile_attributes_and_step_functions_as_keras(keras):
    ours, theirs = _sequential(numkeras), _sequential(keras)
    for attr in ("loss", "run_eagerly", "steps_per_execution", "train_function"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    for m in (ours, theirs):
        m.compile("sgd", "mse", run_eagerly=True)
    assert ours.loss == theirs.loss == "mse" and ours.run_eagerly is theirs.run_eagerly is True
    assert ours.train_function is ours.test_function is ours.predict_function is None
    ours.set_weights([_to_np(w) for w in theirs.weights])
    ours.fit(X, Y, verbose=0, epochs=1, batch_size=4)
    theirs.fit(X, Y, verbose=0, epochs=1, batch_size=4)
    assert callable(ours.train_function) and ours.test_function is None
    logs = ours.train_function([(X, Y)])
    their_logs = theirs.train_function([(X, Y)])
    np.testing.assert_allclose(float(logs["loss"]), float(their_logs["loss"]), rtol=1e-5)
    assert ours.make_train_function() is ours.train_function
    assert ours.make_train_function(force=True) is not logs
    ours.predict(X, verbose=0)
    np.testing.assert_allclose(
        _to_np(ours.predict_function([(X,)])), ours.predict(X, verbose=0), rtol=1e-6
    )


def test_stateless_compute_loss_matches_keras(keras):
    def model(lib):
        return lib.Sequential([lib.Input((3,)), lib.layers.Dense(2, kernel_regularizer="l2")])

    ours, theirs = model(numkeras), model(keras)
    for m in (ours, theirs):
        m.compile("sgd", "mse", metrics=["mae"])
    values = [np.full(v.shape, 0.3, "float32") for v in ours.trainable_variables]
    y_pred = RNG.normal(size=Y.shape).astype("float32")
    loss, (tv, ntv, mv) = ours.stateless_compute_loss(values, [], [], X, Y, y_pred)
    their_loss, _ = theirs.stateless_compute_loss(values, [], [], X, Y, y_pred)
    np.testing.assert_allclose(float(_to_np(loss)), float(_to_np(their_loss)), rtol=1e-5)
    assert tv is values and ntv == [] and len(mv) == len(ours.metrics_variables)
    assert not np.allclose(ours.get_weights()[0], 0.3)  # the model's own values stay
