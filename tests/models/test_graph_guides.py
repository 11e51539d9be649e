"""The keras.io "Functional API" and "Sequential model" guides' graphs, rebuilt in our own
words and run on real Keras (torch backend) and numkeras: layer lists, shapes, summaries,
configs, predictions with the same weights, and clone_model / plot_model / .keras files for
graphs holding ops."""

import numpy as np
import pytest

import numkeras


def fresh(K):
    """K with its automatic names counting from the start, so both sides name layers alike
    whatever ran before."""
    K.backend.clear_session()
    return K


def ticket_model(K):
    """The guide's multi-input, multi-output model: title, body and tags in; priority and
    department out."""
    title = K.Input(shape=(None,), name="title")
    body = K.Input(shape=(None,), name="body")
    tags = K.Input(shape=(12,), name="tags")
    title_features = K.layers.LSTM(16)(K.layers.Embedding(100, 8)(title))
    body_features = K.layers.LSTM(8)(K.layers.Embedding(100, 8)(body))
    x = K.layers.concatenate([title_features, body_features, tags])
    priority = K.layers.Dense(1, name="priority")(x)
    department = K.layers.Dense(4, name="department")(x)
    return K.Model(
        inputs=[title, body, tags], outputs={"priority": priority, "department": department}
    )


def toy_resnet(K):
    """The guide's toy ResNet: residual additions of a block's input and output."""
    inputs = K.Input(shape=(16, 16, 3), name="img")
    x = K.layers.Conv2D(8, 3, activation="relu")(inputs)
    block_1 = K.layers.MaxPooling2D(2)(x)
    x = K.layers.Conv2D(8, 3, activation="relu", padding="same")(block_1)
    block_2 = K.layers.add([x, block_1])
    x = K.layers.GlobalAveragePooling2D()(block_2)
    return K.Model(inputs, K.layers.Dense(3)(x), name="toy_resnet")


def shared_embedding(K):
    shared = K.layers.Embedding(50, 4)
    a, b = K.Input(shape=(None,), dtype="int32"), K.Input(shape=(None,), dtype="int32")
    return K.Model([a, b], K.layers.Add()([shared(a), shared(b)]))


def sequential_feature_extractor(K):
    """The Sequential guide: a model with a known input shape, then a feature extractor over
    every layer's output, and one ending at a named layer."""
    model = K.Sequential(
        [
            K.Input(shape=(16, 16, 3)),
            K.layers.Conv2D(4, 3, strides=2, activation="relu"),
            K.layers.Conv2D(4, 3, activation="relu", name="my_intermediate"),
            K.layers.Conv2D(2, 3, activation="relu"),
        ]
    )
    every = K.Model(inputs=model.inputs, outputs=[la.output for la in model.layers])
    one = K.Model(inputs=model.inputs, outputs=model.get_layer("my_intermediate").output)
    return model, every, one


def _data(K, model, seed=0):
    rng = np.random.default_rng(seed)
    arrays = []
    for t in model.inputs:
        shape = (2,) + tuple(d or 5 for d in t.shape[1:])
        arrays.append(
            rng.integers(0, 40, shape).astype(t.dtype)
            if "int" in t.dtype or (t.shape[1] is None)
            else rng.normal(size=shape).astype("float32")
        )
    return arrays


@pytest.mark.parametrize("build", [ticket_model, toy_resnet, shared_embedding])
def test_functional_guide_graphs(keras, build):
    ours, theirs = build(fresh(numkeras)), build(fresh(keras))
    assert [type(la).__name__ for la in ours.layers] == [type(la).__name__ for la in theirs.layers]
    assert ours.output_shape == theirs.output_shape and ours.input_shape == theirs.input_shape
    assert ours.output_names == theirs.output_names
    assert ours.count_params() == theirs.count_params()
    theirs.set_weights(ours.get_weights())
    x = _data(numkeras, ours)
    a, b = ours.predict(x, verbose=0), theirs.predict(x, verbose=0)
    for u, v in zip(numkeras.tree.flatten(a), keras.tree.flatten(b)):
        np.testing.assert_allclose(u, v, rtol=1e-4, atol=1e-5)


def test_sequential_guide_feature_extraction(keras):
    ours, theirs = sequential_feature_extractor(numkeras), sequential_feature_extractor(keras)
    for a, b in zip(ours, theirs):
        assert a.output_shape == b.output_shape
    theirs[0].set_weights(ours[0].get_weights())
    x = np.random.default_rng(0).normal(size=(2, 16, 16, 3)).astype("float32")
    for u, v in zip(ours[1].predict(x, verbose=0), theirs[1].predict(x, verbose=0)):
        np.testing.assert_allclose(u, v, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(
        ours[2].predict(x, verbose=0), theirs[2].predict(x, verbose=0), rtol=1e-4, atol=1e-5
    )


def ops_graph(K):
    x = K.Input((6,), name="x")
    h = K.layers.Dense(4, name="h")(x)
    y = K.ops.concatenate([h, K.ops.mean(x, axis=-1, keepdims=True) * 2.0], axis=-1)
    return K.Model(x, K.layers.Dense(1, name="out")(y[:, 1:]))


def test_summary_of_an_ops_graph_matches_keras(keras):
    lines = []
    for K in (numkeras, keras):
        text = []
        ops_graph(fresh(K)).summary(print_fn=lambda s, text=text, **_: text.append(s))
        lines.append(
            [row.split("│")[2:4] for row in "\n".join(text).splitlines() if row.startswith("│")]
        )
    assert lines[0] == lines[1]  # shapes and parameter counts, row by row


def test_clone_and_plot_an_ops_graph(tmp_path):
    model = ops_graph(numkeras)
    clone = numkeras.models.clone_model(model)
    assert [type(op).__name__ for op in clone.operations] == [
        type(op).__name__ for op in model.operations
    ]
    clone.set_weights(model.get_weights())
    x = np.ones((3, 6), "float32")
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0))
    seq = sequential_feature_extractor(numkeras)[0]
    assert numkeras.models.clone_model(seq).output_shape == seq.output_shape
    pytest.importorskip("matplotlib")  # the plot extra
    numkeras.utils.plot_model(model, to_file=str(tmp_path / "graph.png"), show_shapes=True)
    assert (tmp_path / "graph.png").stat().st_size > 0
