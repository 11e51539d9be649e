"""Keras's "Customizing what happens in fit()" guide, run as tests: custom `train_step` and
`test_step` (with `GradientTape`, `compute_loss`, `self.metrics`), own metric trackers, and a
training loop written by hand without `fit`."""

import inspect

import numpy as np
import pytest

import numkeras
from numkeras import GradientTape, Input, Model, layers, metrics, ops
from numkeras.utils import set_random_seed

RNG = np.random.default_rng(0)
X = RNG.random((256, 32)).astype("float32")
Y = (X[:, :4].sum(1, keepdims=True) - 1.0).astype("float32")


class CustomModel(Model):
    """The guide's first example, word for word apart from the import."""

    def train_step(self, data):
        x, y = data
        with GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
        trainable_vars = self.trainable_variables
        gradients = tape.gradient(loss, trainable_vars)
        self.optimizer.apply_gradients(zip(gradients, trainable_vars))
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


def _functional(cls, seed=0):
    set_random_seed(seed)
    inputs = Input(shape=(32,))
    outputs = layers.Dense(1)(layers.Dense(8, activation="relu")(inputs))
    return cls(inputs, outputs)


def test_compute_loss_has_keras_3_signature():
    params = list(inspect.signature(Model.compute_loss).parameters)
    assert params == ["self", "x", "y", "y_pred", "sample_weight", "training"]


