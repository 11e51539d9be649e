"""The functional graph as Keras 3 builds it: layers called with several tensor arguments,
`layer.input`/`output`, shared layers, feature extraction and truncation through
`model.layers[i].output`, nested structures, models called as layers, multi-output subclassed
models. Each snippet runs on real Keras (torch backend) and on numkeras."""

import json
import os

import numpy as np
import pytest

import numkeras


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    return pytest.importorskip("keras")


def _nodes(config, name):
    return json.dumps(next(la for la in config["layers"] if la["name"] == name)["inbound_nodes"])


def endpoint_snippet(K):
    """Keras's "endpoint layer" pattern: a layer taking targets and logits, dict in and out."""

    class Endpoint(K.layers.Layer):
        def call(self, targets, logits, sample_weights=None):
            return K.ops.mean((targets - logits) ** 2, axis=-1)

    dense = K.layers.Dense(3, name="d")
    x = K.Input((4,), name="x")
    t = K.Input((3,), name="t")
    y = dense(x)
    e = Endpoint(name="endpoint")(t, y, sample_weights=None)
    return dense, K.Model({"x": x, "t": t}, {"loss": e, "pred": y}, name="m")


def test_several_tensor_arguments_are_node_inputs(keras):
    (d1, ours), (_, theirs) = endpoint_snippet(numkeras), endpoint_snippet(keras)
    assert ours.output_names == theirs.output_names == ["endpoint", "d"]
    assert ours.output_shape == theirs.output_shape
    assert ours.input_shape == theirs.input_shape
    a, b = ours.get_config(), theirs.get_config()
    assert _nodes(a, "endpoint") == _nodes(b, "endpoint")
    assert a["input_layers"] == b["input_layers"] and a["output_layers"] == b["output_layers"]
    node = ours.get_layer("endpoint")._inbound_nodes[0]
    assert [t.name for t in node.input_tensors] == ["t", y_name(d1)]
    assert node.call_kwargs == {"sample_weights": None}  # non-tensors kept as constants
    x = {"x": np.ones((2, 4), "float32"), "t": np.zeros((2, 3), "float32")}
    out = ours.predict(x, verbose=0)
    theirs.set_weights(ours.get_weights())
    want = theirs.predict(x, verbose=0)
    for key in ("loss", "pred"):
        np.testing.assert_allclose(out[key], want[key], rtol=1e-5, atol=1e-6)


def y_name(dense):
    return dense.output.name


def mha_snippet(K):
    q = K.Input((5, 8), name="q")
    v = K.Input((6, 8), name="v")
    k = K.Input((6, 8), name="k")
    mask = K.Input((5, 6), name="mask", dtype="bool")
    out = K.layers.MultiHeadAttention(2, 4, name="mha")(q, v, key=k, attention_mask=mask)
    return K.Model([q, v, k, mask], out)


def test_multi_head_attention_keyword_tensors(keras, tmp_path):
    ours, theirs = mha_snippet(numkeras), mha_snippet(keras)
    assert [la.name for la in ours.layers] == [la.name for la in theirs.layers]
    assert _nodes(ours.get_config(), "mha") == _nodes(theirs.get_config(), "mha")
    assert ours.compute_output_spec(ours.inputs).shape == (None, 5, 8)
    theirs.set_weights(ours.get_weights())
    rng = np.random.default_rng(0)
    x = [
        rng.normal(size=(2, 5, 8)).astype("float32"),
        rng.normal(size=(2, 6, 8)).astype("float32"),
        rng.normal(size=(2, 6, 8)).astype("float32"),
        rng.random((2, 5, 6)) > 0.3,
    ]
    np.testing.assert_allclose(
        ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-4, atol=1e-5
    )
    theirs.save(tmp_path / "mha.keras")
    loaded = numkeras.models.load_model(tmp_path / "mha.keras")
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-4, atol=1e-5
    )


def shared_snippet(K):
    dense = K.layers.Dense(3, name="shared")
    a = K.Input((4,), name="a")
    b = K.Input((4,), name="b")
    ya, yb = dense(a), dense(b)
    return dense, K.Model([a, b], K.layers.Add(name="add_ab")([ya, yb]))


def test_shared_layer_nodes_and_errors(keras):
    for K in (numkeras, keras):
        dense, model = shared_snippet(K)
        assert len(dense._inbound_nodes) == 2
        assert dense.input.name == "a"  # as Keras: the first call's
        assert dense.output is dense._inbound_nodes[0].output_tensors[0]
        assert dense._inbound_nodes[1].input_tensors[0].name == "b"
        assert dense._inbound_nodes[1].parent_nodes[0].operation.name == "b"
        with pytest.raises(AttributeError):
            _ = K.layers.Dense(2).output
        for attr in ("output_shape", "input_shape", "get_output_at"):
            assert not hasattr(dense, attr)
    (_, ours), (_, theirs) = shared_snippet(numkeras), shared_snippet(keras)
    assert _nodes(ours.get_config(), "shared") == _nodes(theirs.get_config(), "shared")


