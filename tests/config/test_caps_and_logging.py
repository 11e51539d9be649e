"""keras.config's debugging caps on fit/evaluate/predict and the interactive-logging switch,
against real Keras's counts."""

import logging
import os

import numpy as np
import pytest

import numkeras as nk
from numkeras.callbacks import Callback

X, Y = np.ones((80, 4), "float32"), np.ones((80, 1), "float32")


class Counting:
    """Counts epochs and batches (mixed into numkeras's and Keras's Callback)."""

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs += 1

    def on_train_batch_begin(self, batch, logs=None):
        self.batches += 1

    def on_test_batch_begin(self, batch, logs=None):
        self.test_batches += 1

    def on_predict_batch_begin(self, batch, logs=None):
        self.predict_batches += 1


class Counter(Counting, Callback):
    def __init__(self):
        super().__init__()
        self.epochs = self.batches = self.test_batches = self.predict_batches = 0


def _counts(lib, counter):
    model = lib.Sequential([lib.layers.Input((4,)), lib.layers.Dense(1)])
    model.compile("sgd", "mse")
    try:
        lib.config.set_max_epochs(2)
        lib.config.set_max_steps_per_epoch(3)
        with pytest.warns(UserWarning, match="Limiting"):
            model.fit(X, Y, batch_size=8, epochs=4, callbacks=[counter], verbose=0)
        model.evaluate(X, Y, batch_size=8, callbacks=[counter], verbose=0)
        predictions = model.predict(X, batch_size=8, callbacks=[counter], verbose=0)
        assert lib.config.max_epochs() == 2 and lib.config.max_steps_per_epoch() == 3
    finally:
        lib.config.set_max_epochs(None)
        lib.config.set_max_steps_per_epoch(None)
    return (
        counter.epochs,
        counter.batches,
        counter.test_batches,
        counter.predict_batches,
        len(predictions),
    )


def test_caps_limit_fit_evaluate_predict_as_keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")

    class KerasCounter(Counting, keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.epochs = self.batches = self.test_batches = self.predict_batches = 0

    assert _counts(nk, Counter()) == _counts(keras, KerasCounter())
    assert nk.config.max_epochs() is None


def test_disabled_interactive_logging_goes_to_the_logger(capsys, caplog):
    model = nk.Sequential([nk.layers.Input((4,)), nk.layers.Dense(1)])
    model.compile("sgd", "mse")
    assert nk.config.is_interactive_logging_enabled()
    nk.config.disable_interactive_logging()
    try:
        assert not nk.utils.is_interactive_logging_enabled()
        with caplog.at_level(logging.INFO, logger="numkeras"):
            model.fit(X, Y, batch_size=40, epochs=2, verbose=1)
    finally:
        nk.config.enable_interactive_logging()
    assert capsys.readouterr().out == ""
    messages = [r.getMessage() for r in caplog.records]
    assert messages[0] == "Epoch 1/2" and messages[2] == "Epoch 2/2"
    assert messages[1].startswith("2/2 ") and "loss:" in messages[1]
    model.fit(X, Y, batch_size=40, epochs=1, verbose=2)
    assert "2/2 - " in capsys.readouterr().out