def test_functional_subclass_with_custom_train_step_trains():
    model = _functional(CustomModel)
    assert isinstance(model, CustomModel) and model.layers[0].name.startswith("input_layer")
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    history = model.fit(X, Y, epochs=3, batch_size=32, verbose=0)
    assert sorted(history.history) == ["loss", "mae"]  # the nested compile_metrics flattened
    assert all(isinstance(v, float) for v in history.history["loss"])
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_custom_train_step_that_copies_the_default_matches_builtin_fit():
    builtin, custom = _functional(Model), _functional(CustomModel)
    for model in (builtin, custom):
        model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    logs = [
        m.fit(X, Y, epochs=2, batch_size=64, shuffle=False, verbose=0).history
        for m in (builtin, custom)
    ]
    assert logs[0].keys() == logs[1].keys()
    for key in logs[0]:
        np.testing.assert_allclose(logs[0][key], logs[1][key], rtol=1e-6)
    for a, b in zip(builtin.get_weights(), custom.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_progress_bar_shows_tensor_and_numpy_results(capsys):
    class Reporting(CustomModel):
        def train_step(self, data):
            logs = super().train_step(data)
            return {**logs, "scale": np.float32(2.0), "tensor": ops.convert_to_tensor(0.25)}

    model = _functional(Reporting)
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    history = model.fit(X, Y, epochs=1, batch_size=128, verbose=2)
    line = capsys.readouterr().out
    assert "scale: 2.0000" in line and "tensor: 0.2500" in line and "mae: " in line
    assert history.history["tensor"] == [0.25]


class OwnTrackers(Model):
    """The guide's second example: own loss function and metric trackers, no compiled loss."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loss_tracker = metrics.Mean(name="loss")
        self.mae_metric = metrics.MeanAbsoluteError(name="mae")
        self.loss_fn = numkeras.losses.MeanSquaredError()

    def train_step(self, data):
        x, y = data
        with GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.loss_fn(y, y_pred)
        trainable_vars = self.trainable_variables
        gradients = tape.gradient(loss, trainable_vars)
        self.optimizer.apply(gradients, trainable_vars)
        self.loss_tracker.update_state(loss)
        self.mae_metric.update_state(y, y_pred)
        return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}


class OwnTrackersListed(OwnTrackers):
    @property
    def metrics(self):
        return [self.loss_tracker, self.mae_metric]


@pytest.mark.parametrize("cls", [OwnTrackersListed, OwnTrackers])
def test_own_metric_trackers_are_reset_every_epoch(cls):
    """With or without the `metrics` override: Keras 3 also tracks metric attributes."""
    model = _functional(cls)
    model.compile(optimizer="adam")
    assert [m.name for m in model.metrics][-2:] == ["loss", "mae"]
    history = model.fit(X, Y, epochs=2, batch_size=256, verbose=0)
    # one batch per epoch: a reset tracker reports exactly that batch's mean
    model.loss_tracker.reset_state()
    model.mae_metric.reset_state()
    pred = model(X).numpy()
    model.fit(X, Y, epochs=1, batch_size=256, verbose=0)
    assert np.isclose(model.mae_metric.result(), np.abs(pred - Y).mean(), rtol=1e-5)
    assert history.history["loss"][1] < history.history["loss"][0]


def test_sample_weights_reach_train_step_as_a_third_element():
    seen = []

    class Weighted(Model):
        def train_step(self, data):
            seen.append(len(data) if isinstance(data, tuple) else "bare")
            x, y, sample_weight = data if len(data) == 3 else (*data, None)
            with GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compute_loss(y=y, y_pred=y_pred, sample_weight=sample_weight)
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            return self.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    model = _functional(Weighted)
    model.compile("sgd", "mse")
    model.fit(X, Y, sample_weight=np.ones(256, "float32"), batch_size=128, verbose=0)
    model.fit(X, Y, batch_size=128, verbose=0)
    assert seen == [3, 3, 2, 2]


def test_train_step_gets_x_alone_without_targets():
    """As Keras's GAN example: with no `y`, `data` is the batch of `x` itself."""
    seen = []

    class Autoencoder(Model):
        def train_step(self, data):
            seen.append(type(data).__name__)
            with GradientTape() as tape:
                loss = ops.mean((self(data, training=True) - data) ** 2)
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            return {"reconstruction": loss}

    inputs = Input((32,))
    model = Autoencoder(inputs, layers.Dense(32)(inputs))
    model.compile("adam")
    history = model.fit(X, epochs=2, batch_size=128, verbose=0)
    assert seen == ["ndarray"] * 4 and len(history.history["reconstruction"]) == 2


class CustomEval(Model):
    """The guide's custom `test_step`."""

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        for metric in self.metrics:
            if metric.name != "loss":
                metric.update_state(y, y_pred)
            else:
                metric.update_state(loss)
        return {m.name: m.result() for m in self.metrics}


def test_custom_test_step_in_evaluate_and_validation():
    model = _functional(CustomEval)
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    logs = model.evaluate(X, Y, batch_size=64, verbose=0, return_dict=True)
    pred = model.predict(X, verbose=0)
    assert sorted(logs) == ["loss", "mae"]
    assert np.isclose(logs["loss"], np.mean((pred - Y) ** 2), rtol=1e-5)
    assert np.isclose(logs["mae"], np.mean(np.abs(pred - Y)), rtol=1e-5)
    assert model.evaluate(X, Y, batch_size=64, verbose=0) == [logs["loss"], logs["mae"]]
    history = model.fit(X, Y, validation_split=0.25, epochs=1, verbose=0)
    assert sorted(history.history) == ["loss", "mae", "val_loss", "val_mae"]


def test_subclassed_model_with_call_and_custom_train_step():
    # a fresh class: once `CustomModel(inputs, outputs)` has run, CustomModel derives from
    # Functional (as in Keras), so its subclasses need inputs and outputs too
    class Net(Model):
        train_step = CustomModel.train_step

        def __init__(self):
            super().__init__()
            self.hidden = layers.Dense(16, activation="relu")
            self.out = layers.Dense(1)

        def call(self, inputs):
            return self.out(self.hidden(inputs))

    set_random_seed(1)
    net = Net()
    net.compile(optimizer="adam", loss="mse", metrics=["mae"])
    history = net.fit(X, Y, epochs=3, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_training_loop_without_fit():
    """The "writing a training loop from scratch" guide: NumPy batches in, `.numpy()` out."""
    set_random_seed(0)
    labels = (X[:, 0] > X[:, 1]).astype("int64")
    model = numkeras.Sequential(
        [Input((32,)), layers.Dense(16, activation="relu"), layers.Dense(2)]
    )
    loss_fn = numkeras.losses.SparseCategoricalCrossentropy(from_logits=True)
    optimizer = numkeras.optimizers.Adam(learning_rate=1e-2)
    accuracy = metrics.SparseCategoricalAccuracy()
    first = None
    for epoch in range(15):
        for start in range(0, len(X), 64):
            x, y = X[start : start + 64], labels[start : start + 64]
            with GradientTape() as tape:
                logits = model(x, training=True)
                loss_value = loss_fn(y, logits)
            grads = tape.gradient(loss_value, model.trainable_weights)
            optimizer.apply_gradients(zip(grads, model.trainable_weights))
            accuracy.update_state(y, logits)
            first = loss_value.numpy() if first is None else first
        if epoch < 14:
            accuracy.reset_state()
    assert isinstance(logits.numpy(), np.ndarray) and logits.numpy().shape == (64, 2)
    assert float(loss_value.numpy()) < first
    assert float(accuracy.result()) > 0.85
