"""A catalogue of bad calls: each raises a clear error, changes nothing, and training goes on."""
import numpy as np
import pytest

import numkeras
from numkeras import layers
from numkeras.datasets import mnist  # noqa: F401
from numkeras.utils import to_categorical

RNG = np.random.default_rng(0)
X = RNG.random((16, 8, 8, 1), dtype="float32")
Y = to_categorical(RNG.integers(0, 3, 16), 3)


def cnn():
    numkeras.utils.set_random_seed(0)
    model = numkeras.Sequential([
        layers.Input((8, 8, 1)), layers.Conv2D(2, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Flatten(), layers.Dense(3, activation="softmax")])
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    return model


# (description, callable taking a compiled model, exception type, words in the message)
MODEL_CASES = [
    ("flat vectors to an image model", lambda m: m.fit(X.reshape(16, -1), Y, verbose=0),
     ValueError, ["conv2d", "(None, 8, 8, 1)", "(None, 64)", "reshape"]),
    ("wrong channel count", lambda m: m.fit(np.repeat(X, 3, -1), Y, verbose=0),
     ValueError, ["(None, 8, 8, 1)", "(None, 8, 8, 3)"]),
    ("an extra axis", lambda m: m.predict(X[:, None], verbose=0), ValueError, ["expected shape"]),
    ("wrong spatial size", lambda m: m.evaluate(X[:, :6], Y, verbose=0), ValueError,
     ["(None, 6, 8, 1)"]),
    ("x and y lengths differ", lambda m: m.fit(X, Y[:10], verbose=0), ValueError,
     ["same number of samples", "16", "10"]),
    ("empty data", lambda m: m.fit(X[:0], Y[:0], verbose=0), ValueError, ["empty"]),
    ("object array", lambda m: m.fit(X.astype(object), Y, verbose=0), TypeError, ["dtype"]),
    ("string array", lambda m: m.predict(np.array([["a"]]), verbose=0), TypeError, ["dtype"]),
    ("NaN in inputs", lambda m: m.fit(np.where(X > 0.5, np.nan, X), Y, verbose=0), ValueError,
     ["NaN"]),
    ("inf in labels", lambda m: m.fit(X, np.where(Y > 0, np.inf, Y), verbose=0), ValueError,
     ["infinite"]),
    ("one-hot width differs from units", lambda m: m.fit(X, to_categorical(
        RNG.integers(0, 5, 16), 5), verbose=0), ValueError, ["categorical_crossentropy"]),
    ("sparse labels to a one-hot loss", lambda m: m.fit(X, Y.argmax(1), verbose=0), ValueError,
     ["sparse_categorical_crossentropy"]),
    ("batch_size zero", lambda m: m.fit(X, Y, batch_size=0, verbose=0), ValueError,
     ["batch_size"]),
    ("batch_size negative", lambda m: m.predict(X, batch_size=-4, verbose=0), ValueError,
     ["batch_size"]),
    ("batch_size float", lambda m: m.evaluate(X, Y, batch_size=2.5, verbose=0), ValueError,
     ["batch_size"]),
    ("epochs negative", lambda m: m.fit(X, Y, epochs=-1, verbose=0), ValueError, ["epochs"]),
    ("validation_split 1", lambda m: m.fit(X, Y, validation_split=1.0, verbose=0), ValueError,
     ["validation_split"]),
    ("validation_split negative", lambda m: m.fit(X, Y, validation_split=-0.1, verbose=0),
     ValueError, ["validation_split"]),
    ("validation_split leaves nothing", lambda m: m.fit(X[:1], Y[:1], validation_split=0.1,
                                                        verbose=0), ValueError,
     ["validation_split"]),
    ("verbose 7", lambda m: m.fit(X, Y, verbose=7), ValueError, ["verbose"]),
    ("set_weights wrong count", lambda m: m.set_weights(m.get_weights()[:-1]), ValueError,
     ["expected", "3"]),
    ("set_weights wrong shape", lambda m: m.set_weights(
        [np.zeros((2, 2))] + m.get_weights()[1:]), ValueError, ["shape"]),
    ("layer set_weights wrong shape", lambda m: m.layers[-1].set_weights(
        [np.zeros((5, 3)), np.zeros(3)]), ValueError, ["dense", "(5, 3)"]),
    ("unknown layer name", lambda m: m.get_layer("nope"), ValueError, ["nope", "conv2d"]),
    ("layer index out of range", lambda m: m.get_layer(index=9), ValueError, ["9"]),
    ("unknown optimizer", lambda m: m.compile("adamm", "mse"), ValueError, ["adamm", "adam"]),
    ("unknown loss", lambda m: m.compile("adam", "categorical_crossentropyy"), ValueError,
     ["categorical_crossentropyy"]),
    ("unknown metric", lambda m: m.compile("adam", "mse", metrics=["acuracy"]), ValueError,
     ["acuracy"]),
    ("callbacks not Callback", lambda m: m.fit(X, Y, callbacks=[print], verbose=0), TypeError,
     ["Callback"]),
]

LAYER_CASES = [
    ("Dense units zero", lambda: layers.Dense(0), ["units", "0"]),
    ("Dense units negative", lambda: layers.Dense(-3), ["units"]),
    ("Dense units float", lambda: layers.Dense(2.5), ["units"]),
    ("unknown activation", lambda: layers.Dense(3, activation="relux"), ["relux"]),
    ("unknown initializer", lambda: layers.Dense(3, kernel_initializer="glorot"), ["glorot"]),
    ("Conv2D filters zero", lambda: layers.Conv2D(0, 3), ["filters"]),
    ("Conv2D kernel zero", lambda: layers.Conv2D(4, 0), ["kernel_size"]),
    ("Conv2D kernel tuple too long", lambda: layers.Conv2D(4, (3, 3, 3)), ["kernel_size"]),
    ("Conv2D strides negative", lambda: layers.Conv2D(4, 3, strides=-1), ["strides"]),
    ("Conv2D bad padding", lambda: layers.Conv2D(4, 3, padding="full"), ["padding", "full"]),
    ("Conv2D bad data_format", lambda: layers.Conv2D(4, 3, data_format="nhwc"),
     ["data_format"]),
    ("MaxPooling2D pool zero", lambda: layers.MaxPooling2D(0), ["pool_size"]),
    ("Dropout rate above one", lambda: layers.Dropout(1.5), ["rate", "1.5"]),
    ("Reshape two unknowns", lambda: layers.Reshape((-1, -1)), ["target_shape"]),
    ("unknown keyword", lambda: layers.Dense(3, unitz=4), ["unitz"]),
]


@pytest.mark.parametrize("name, call, error, words", MODEL_CASES, ids=[c[0] for c in MODEL_CASES])
def test_bad_model_call_is_refused_and_the_model_still_trains(name, call, error, words):
    model = cnn()
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(error) as info:
        call(model)
    message = str(info.value)
    for word in words:
        assert word in message, (word, message)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    history = model.fit(X, Y, batch_size=8, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


@pytest.mark.parametrize("name, make, words", LAYER_CASES, ids=[c[0] for c in LAYER_CASES])
def test_bad_layer_argument(name, make, words):
    with pytest.raises((ValueError, TypeError)) as info:
        make()
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_fit_before_compile():
    model = numkeras.Sequential([layers.Input((3,)), layers.Dense(1)])
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(np.ones((4, 3)), np.ones((4, 1)), verbose=0)


def test_kernel_larger_than_input():
    with pytest.raises(ValueError, match="larger than the input"):
        numkeras.Sequential([layers.Input((2, 2, 1)), layers.Conv2D(1, 3)])
    with pytest.raises(ValueError, match="pool_size"):
        numkeras.Sequential([layers.Input((1, 1, 1)), layers.MaxPooling2D(2)])


def test_dense_input_width_mismatch_names_the_layer():
    dense = layers.Dense(2)
    dense(np.ones((1, 3), "float32"))
    with pytest.raises(ValueError, match='layer "dense.*axis -1.*value 3.*\\(1, 4\\)'):
        dense(np.ones((1, 4), "float32"))


def test_input_one_rank_short_with_channel_one_is_adapted():
    model = cnn()
    assert model.predict(X[..., 0], verbose=0).shape == (16, 3)


def test_uint8_images_warn_once(monkeypatch):
    from numkeras.models import data

    monkeypatch.setattr(data, "_warned", set())
    model = cnn()
    images = (X * 255).astype("uint8")
    with pytest.warns(UserWarning, match="255"):
        model.predict(images, verbose=0)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.predict(images, verbose=0)  # only once


def test_to_categorical_bad_labels():
    with pytest.raises(ValueError):
        to_categorical([0, -1, 2])
    with pytest.raises(ValueError):
        to_categorical([0, 3], num_classes=3)
