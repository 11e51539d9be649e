"""The Keras MNIST tutorial, as written, on a subset; plus its summary and fit semantics."""

import numpy as np
import pytest

from numkeras.backend import clear_session
from numkeras.datasets import mnist
from numkeras.layers import Activation, Convolution2D, Dense, Dropout, Flatten, MaxPooling2D  # noqa: F401
from numkeras.models import Sequential
from numkeras.utils import set_random_seed, to_categorical

SUMMARY = """\
Model: "sequential"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ conv2d (Conv2D)                 │ (None, 26, 26, 32)     │           320 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ max_pooling2d (MaxPooling2D)    │ (None, 13, 13, 32)     │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ conv2d_1 (Conv2D)               │ (None, 11, 11, 64)     │        18,496 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ max_pooling2d_1 (MaxPooling2D)  │ (None, 5, 5, 64)       │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ flatten (Flatten)               │ (None, 1600)           │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dropout (Dropout)               │ (None, 1600)           │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense (Dense)                   │ (None, 10)             │        16,010 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 34,826 (136.04 KB)
 Trainable params: 34,826 (136.04 KB)
 Non-trainable params: 0 (0.00 B)"""


def tutorial_model():
    model = Sequential()
    model.add(Convolution2D(32, kernel_size=(3, 3), activation="relu", input_shape=(28, 28, 1)))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Convolution2D(64, kernel_size=(3, 3), activation="relu"))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Flatten())
    model.add(Dropout(0.5))
    model.add(Dense(10, activation="softmax"))
    return model


@pytest.fixture(scope="module")
def data():
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_train[1] == 0
    x_train = np.expand_dims(x_train.astype("float32") / 255, axis=3)
    x_test = np.expand_dims(x_test.astype("float32") / 255, axis=3)
    y_train_cat = to_categorical(y_train)
    assert y_train_cat.shape == (60000, 10)
    return x_train, y_train, y_train_cat, x_test, y_test, to_categorical(y_test)


def test_summary_text_matches_keras(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    clear_session()
    tutorial_model().summary()
    assert capsys.readouterr().out.rstrip("\n") == SUMMARY


def test_summary_after_fit_counts_the_optimizer_as_keras_does(capsys, monkeypatch):
    """After a step Keras adds the optimizer's variables: Adam's two slots per weight, the
    int64 iteration and the learning rate (TensorFlow-Keras 3.15 prints these lines)."""
    monkeypatch.setenv("COLUMNS", "80")
    clear_session()
    model = tutorial_model()
    model.compile("adam", loss="categorical_crossentropy", metrics=["accuracy"])
    model.summary()
    assert "Optimizer params" not in capsys.readouterr().out  # not built before the first step
    model.train_on_batch(np.zeros((2, 28, 28, 1), "float32"), np.eye(10, dtype="float32")[:2])
    model.summary()
    assert capsys.readouterr().out.rstrip("\n").splitlines()[-4:] == [
        " Total params: 104,480 (408.13 KB)",
        " Trainable params: 34,826 (136.04 KB)",
        " Non-trainable params: 0 (0.00 B)",
        " Optimizer params: 69,654 (272.09 KB)",
    ]


@pytest.mark.slow
def test_tutorial_on_a_subset_learns(data, capsys):
    x_train, y_train, y_train_cat, x_test, y_test, y_test_cat = data
    clear_session()
    set_random_seed(0)
    model = tutorial_model()
    model.compile("adam", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(
        x_train[:6000], y_train_cat[:6000], batch_size=128, epochs=2, validation_split=0.1
    )
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "43/43" in out
    assert "\r" not in out and "\b" not in out  # captured output is not a terminal
    assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    score = model.evaluate(x_test[:2000], y_test_cat[:2000], verbose=0)
    assert isinstance(score, list) and len(score) == 2
    assert score[1] >= 0.88, score  # Keras 3 (torch backend) reaches 0.89 on this run
    predicted = np.argmax(model.predict(x_test[:20], verbose=0), axis=1)
    assert (predicted == y_test[:20]).mean() >= 0.85
    assert model.predict(x_test[:3], verbose=0).dtype == np.float32


@pytest.mark.slow
def test_one_full_epoch_reaches_97_percent(data):
    x_train, y_train, y_train_cat, x_test, y_test, y_test_cat = data
    clear_session()
    set_random_seed(1)
    model = tutorial_model()
    model.compile("adam", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train_cat, batch_size=128, epochs=1, validation_split=0.1, verbose=0)
    loss, accuracy = model.evaluate(x_test, y_test_cat, verbose=0)
    assert accuracy >= 0.97, (loss, accuracy)
