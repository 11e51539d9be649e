"""An exception in a user callback during `fit` keeps what finished: the weights and optimizer
state of the steps that ran, and a History of the epochs whose training finished."""

import numpy as np
import pytest

import numkeras
from numkeras import layers

X = np.random.default_rng(0).standard_normal((32, 3)).astype("float32")
Y = X.sum(axis=1, keepdims=True)
BATCH = 8  # 4 steps per epoch


def _model():
    numkeras.utils.set_random_seed(0)
    model = numkeras.Sequential(
        [numkeras.Input((3,)), layers.Dense(4), layers.BatchNormalization(), layers.Dense(1)]
    )
    model.compile("adam", "mse", metrics=["mae"])
    return model


def _trained_for(steps):
    """The state after exactly `steps` steps over the unshuffled batches."""
    model = _model()
    for step in range(steps):
        rows = slice(step % 4 * BATCH, (step % 4 + 1) * BATCH)
        model.train_on_batch(X[rows], Y[rows])
    return model


class Fails(numkeras.callbacks.Callback):
    """Raises in `hook` during epoch 1 (at batch 2 for batch hooks)."""

    def __init__(self, hook):
        super().__init__()
        self.hook, self.epoch = hook, None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        self._maybe_fail("on_epoch_begin", None)

    def on_epoch_end(self, epoch, logs=None):
        self._maybe_fail("on_epoch_end", None)

    def on_train_batch_begin(self, batch, logs=None):
        self._maybe_fail("on_train_batch_begin", batch)

    def on_train_batch_end(self, batch, logs=None):
        self._maybe_fail("on_train_batch_end", batch)

    def _maybe_fail(self, hook, batch):
        if hook == self.hook and self.epoch == 1 and batch in (None, 2):
            raise RuntimeError(f"callback failed in {hook}")


@pytest.mark.parametrize(
    "hook, steps, epochs",
    [
        ("on_epoch_begin", 4, [0]),
        ("on_train_batch_begin", 6, [0]),
        ("on_train_batch_end", 7, [0]),
        ("on_epoch_end", 8, [0, 1]),  # epoch 1's training finished: History keeps it
    ],
)
def test_a_failing_callback_keeps_what_finished(hook, steps, epochs):
    model = _model()
    with pytest.raises(RuntimeError, match=f"callback failed in {hook}"):
        model.fit(
            X, Y, batch_size=BATCH, epochs=3, shuffle=False, verbose=0, callbacks=[Fails(hook)]
        )
    reference = _trained_for(steps)
    for got, expected in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(got, expected)
    for got, expected in zip(model.optimizer.variables, reference.optimizer.variables):
        np.testing.assert_array_equal(got.numpy(), expected.numpy())
    assert model.history.epoch == epochs
    assert all(len(values) == len(epochs) for values in model.history.history.values())
    assert set(model.history.history) == {"loss", "mae"}


def test_fit_after_a_failing_callback_continues_from_the_kept_state():
    model = _model()
    with pytest.raises(RuntimeError):
        model.fit(
            X,
            Y,
            batch_size=BATCH,
            epochs=3,
            shuffle=False,
            verbose=0,
            callbacks=[Fails("on_epoch_end")],
        )
    history = model.fit(X, Y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    reference = _trained_for(12)
    for got, expected in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(got, expected)
    assert history.epoch == [0]
