"""Accuracy gates on MNIST subsets for the model APIs beyond Sequential: a functional model with
two named inputs and two named outputs (per-output losses, loss weights and metrics as dicts),
and a subclassed model trained by its own `train_step`. 6000 training images, 2000 test images."""

import numpy as np
import pytest

from numkeras import GradientTape, Input, Model, layers
from numkeras.datasets import mnist
from numkeras.utils import set_random_seed, split_dataset

TRAIN, TEST, NOISE = 6000, 2000, 8


@pytest.fixture(scope="module")
def data():
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    prepare = lambda x: (x.astype("float32") / 255)[..., None]  # noqa: E731
    return (
        prepare(x_train[:TRAIN]),
        y_train[:TRAIN].astype("int64"),
        prepare(x_test[:TEST]),
        y_test[:TEST].astype("int64"),
    )


def _targets(y):
    return {"digit": y, "even": (y % 2 == 0).astype("float32")[:, None]}


def _inputs(x, seed):
    noise = np.random.default_rng(seed).standard_normal((len(x), NOISE)).astype("float32")
    return {"image": x, "noise": noise}


@pytest.mark.slow
def test_functional_two_inputs_two_outputs_reaches_90_percent(data):
    x_train, y_train, x_test, y_test = data
    set_random_seed(0)
    image = Input((28, 28, 1), name="image")
    noise = Input((NOISE,), name="noise")
    features = layers.Dense(128, activation="relu")(layers.Flatten()(image))
    merged = layers.Concatenate()([features, layers.Dense(8, activation="relu")(noise)])
    merged = layers.Dropout(0.1)(merged)
    digit = layers.Dense(10, activation="softmax", name="digit")(merged)
    even = layers.Dense(1, activation="sigmoid", name="even")(merged)
    model = Model([image, noise], [digit, even])
    model.compile(
        optimizer="adam",
        loss={"digit": "sparse_categorical_crossentropy", "even": "binary_crossentropy"},
        loss_weights={"digit": 1.0, "even": 0.5},
        metrics={"digit": ["accuracy"], "even": ["accuracy"]},
    )
    (x_fit, y_fit), (x_val, y_val) = split_dataset((x_train, y_train), left_size=0.9)
    history = model.fit(
        _inputs(x_fit, 1),
        _targets(y_fit),
        epochs=10,
        batch_size=64,
        validation_data=(_inputs(x_val, 2), _targets(y_val)),
        verbose=0,
    )
    logs = model.evaluate(_inputs(x_test, 3), _targets(y_test), verbose=0, return_dict=True)
    assert sorted(history.history) == [
        "digit_accuracy",
        "digit_loss",
        "even_accuracy",
        "even_loss",
        "loss",
        "val_digit_accuracy",
        "val_digit_loss",
        "val_even_accuracy",
        "val_even_loss",
        "val_loss",
    ]
    assert np.isclose(logs["loss"], logs["digit_loss"] + 0.5 * logs["even_loss"], rtol=1e-4)
    assert logs["digit_accuracy"] >= 0.90, logs
    assert logs["even_accuracy"] >= 0.90, logs
    predicted = model.predict(_inputs(x_test, 3), verbose=0)
    assert [p.shape for p in predicted] == [(TEST, 10), (TEST, 1)]
    assert np.isclose((predicted[0].argmax(1) == y_test).mean(), logs["digit_accuracy"])


class DigitNet(Model):
    """Subclassed: layers as attributes, `call` with `training`, its own `train_step`."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.conv = layers.Conv2D(8, 3, activation="relu")
        self.pool = layers.MaxPooling2D(2)
        self.hidden = [layers.Flatten(), layers.Dense(64, activation="relu")]
        self.dropout = layers.Dropout(0.2)
        self.classify = layers.Dense(10, activation="softmax")

    def call(self, inputs, training=None):
        x = self.pool(self.conv(inputs))
        for layer in self.hidden:
            x = layer(x)
        return self.classify(self.dropout(x, training=training))

    def train_step(self, data):
        x, y = data
        with GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
        trainable_vars = self.trainable_variables
        self.optimizer.apply_gradients(zip(tape.gradient(loss, trainable_vars), trainable_vars))
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


@pytest.mark.slow
def test_subclassed_model_with_custom_train_step_reaches_90_percent(data):
    x_train, y_train, x_test, y_test = data
    set_random_seed(0)
    model = DigitNet()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, epochs=5, batch_size=64, verbose=0)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert sorted(history.history) == ["accuracy", "loss"]
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert accuracy >= 0.90, (loss, accuracy)
    assert len(model.layers) == 6 and model.count_params() == 8 * 9 + 8 + 1352 * 64 + 64 + 650
