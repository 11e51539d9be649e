"""Identity, Lambda and Embedding: harness, torch and real Keras, configs, masks, errors."""

import numpy as np
import pytest

import numkeras
from numkeras import layers, ops
from tests.layers.harness import run_layer_test

INDICES = np.array([[1, 2, 0, 4, 2], [3, 3, 0, 0, 1]])

CASES = [
    (layers.Identity, {}, (2, 3), (2, 3), 0),
    (layers.Lambda, {"function": ops.square}, (2, 3), (2, 3), 0),
    (layers.Lambda, {"function": ops.sum, "arguments": {"axis": -1}}, (2, 3, 4), (2, 3), 0),
    (layers.Lambda, {"function": ops.relu, "output_shape": (3, 4)}, (2, 3, 4), (2, 3, 4), 0),
]


@pytest.mark.parametrize("cls, kwargs, shape, out_shape, n_weights", CASES)
def test_harness(cls, kwargs, shape, out_shape, n_weights):
    run_layer_test(
        cls,
        kwargs,
        input_shape=shape,
        expected_output_shape=out_shape,
        expected_num_weights=n_weights,
    )


@pytest.mark.parametrize(
    "kwargs",
    [{"input_dim": 5, "output_dim": 4}, {"input_dim": 5, "output_dim": 2, "mask_zero": True}],
)
def test_embedding_harness(kwargs):
    layer = run_layer_test(
        layers.Embedding,
        kwargs,
        input_data=INDICES,
        expected_output_shape=(2, 5, kwargs["output_dim"]),
        expected_num_weights=1,
    )
    assert layer.weights[0].path.endswith("/embeddings")


def test_embedding_default_initializer_is_keras_uniform():
    layer = layers.Embedding(50, 8)
    layer(INDICES)
    init = layer.get_config()["embeddings_initializer"]
    assert init["class_name"] == "RandomUniform"
    assert (init["config"]["minval"], init["config"]["maxval"]) == (-0.05, 0.05)
    values = layer.embeddings.numpy()
    assert values.min() >= -0.05 and values.max() <= 0.05 and values.std() > 0.02


def test_embedding_matches_torch_forward_and_weight_gradient(torch):
    layer = layers.Embedding(5, 3)
    layer(INDICES)
    weights = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
    layer.set_weights([weights])
    r = np.random.default_rng(1).normal(size=(2, 5, 3)).astype("float32")
    with numkeras.GradientTape() as tape:
        loss = ops.sum(layer(INDICES) * r)
    grad = tape.gradient(loss, layer.embeddings)
    w = torch.tensor(weights, requires_grad=True)
    y = torch.nn.functional.embedding(torch.tensor(INDICES), w)
    (y * torch.tensor(r)).sum().backward()  # repeated indices accumulate
    np.testing.assert_allclose(layer(INDICES).numpy(), y.detach().numpy())
    np.testing.assert_allclose(grad, w.grad.numpy(), rtol=1e-6, atol=1e-6)


def test_embedding_mask_zero():
    layer = layers.Embedding(5, 2, mask_zero=True)
    out = layer(INDICES)
    np.testing.assert_array_equal(layer.compute_mask(INDICES).numpy(), INDICES != 0)
    np.testing.assert_array_equal(out._keras_mask.numpy(), INDICES != 0)
    assert layers.Embedding(5, 2).compute_mask(INDICES) is None


