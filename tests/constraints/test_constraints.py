"""Constraints: values and configs against real Keras, lookup, and the optimizer applying them
after each update (Dense and Conv2D through fit, and a plain optimizer step)."""

import numpy as np
import pytest

import numkeras
from numkeras import constraints, layers

CASES = [
    (constraints.Constraint, {}),
    (constraints.NonNeg, {}),
    (constraints.MaxNorm, {}),
    (constraints.MaxNorm, {"max_value": 0.5, "axis": [0, 1, 2]}),
    (constraints.UnitNorm, {}),
    (constraints.UnitNorm, {"axis": 1}),
    (constraints.MinMaxNorm, {}),
    (constraints.MinMaxNorm, {"min_value": 1.5, "max_value": 2.0, "rate": 0.5, "axis": [0, 1]}),
]


def _weights(shape=(3, 3, 2, 4), seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


@pytest.mark.parametrize("cls, kwargs", CASES)
def test_matches_real_keras(keras, cls, kwargs):
    theirs = getattr(keras.constraints, cls.__name__)(**kwargs)
    w = _weights()
    ours = numkeras.ops.convert_to_numpy(cls(**kwargs)(w))
    np.testing.assert_allclose(ours, keras.ops.convert_to_numpy(theirs(w)), rtol=1e-5, atol=1e-6)
    assert cls(**kwargs).get_config() == theirs.get_config()  # Keras's defaults and keys
    assert constraints.serialize(cls(**kwargs)) == keras.constraints.serialize(theirs)
    back = constraints.deserialize(keras.constraints.serialize(theirs))
    assert type(back) is cls and back.get_config() == theirs.get_config()


def test_projections_by_hand():
    w = np.array([[3.0, 0.3], [4.0, 0.4]], "float32")  # column norms 5 and 0.5
    np.testing.assert_allclose(
        constraints.MaxNorm(1.0)(w).numpy(), [[0.6, 0.3], [0.8, 0.4]], rtol=1e-6
    )
    np.testing.assert_allclose(
        constraints.UnitNorm()(w).numpy(), [[0.6, 0.6], [0.8, 0.8]], rtol=1e-6
    )
    np.testing.assert_allclose(
        constraints.MinMaxNorm(1.0, 2.0)(w).numpy(), [[1.2, 0.6], [1.6, 0.8]], rtol=1e-6
    )
    half = constraints.MinMaxNorm(1.0, 2.0, rate=0.5)(w).numpy()  # norms 3.5 and 0.75
    np.testing.assert_allclose(np.linalg.norm(half, axis=0), [3.5, 0.75], rtol=1e-6)
    np.testing.assert_array_equal(constraints.NonNeg()(-w).numpy(), np.zeros_like(w))


@pytest.mark.parametrize(
    "identifier, cls",
    [
        ("non_neg", constraints.NonNeg),
        ("NonNeg", constraints.NonNeg),
        ("max_norm", constraints.MaxNorm),
        ("unit_norm", constraints.UnitNorm),
        ("min_max_norm", constraints.MinMaxNorm),
        (constraints.UnitNorm, constraints.UnitNorm),
        ({"class_name": "MaxNorm", "config": {"max_value": 3}}, constraints.MaxNorm),
    ],
)
def test_get(identifier, cls):
    assert type(constraints.get(identifier)) is cls
    assert constraints.get(None) is None
    assert constraints.max_norm is constraints.MaxNorm


def test_get_passes_instances_and_callables_and_refuses_the_rest():
    c = constraints.MaxNorm(3)
    assert constraints.get(c) is c
    assert constraints.get(abs) is abs
    with pytest.raises(ValueError, match="Could not interpret constraint identifier: 'nope'"):
        constraints.get("nope")
    with pytest.raises(ValueError, match="constraint identifier: 3"):
        constraints.get(3)


def _fit(model, x, y, epochs=3):
    model.compile(optimizer=numkeras.optimizers.SGD(0.5), loss="mse")
    model.fit(x, y, epochs=epochs, batch_size=8, verbose=0)


def test_dense_non_neg_kernel_stays_non_negative_after_fit():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype("float32")
    y = -x @ np.ones((4, 2), "float32")  # the unconstrained solution is all negative
    dense = layers.Dense(2, kernel_constraint=constraints.NonNeg(), bias_constraint="non_neg")
    model = numkeras.Sequential([numkeras.Input((4,)), dense])
    assert dense.kernel.constraint is dense.kernel_constraint
    _fit(model, x, y)
    assert (dense.kernel.numpy() >= 0).all() and (dense.bias.numpy() >= 0).all()
    free = layers.Dense(2)
    _fit(numkeras.Sequential([numkeras.Input((4,)), free]), x, y)
    assert (free.kernel.numpy() < 0).any()  # without the constraint the kernel goes negative


def test_conv2d_max_norm_bounds_every_filter_after_fit():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(16, 5, 5, 2)).astype("float32")
    y = 10 * rng.normal(size=(16, 3, 3, 3)).astype("float32")
    conv = layers.Conv2D(3, 3, kernel_constraint=constraints.MaxNorm(0.5, axis=[0, 1, 2]))
    _fit(numkeras.Sequential([numkeras.Input((5, 5, 2)), conv]), x, y)
    norms = np.linalg.norm(conv.kernel.numpy().reshape(-1, 3), axis=0)
    assert (norms <= 0.5 + 1e-5).all()
    assert (norms > 0.45).all()  # pushed against the bound by the large targets