def trained_snippet(K):
    inputs = K.Input((6,), name="in")
    x = K.layers.Dense(8, activation="relu", name="h1")(inputs)
    x = K.layers.Dense(5, activation="relu", name="h2")(x)
    outputs = K.layers.Dense(2, name="out")(x)
    return K.Model(inputs, outputs)


def test_feature_extraction_and_truncation(keras):
    model = trained_snippet(numkeras)
    model.compile("adam", "mse")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 6)).astype("float32")
    model.fit(x, rng.normal(size=(16, 2)), epochs=2, verbose=0)
    features = numkeras.Model(inputs=model.inputs, outputs=[layer.output for layer in model.layers])
    truncated = numkeras.Model(model.input, model.layers[-2].output)
    theirs = trained_snippet(keras)
    theirs.set_weights(model.get_weights())
    their_features = keras.Model(theirs.inputs, [la.output for la in theirs.layers])
    ours_all, theirs_all = features.predict(x, verbose=0), their_features.predict(x, verbose=0)
    assert len(ours_all) == len(theirs_all) == 4
    for a, b in zip(ours_all, theirs_all):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(truncated.predict(x, verbose=0), ours_all[2])
    assert truncated.output_shape == (None, 5) and features.output_names == [
        "in",
        "h1",
        "h2",
        "out",
    ]
    assert model.get_layer(index=1).name == "h1" and model.get_layer(name="out").units == 2


def nested_snippet(K):
    """A model used as a layer inside another, and a functional model of nested structures."""
    inner_in = K.Input((4,), name="inner_in")
    inner = K.Model(inner_in, K.layers.Dense(3, name="inner_dense")(inner_in), name="inner")
    a = K.Input((4,), name="a")
    b = K.Input((2,), name="b")
    h = inner(a)
    mixed = K.layers.Concatenate(name="cat")([h, b])
    outer = K.Model({"a": a, "b": b}, [mixed, {"h": h}], name="outer")
    c = K.Input((4,), name="c")
    d = K.Input((2,), name="d")
    again = outer({"a": c, "b": d})  # the outer model used as a layer in turn
    return inner, outer, K.Model([c, d], again[0], name="top")


def test_models_nest_both_ways(keras, tmp_path):
    ours, theirs = nested_snippet(numkeras), nested_snippet(keras)
    for a, b in zip(ours, theirs):
        assert a.output_shape == b.output_shape
        assert a.input_shape == b.input_shape
        assert [la.name for la in a.layers] == [la.name for la in b.layers]
    assert ours[1].output_names == theirs[1].output_names
    top_ours, top_theirs = ours[2], theirs[2]
    top_theirs.set_weights(top_ours.get_weights())
    x = [np.ones((2, 4), "float32"), np.full((2, 2), 2.0, "float32")]
    np.testing.assert_allclose(
        top_ours.predict(x, verbose=0), top_theirs.predict(x, verbose=0), rtol=1e-5
    )
    top_ours.save(tmp_path / "top.keras")
    loaded = keras.models.load_model(tmp_path / "top.keras")
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), top_ours.predict(x, verbose=0), rtol=1e-5
    )
    back = numkeras.models.load_model(tmp_path / "top.keras")
    np.testing.assert_allclose(back.predict(x, verbose=0), top_ours.predict(x, verbose=0))


def multi_output_subclass(K):
    class TwoHeads(K.Model):
        def __init__(self):
            super().__init__()
            self.body = K.layers.Dense(4, activation="relu")
            self.a = K.layers.Dense(1, name="a")
            self.b = K.layers.Dense(2, name="b")

        def call(self, x):
            h = self.body(x)
            return self.a(h), self.b(h)

    return TwoHeads()


@pytest.mark.parametrize("losses", [["mse", "mae"], ("mse", "mae")])
def test_subclassed_multi_output_model_with_a_list_of_losses(keras, losses):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 3)).astype("float32")
    y = [rng.normal(size=(8, 1)).astype("float32"), rng.normal(size=(8, 2)).astype("float32")]
    results = []
    for K in (numkeras, keras):
        model = multi_output_subclass(K)
        model.compile("sgd", loss=losses)
        model(x[:1])
        if not results:
            weights = model.get_weights()
        else:
            model.set_weights(weights)
        results.append(model.evaluate(x, y, verbose=0))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-5)  # the total loss
    model = multi_output_subclass(numkeras)
    model.compile("sgd", loss=losses)
    model.fit(x, y, epochs=2, verbose=0)  # trains


def test_a_graph_needing_an_input_not_among_the_inputs_is_disconnected():
    a, b = numkeras.Input((3,), name="a"), numkeras.Input((3,), name="b")
    out = numkeras.layers.Add()([numkeras.layers.Dense(3)(a), b])
    with pytest.raises(ValueError, match="Graph disconnected: the input 'b' is needed"):
        numkeras.Model(a, out)
    assert numkeras.Model([a, b], out).predict([np.ones((1, 3))] * 2, verbose=0).shape == (1, 3)