def test_embedding_weights_argument_float_indices_and_training():
    table = np.arange(10, dtype="float32").reshape(5, 2)
    layer = layers.Embedding(5, 2, weights=table)
    np.testing.assert_array_equal(layer(np.array([[4.0, 0.0]])).numpy(), [[[8, 9], [0, 1]]])
    numkeras.utils.set_random_seed(0)
    model = numkeras.Sequential(
        [
            numkeras.Input((5,), dtype="int32"),
            layers.Embedding(5, 3),
            layers.Flatten(),
            layers.Dense(1),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(INDICES, np.array([[1.0], [-1.0]]), epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # inside Keras's torch backend
def test_embedding_matches_real_keras(keras):
    theirs = keras.layers.Embedding(5, 3, mask_zero=True)
    expected = keras.ops.convert_to_numpy(theirs(INDICES))
    ours = layers.Embedding.from_config({**theirs.get_config(), "name": "ours"})
    ours(INDICES)
    ours.set_weights([keras.ops.convert_to_numpy(w) for w in theirs.get_weights()])
    np.testing.assert_array_equal(ours(INDICES).numpy(), expected)
    np.testing.assert_array_equal(
        ours.compute_mask(INDICES).numpy(), keras.ops.convert_to_numpy(theirs.compute_mask(INDICES))
    )
    assert sorted(ours.get_config()) == sorted(theirs.get_config())


def test_embedding_rejects_out_of_range_indices():
    layer = layers.Embedding(5, 2, name="emb")
    with pytest.raises(ValueError, match=r'"emb": indices must be in \[0, input_dim=5\).* 5'):
        layer(np.array([[0, 5]]))
    with pytest.raises(ValueError, match="from -1"):
        layer(np.array([[-1, 2]]))


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"input_dim": 0, "output_dim": 2}, "input_dim"),
        ({"input_dim": 3, "output_dim": 2.5}, "output_dim"),
    ],
)
def test_embedding_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=f"Embedding: `{name}`"):
        layers.Embedding(**kwargs)


def triple(x, factor=3.0):
    return x * factor


def test_lambda_arguments_mask_training_and_output_shape():
    x = np.ones((2, 3), "float32")
    assert layers.Lambda(triple, arguments={"factor": 2.0})(x).numpy().tolist() == [[2.0] * 3] * 2
    seen = {}

    def spy(inputs, mask=None, training=None):
        seen.update(mask=mask, training=training)
        return inputs

    layers.Lambda(spy)(x, training=True)
    assert seen == {"mask": None, "training": True}
    assert layers.Lambda(triple, output_shape=lambda s: s).compute_output_shape((None, 3)) == (
        None,
        3,
    )
    flat = layers.Lambda(lambda t: ops.reshape(t, (t.shape[0], -1)))
    assert flat.compute_output_shape((None, 3, 4)) == (None, 12)
    model = numkeras.Sequential([numkeras.Input((3, 4)), flat, layers.Dense(2)])
    assert model.predict(np.ones((5, 3, 4), "float32"), verbose=0).shape == (5, 2)


def test_lambda_config_stores_functions_by_name():
    layer = layers.Lambda(triple, output_shape=(3,), arguments={"factor": 2.0})
    config = layer.get_config()
    assert config["function"] == {
        "module": __name__,
        "class_name": "function",
        "config": "triple",
        "registered_name": "function",
    }
    clone = layers.Lambda.from_config(config, custom_objects={"triple": triple})
    assert clone.function is triple and clone.arguments == {"factor": 2.0}
    relu = layers.Lambda.from_config(layers.Lambda(numkeras.activations.relu).get_config())
    assert relu.function is numkeras.activations.relu
    with pytest.raises(ValueError, match="cannot find the function 'triple'"):
        layers.Lambda.from_config(config)
    with pytest.raises(ValueError, match="cannot find the function '<lambda>'"):
        layers.Lambda.from_config(layers.Lambda(lambda t: t).get_config())


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_lambda_refuses_keras_bytecode_unless_safe_mode_is_false(keras):
    config = keras.layers.Lambda(lambda t: t * 2 + 1).get_config()
    config.pop("dtype")
    with pytest.raises(ValueError, match="bytecode.*safe_mode=False"):
        layers.Lambda.from_config(config)
    layer = layers.Lambda.from_config(config, safe_mode=False)
    np.testing.assert_array_equal(layer(np.ones((1, 2), "float32")).numpy(), [[3.0, 3.0]])


def test_lambda_bad_function():
    with pytest.raises(ValueError, match="Lambda: `function` must be callable"):
        layers.Lambda("relu")
