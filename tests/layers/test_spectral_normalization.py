"""SpectralNormalization against real Keras: weights, training-mode normalization of the
kernel and power-iteration vector, inference, config and `.keras` files both ways."""

import numpy as np
import pytest

import numkeras
from numkeras import layers
from tests.engine.gradcheck import rand
from tests.layers.keras_parity import get_keras


def _pair(keras, make):
    theirs = keras.layers.SpectralNormalization(make(keras), power_iterations=2)
    ours = layers.SpectralNormalization(make(numkeras), power_iterations=2)
    return ours, theirs


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda lib: lib.layers.Dense(3), (4, 5)),
        (lambda lib: lib.layers.Conv2D(2, 3), (2, 6, 6, 3)),
    ],
)
def test_matches_keras_in_training_and_inference(make, shape):
    keras = get_keras()
    x = rand(*shape, dtype="float32")
    ours, theirs = _pair(keras, make)
    theirs(x)
    ours(x)
    assert [(w.name, tuple(w.shape)) for w in ours.weights] == [
        (w.name, tuple(w.shape)) for w in theirs.weights
    ]
    ours.set_weights([keras.ops.convert_to_numpy(w) for w in theirs.weights])
    for training in (True, True, False):
        np.testing.assert_allclose(
            ours(x, training=training).numpy(),
            keras.ops.convert_to_numpy(theirs(x, training=training)),
            rtol=1e-5,
            atol=1e-6,
        )
    for a, b in zip(ours.weights, theirs.weights):
        np.testing.assert_allclose(
            a.numpy(), keras.ops.convert_to_numpy(b), rtol=1e-5, atol=1e-6, err_msg=a.name
        )
    assert ours.get_config()["power_iterations"] == theirs.get_config()["power_iterations"]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_keras_files_both_ways(tmp_path):
    keras = get_keras()
    x = rand(3, 5, dtype="float32")

    def build(lib):
        return lib.Sequential(
            [lib.Input((5,)), lib.layers.SpectralNormalization(lib.layers.Dense(4))]
        )

    ours = build(numkeras)
    ours.save(tmp_path / "ours.keras")
    loaded = keras.models.load_model(tmp_path / "ours.keras")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded.predict(x, verbose=0)),
        ours.predict(x, verbose=0),
        rtol=1e-5,
        atol=1e-6,
    )
    theirs = build(keras)
    theirs.save(tmp_path / "theirs.keras")
    mine = numkeras.models.load_model(tmp_path / "theirs.keras")
    np.testing.assert_allclose(
        mine.predict(x, verbose=0),
        keras.ops.convert_to_numpy(theirs.predict(x, verbose=0)),
        rtol=1e-5,
        atol=1e-6,
    )


def test_embeddings_are_normalized():
    layer = layers.SpectralNormalization(layers.Embedding(7, 3), power_iterations=5)
    layer(np.array([[1, 4, 6]]), training=True)
    singular = np.linalg.svd(layer.kernel.numpy(), compute_uv=False)[0]
    assert abs(singular - 1) < 0.05


def test_bad_arguments():
    with pytest.raises(ValueError, match="power_iterations"):
        layers.SpectralNormalization(layers.Dense(2), power_iterations=0)
    with pytest.raises(ValueError, match="nor 'embeddings'"):
        layers.SpectralNormalization(layers.Flatten())(np.ones((2, 3), "float32"))
