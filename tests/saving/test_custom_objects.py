"""Custom objects: registration, `get_custom_objects`, scopes, and every namespace's
`get`/`serialize`/`deserialize` finding them; `.keras` files both ways with real Keras."""

import numpy as np
import pytest

import numkeras as nk
from numkeras import activations, constraints, initializers, layers, optimizers, regularizers
from numkeras.saving import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    register_keras_serializable,
)


@register_keras_serializable(package="CO")
def scaled_tanh(x):
    return 1.7 * nk.ops.tanh(x)


@register_keras_serializable(package="CO")
class HalfOnes(initializers.Initializer):
    def __call__(self, shape, dtype=None):
        return np.full(shape, 0.5, dtype or "float32")


@register_keras_serializable(package="CO")
class SumSquares(regularizers.Regularizer):
    def __init__(self, factor=0.1):
        self.factor = factor

    def __call__(self, x):
        return self.factor * nk.ops.sum(nk.ops.square(x))

    def get_config(self):
        return {"factor": self.factor}


@register_keras_serializable(package="CO")
class ClipAt(constraints.Constraint):
    def __init__(self, limit=0.3):
        self.limit = limit

    def __call__(self, w):
        return nk.ops.clip(w, -self.limit, self.limit)

    def get_config(self):
        return {"limit": self.limit}


@register_keras_serializable(package="CO")
class MySGD(optimizers.SGD):
    pass


def test_registry_is_the_live_dict_and_scopes_nest():
    assert get_custom_objects()["CO>scaled_tanh"] is scaled_tanh
    assert custom_object_scope is CustomObjectScope

    def cube(x):
        return x**3

    def square(x):
        return x * x

    get_custom_objects()["cube"] = cube
    try:
        assert activations.get("cube") is cube
    finally:
        del get_custom_objects()["cube"]
    with pytest.raises(ValueError):
        activations.get("cube")
    with custom_object_scope({"cube": cube}) as scope:
        assert isinstance(scope, CustomObjectScope)
        assert activations.deserialize("cube") is cube
        with nk.utils.custom_object_scope({"square": square}):
            assert activations.get("square") is square
        with pytest.raises(ValueError):
            activations.get("square")
    with pytest.raises(ValueError):
        activations.deserialize("cube")
    assert activations.deserialize("cube", custom_objects={"cube": cube}) is cube


def test_each_namespace_finds_registered_objects():
    assert activations.get("CO>scaled_tanh") is scaled_tanh
    assert activations.deserialize(activations.serialize(scaled_tanh)) is scaled_tanh
    assert isinstance(initializers.get("CO>HalfOnes"), HalfOnes)
    assert isinstance(initializers.deserialize(initializers.serialize(HalfOnes())), HalfOnes)
    r = regularizers.deserialize(regularizers.serialize(SumSquares(0.5)))
    assert isinstance(r, SumSquares) and r.factor == 0.5
    assert isinstance(regularizers.get("CO>SumSquares"), SumSquares)
    c = constraints.deserialize(constraints.serialize(ClipAt(0.2)))
    assert isinstance(c, ClipAt) and c.limit == 0.2
    opt = optimizers.deserialize(optimizers.serialize(MySGD(0.3)))
    assert type(opt) is MySGD and opt.get_config()["learning_rate"] == pytest.approx(0.3)


def test_serialize_matches_real_keras_for_registered_objects(keras):
    @keras.saving.register_keras_serializable(package="CO", name="HalfOnes")
    class KerasHalfOnes(keras.initializers.Initializer):
        def __call__(self, shape, dtype=None):
            return keras.ops.full(shape, 0.5)

    ours, theirs = initializers.serialize(HalfOnes()), keras.initializers.serialize(KerasHalfOnes())
    assert ours["registered_name"] == theirs["registered_name"] == "CO>HalfOnes"
    assert ours["config"] == theirs["config"]
    assert activations.serialize(scaled_tanh)["config"] == "CO>scaled_tanh"


def _model():
    model = nk.Sequential(
        [
            layers.Input((3,)),
            layers.Dense(
                4,
                activation=scaled_tanh,
                kernel_initializer=HalfOnes(),
                kernel_regularizer=SumSquares(0.01),
                kernel_constraint=ClipAt(0.4),
            ),
            layers.Dense(1),
        ]
    )
    model.compile(MySGD(0.1), "mse")
    return model


def test_load_model_finds_registered_objects(tmp_path):
    model = _model()
    x = np.linspace(-1, 1, 12, dtype="float32").reshape(4, 3)
    model.fit(x, x[:, :1], epochs=2, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = nk.models.load_model(tmp_path / "m.keras")
    dense = loaded.layers[0]
    assert dense.activation is scaled_tanh
    assert isinstance(dense.kernel_initializer, HalfOnes)
    assert isinstance(dense.kernel_regularizer, SumSquares)
    assert isinstance(dense.kernel_constraint, ClipAt)
    assert type(loaded.optimizer) is MySGD
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_load_model_with_a_scope_for_unregistered_objects(tmp_path):
    def shifted(x):
        return x + 1.0

    model = nk.Sequential([layers.Input((2,)), layers.Dense(2, activation=shifted)])
    get_custom_objects()["shifted"] = shifted
    try:
        model.save(tmp_path / "s.keras")
    finally:
        del get_custom_objects()["shifted"]
    with pytest.raises(ValueError, match="shifted"):
        nk.models.load_model(tmp_path / "s.keras")
    with CustomObjectScope({"shifted": shifted}):
        loaded = nk.models.load_model(tmp_path / "s.keras")
    assert loaded.layers[0].activation is shifted


def test_registered_activation_files_both_ways_with_real_keras(keras, tmp_path):
    keras.saving.register_keras_serializable(package="CO")(lambda_free := _keras_scaled_tanh(keras))
    assert lambda_free.__name__ == "scaled_tanh"
    x = np.linspace(-1, 1, 6, dtype="float32").reshape(2, 3)
    model = nk.Sequential([layers.Input((3,)), layers.Dense(2, activation=scaled_tanh)])
    model.save(tmp_path / "ours.keras")
    theirs = keras.models.load_model(tmp_path / "ours.keras")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(theirs(x)), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6
    )
    theirs.save(tmp_path / "theirs.keras")
    back = nk.models.load_model(tmp_path / "theirs.keras")
    assert back.layers[0].activation is scaled_tanh
    np.testing.assert_allclose(
        back.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6
    )


def _keras_scaled_tanh(keras):
    def scaled_tanh(x):
        return 1.7 * keras.ops.tanh(x)

    return scaled_tanh


def test_enable_unsafe_deserialization_still_refuses_lambdas(tmp_path):
    nk.config.enable_unsafe_deserialization()
    nk.Sequential([layers.Input((4,)), layers.Lambda(lambda t: t + 1)]).save(tmp_path / "l.keras")
    with pytest.raises(ValueError, match="<lambda>"):
        nk.models.load_model(tmp_path / "l.keras")
