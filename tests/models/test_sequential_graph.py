"""Sequential as the graph Keras 3 makes of it: with a known input shape it has inputs,
outputs, shapes and each layer's output, usable to build new models; without one it builds
at its first call. Each snippet runs on real Keras (torch backend) and on numkeras."""

import os

import numpy as np
import pytest

import numkeras


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    return pytest.importorskip("keras")


def known_shape(K, one_by_one=False):
    layers = [K.layers.Dense(3, activation="relu", name="d1"), K.layers.Dense(2, name="d2")]
    if not one_by_one:
        return K.Sequential([K.Input((4,))] + layers, name="s")
    model = K.Sequential(name="s")
    model.add(K.Input((4,)))
    for layer in layers:
        model.add(layer)
    return model


@pytest.mark.parametrize("one_by_one", [False, True])
def test_known_input_shape_makes_a_graph(keras, one_by_one):
    ours, theirs = known_shape(numkeras, one_by_one), known_shape(keras, one_by_one)
    for attr in ("input_shape", "output_shape"):
        assert getattr(ours, attr) == getattr(theirs, attr)
    assert [t.shape for t in ours.inputs] == [t.shape for t in theirs.inputs]
    assert [t.shape for t in ours.outputs] == [t.shape for t in theirs.outputs]
    assert [len(la._inbound_nodes) for la in ours.layers] == [
        len(la._inbound_nodes) for la in theirs.layers
    ]
    assert [la.output.shape for la in ours.layers] == [la.output.shape for la in theirs.layers]
    theirs.set_weights(ours.get_weights())
    features = numkeras.Model(inputs=ours.inputs, outputs=[la.output for la in ours.layers])
    their_features = keras.Model(inputs=theirs.inputs, outputs=[la.output for la in theirs.layers])
    assert [la.name for la in features.layers][1:] == ["d1", "d2"]
    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    for a, b in zip(features.predict(x, verbose=0), their_features.predict(x, verbose=0)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.predict(x, verbose=0), features.predict(x, verbose=0)[-1])


def test_deferred_build_on_first_call(keras):
    for K in (numkeras, keras):
        model = K.Sequential([K.layers.Dense(3, name="g1"), K.layers.Dense(2, name="g2")])
        for attr in ("inputs", "outputs", "input_shape", "output_shape"):
            with pytest.raises(AttributeError):
                getattr(model, attr)
        assert not model.built
        model(np.ones((2, 5), "float32"))
        assert model.built and [len(la._inbound_nodes) for la in model.layers] == [1, 1]
        assert model.layers[0].kernel.shape == (5, 3)
        assert model.output_shape[1:] == (2,) and model.input_shape[1:] == (5,)


def test_build_then_call_symbolically(keras):
    for K in (numkeras, keras):
        model = K.Sequential([K.layers.Dense(3, name="h1")])
        model.build((None, 7))
        assert model.built and model.layers[0].kernel.shape == (7, 3)
        assert model.output_shape == (None, 3)
        y = model(K.Input((7,)))
        assert y.shape == (None, 3) and len(model._inbound_nodes) == 1


def test_pop_and_truncation_keep_the_graph():
    model = known_shape(numkeras)
    model.pop()
    assert model.output_shape == (None, 3) and model.outputs[0].shape == (None, 3)
    x = np.ones((2, 4), "float32")
    assert model.predict(x, verbose=0).shape == (2, 3)
    outer = numkeras.Model(model.inputs, numkeras.layers.Dense(1)(model.outputs[0]))
    assert outer.predict(x, verbose=0).shape == (2, 1)


def test_sequential_as_a_layer_in_a_functional_model(keras):
    results = []
    for K in (numkeras, keras):
        inner = known_shape(K)
        x = K.Input((4,), name="outer_in")
        model = K.Model(x, K.layers.Dense(1, name="top")(inner(x)))
        results.append(([la.name for la in model.layers], model.output_shape, model))
    assert results[0][:2] == results[1][:2]
    results[1][2].set_weights(results[0][2].get_weights())
    x = np.ones((3, 4), "float32")
    np.testing.assert_allclose(
        results[0][2].predict(x, verbose=0), results[1][2].predict(x, verbose=0), rtol=1e-5
    )