def test_optimizer_applies_the_constraint_after_its_update():
    v = numkeras.Variable(np.array([1.0, 2.0], "float32"))
    v.constraint = constraints.UnitNorm()
    numkeras.optimizers.SGD(1.0).apply([np.array([1.0, -2.0], "float32")], [v])
    np.testing.assert_allclose(v.numpy(), [0.0, 1.0], atol=1e-6)  # [0, 4] then unit norm


def test_custom_constraint_subclass():
    class Clip(constraints.Constraint):
        def __call__(self, w):
            return numkeras.ops.clip(w, -0.1, 0.1)

    dense = layers.Dense(2, kernel_constraint=Clip())
    x = np.ones((8, 3), "float32")
    _fit(numkeras.Sequential([numkeras.Input((3,)), dense]), x, 5 * np.ones((8, 2), "float32"))
    assert np.abs(dense.kernel.numpy()).max() <= 0.1 + 1e-7


@pytest.mark.parametrize(
    "cls, kwargs",
    [
        (layers.Dense, {"units": 2}),
        (layers.Conv2D, {"filters": 2, "kernel_size": 3}),
    ],
)
def test_layer_configs_serialize_constraints_as_keras(keras, cls, kwargs):
    given = {"kernel_constraint": constraints.MaxNorm(2.5, axis=0), "bias_constraint": "non_neg"}
    ours = cls(**kwargs, **given).get_config()
    layer = getattr(keras.layers, cls.__name__)(
        **kwargs,
        kernel_constraint=keras.constraints.MaxNorm(2.5, axis=0),
        bias_constraint="non_neg",
    )
    theirs = layer.get_config()
    for key in ("kernel_constraint", "bias_constraint"):
        assert ours[key] == theirs[key]
    clone = numkeras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert clone.kernel_constraint.get_config() == {"max_value": 2.5, "axis": 0}
    assert type(clone.bias_constraint) is constraints.NonNeg
    assert cls(**kwargs).get_config()["kernel_constraint"] is None


def test_constraints_survive_save_and_load(tmp_path):
    model = numkeras.Sequential(
        [numkeras.Input((3,)), layers.Dense(2, kernel_constraint=constraints.UnitNorm(axis=1))]
    )
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = numkeras.saving.load_model(path)
    constraint = loaded.layers[-1].kernel.constraint
    assert type(constraint) is constraints.UnitNorm and constraint.axis == 1
