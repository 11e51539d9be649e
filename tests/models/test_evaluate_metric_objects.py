"""Metric objects passed to compile are reported once, in the order Keras reports them."""

import os

import numpy as np
import pytest

import numkeras as nk

X = np.random.default_rng(0).random((12, 4)).astype("float32")
Y = np.arange(12) % 3


def _keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    return pytest.importorskip("keras")


def _pair(keras, metrics):
    ours = nk.Sequential([nk.layers.Input((4,)), nk.layers.Dense(3, activation="softmax")])
    theirs = keras.Sequential(
        [keras.layers.Input((4,)), keras.layers.Dense(3, activation="softmax")]
    )
    theirs.set_weights(ours.get_weights())
    ours.compile("sgd", "sparse_categorical_crossentropy", metrics=metrics(nk))
    theirs.compile("sgd", "sparse_categorical_crossentropy", metrics=metrics(keras))
    return ours, theirs


@pytest.mark.parametrize(
    "metrics",
    [
        lambda k: [k.metrics.SparseCategoricalAccuracy()],
        lambda k: [
            k.metrics.SparseCategoricalAccuracy(name="acc"),
            k.metrics.SparseTopKCategoricalAccuracy(k=2),
        ],
        lambda k: ["sparse_categorical_accuracy", k.metrics.SparseCategoricalCrossentropy()],
    ],
)
def test_evaluate_returns_each_metric_once_as_keras(metrics):
    keras = _keras()
    ours, theirs = _pair(keras, metrics)
    expected = theirs.evaluate(X, Y, verbose=0)
    got = ours.evaluate(X, Y, verbose=0)
    assert len(got) == len(expected)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert (
        ours.evaluate(X, Y, verbose=0, return_dict=True).keys()
        == theirs.evaluate(X, Y, verbose=0, return_dict=True).keys()
    )
    assert len(ours.metrics) == len(theirs.metrics) == 2
    history = ours.fit(X, Y, verbose=0).history
    assert sorted(history) == sorted(theirs.fit(X, Y, verbose=0).history)
    loss, acc = ours.evaluate(X, Y, verbose=0)[:2]
    assert isinstance(loss, float) and isinstance(acc, float)
