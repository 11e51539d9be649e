"""keras.wrappers: SKLearnClassifier, SKLearnRegressor and SKLearnTransformer fitted on the
same small problems from the same weights as Keras's own wrappers give the same outputs."""

import numpy as np
import pytest

import numkeras

sklearn = pytest.importorskip("sklearn")
from sklearn.base import clone  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

RNG = np.random.default_rng(0)
X = RNG.normal(size=(40, 4))
LABELS = np.array(["a", "b", "c"])[(X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5).astype(int)]
TARGET = X @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.1
FIT = {"epochs": 5, "batch_size": 40, "shuffle": False, "verbose": 0}


def _builder(lib, loss, activation=None):
    def build(X, y, hidden=5):
        rng = np.random.default_rng(1)
        n_out = 1 if y.ndim == 1 else y.shape[1]
        model = lib.Sequential(
            [
                lib.Input((X.shape[1],)),
                lib.layers.Dense(hidden, activation="tanh"),
                lib.layers.Dense(n_out, activation=activation),
            ]
        )
        model.set_weights(
            [rng.normal(size=tuple(w.shape)).astype("float32") * 0.5 for w in model.weights]
        )
        model.compile(lib.optimizers.SGD(0.1), loss)
        return model

    return build


def _pair(keras, cls, loss, activation=None, **kwargs):
    ours = getattr(numkeras.wrappers, cls)(
        _builder(numkeras, loss, activation), fit_kwargs=dict(FIT), **kwargs
    )
    theirs = getattr(keras.wrappers, cls)(
        _builder(keras, loss, activation), fit_kwargs=dict(FIT), **kwargs
    )
    return ours, theirs


def test_classifier_matches_keras(keras):
    ours, theirs = _pair(keras, "SKLearnClassifier", "categorical_crossentropy", "softmax")
    ours.fit(X, LABELS)
    theirs.fit(X, LABELS)
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    np.testing.assert_allclose(
        ours.decision_function(X), theirs.decision_function(X), rtol=1e-4, atol=1e-5
    )
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    assert ours.score(X, LABELS) == pytest.approx(theirs.score(X, LABELS))
    assert ours.history_.history["loss"] == pytest.approx(theirs.history_.history["loss"], 1e-4)


def test_regressor_matches_keras_and_works_in_a_pipeline(keras):
    ours, theirs = _pair(keras, "SKLearnRegressor", "mse", model_kwargs={"hidden": 3})
    ours.fit(X, TARGET)
    theirs.fit(X, TARGET)
    assert ours.predict(X).shape == theirs.predict(X).shape == (40,)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-4, atol=1e-5)
    assert ours.score(X, TARGET) == pytest.approx(theirs.score(X, TARGET), rel=1e-4)
    pipe = make_pipeline(StandardScaler(), clone(ours)).fit(X, TARGET)
    assert pipe.predict(X).shape == (40,)


def test_transformer_matches_keras(keras):
    ours, theirs = _pair(keras, "SKLearnTransformer", "mse")
    np.testing.assert_allclose(
        ours.fit(X, TARGET).transform(X),
        theirs.fit(X, TARGET).transform(X),
        rtol=1e-4,
        atol=1e-5,
    )


def test_errors_as_keras(keras):
    from sklearn.exceptions import NotFittedError

    for lib in (numkeras, keras):
        est = lib.wrappers.SKLearnClassifier(_builder(lib, "categorical_crossentropy"))
        with pytest.raises(NotFittedError):
            est.predict(X)
        with pytest.raises(ValueError, match="Only binary and multiclass target types"):
            est.fit(X, TARGET)
        with pytest.raises(ValueError, match="Classifier can't train when only one class"):
            est.fit(X, np.zeros(40))

        def uncompiled(X, y, lib=lib):
            return lib.Sequential([lib.Input((4,)), lib.layers.Dense(1)])

        with pytest.raises(RuntimeError, match="Given model needs to be compiled"):
            lib.wrappers.SKLearnRegressor(uncompiled).fit(X, TARGET)


def test_without_scikit_learn_the_error_is_keras(monkeypatch):
    from numkeras.wrappers import sklearn_wrapper

    monkeypatch.setattr(sklearn_wrapper, "sklearn", None)
    with pytest.raises(ImportError, match=r"SKLearnRegressor requires `scikit-learn`"):
        numkeras.wrappers.SKLearnRegressor(lambda X, y: None)
