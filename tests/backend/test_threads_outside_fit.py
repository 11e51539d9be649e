"""Training outside `fit` (the *_on_batch methods, a GradientTape loop's optimizer) picks the
BLAS and kernel thread count by load as `fit` does, at most once a second."""

import numpy as np
import pytest

import numkeras
from numkeras.backend import blas_threads
from numkeras.kernels import threads


@pytest.fixture(autouse=True)
def _restore():
    saved = dict(blas_threads._state)
    yield
    blas_threads._state.update(saved)
    blas_threads._apply(saved["applied"] or blas_threads.usable_cores())


def _model():
    model = numkeras.Sequential([numkeras.Input((3,)), numkeras.layers.Dense(2)])
    model.compile("adam", "mse")
    return model


def _loaded_machine(monkeypatch, cores, load):
    monkeypatch.setattr(blas_threads, "usable_cores", lambda: cores)
    monkeypatch.setattr(blas_threads, "other_load", lambda sample: (load, None))
    monkeypatch.delenv("NUMKERAS_BLAS_THREADS", raising=False)
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    blas_threads._state.update(fixed=None, seeded=False, checked=0.0, sample=None)


def _tape_step(model):
    x, y = np.ones((4, 3), "float32"), np.ones((4, 2), "float32")
    with numkeras.GradientTape() as tape:
        loss = numkeras.ops.mean((model(x, training=True) - y) ** 2)
    grads = tape.gradient(loss, model.trainable_weights)
    model.optimizer.apply_gradients(zip(grads, model.trainable_weights))


@pytest.mark.parametrize(
    "step",
    [
        lambda m: m.train_on_batch(np.ones((4, 3)), np.ones((4, 2))),
        lambda m: m.test_on_batch(np.ones((4, 3)), np.ones((4, 2))),
        lambda m: m.predict_on_batch(np.ones((4, 3))),
        _tape_step,
    ],
    ids=["train_on_batch", "test_on_batch", "predict_on_batch", "gradient_tape_loop"],
)
def test_steps_outside_fit_choose_threads_by_load(monkeypatch, step):
    model = _model()
    _loaded_machine(monkeypatch, 2, 0.0)
    blas_threads._apply(1)
    step(model)
    assert threads.workers() == 2  # an idle 2-core machine: both cores
    _loaded_machine(monkeypatch, 2, 2.0)
    step(model)
    assert threads.workers() == 1  # another process took a core
