"""Image preprocessing layers inside models: Keras's training resolution, and .keras files."""

import numpy as np
import pytest

import numkeras
from numkeras import layers

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
IMAGES = np.random.default_rng(0).random((4, 8, 8, 3)).astype("float32")


def augmenter():
    return numkeras.Sequential(
        [
            numkeras.Input((8, 8, 3)),
            layers.RandomFlip("horizontal_and_vertical", seed=3),
            layers.RandomRotation(0.2, seed=4),
        ]
    )


def test_training_is_explicit_else_the_enclosing_calls_else_calls_default():
    """As Keras 3: augmentation layers' `call` defaults to training=True, so calling them or a
    model holding them augments; `training=False`, predict and evaluate do not."""
    model = augmenter()
    assert not np.allclose(np.asarray(model(IMAGES)), IMAGES)
    np.testing.assert_array_equal(np.asarray(model(IMAGES, training=False)), IMAGES)
    np.testing.assert_array_equal(model.predict(IMAGES, verbose=0), IMAGES)
    seen = []

    class Probe(layers.Layer):
        def call(self, inputs, training=None):
            seen.append(training)
            return inputs

    probe = Probe()
    model = numkeras.Sequential([numkeras.Input((8, 8, 3)), probe])
    seen.clear()  # (building ran `call` once for the output shape)
    probe(IMAGES)  # no value anywhere: call's own default (None), as Keras passes it
    model(IMAGES, training=True)
    model(IMAGES)
    assert seen == [None, True, None]


def test_a_model_with_augmentation_trains_and_saves_both_ways_with_keras(keras, tmp_path):
    model = numkeras.Sequential(
        [
            numkeras.Input((8, 8, 3)),
            layers.Resizing(6, 6),
            layers.RandomFlip(seed=1),
            layers.RandomTranslation(0.1, 0.1, seed=2),
            layers.RandomZoom(0.1, seed=3),
            layers.RandomContrast(0.2, seed=4),
            layers.RandomBrightness(0.1, seed=5),
            layers.RandomRotation(0.1, seed=6),
            layers.CenterCrop(4, 4),
            layers.Flatten(),
            layers.Dense(2),
        ]
    )
    model.compile("adam", "mse")
    model.fit(IMAGES, np.zeros((4, 2)), verbose=0)
    model.save(tmp_path / "ours.keras")
    theirs = keras.saving.load_model(tmp_path / "ours.keras")
    assert [type(la).__name__ for la in theirs.layers] == [type(la).__name__ for la in model.layers]
    want = model.predict(IMAGES, verbose=0)
    np.testing.assert_allclose(theirs.predict(IMAGES, verbose=0), want, rtol=1e-4, atol=1e-5)
    theirs.save(tmp_path / "theirs.keras")
    back = numkeras.models.load_model(tmp_path / "theirs.keras")
    np.testing.assert_allclose(back.predict(IMAGES, verbose=0), want, rtol=1e-4, atol=1e-5)
