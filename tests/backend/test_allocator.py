"""glibc malloc settings (backend/allocator.py): steps reuse heap memory, users can opt out."""

import os
import platform
import subprocess
import sys

import pytest

from numkeras.backend import allocator

GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"

STEPS = """
import resource, numpy as np, numkeras as keras
from numkeras import layers
x = np.random.default_rng(0).random((128 * 8, 28, 28, 1), dtype=np.float32)
y = keras.utils.to_categorical(np.arange(128 * 8) % 10, 10)
model = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(32, 3, activation="relu"),
    layers.MaxPooling2D(2), layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2),
    layers.Flatten(), layers.Dropout(0.5), layers.Dense(10, activation="softmax")])
model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
model.fit(x, y, batch_size=128, verbose=0)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
model.fit(x, y, batch_size=128, epochs=2, verbose=0)
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 16)
"""


def faults_per_step(env):
    out = subprocess.run(
        [sys.executable, "-c", STEPS],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return float(out.stdout)


@pytest.mark.skipif(not GLIBC, reason="glibc's mallopt")
def test_training_steps_do_not_fault_in_fresh_pages():
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    # a step of the tutorial CNN touches about 100 MB; with glibc's defaults it faulted
    # 3,000-4,000 pages back in every step (11 ms of kernel time per step)
    assert faults_per_step(env) < 100


@pytest.mark.skipif(not GLIBC, reason="glibc's mallopt")
def test_the_users_malloc_settings_win(monkeypatch):
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "131072")
    assert allocator.keep_step_memory() is False
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_")
    assert allocator.keep_step_memory() is True


SETTING = """
import numpy as np, numkeras as keras
from numkeras.backend import allocator
print(allocator._state["applied"])
if {off}:
    keras.config.set_step_memory_reuse(False)
model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
model.compile(optimizer="sgd", loss="mse")
{call}
print(allocator._state["applied"], keras.config.step_memory_reuse())
"""


CALLS = (
    "model.predict(np.zeros((1, 2)), verbose=0)",
    "model.train_on_batch(np.zeros((1, 2)), np.zeros((1, 1)))",
    "model.test_on_batch(np.zeros((1, 2)), np.zeros((1, 1)))",
    "model.predict_on_batch(np.zeros((1, 2)))",
    # a GradientTape loop's optimizer step
    "model.optimizer.apply_gradients(zip([np.ones((2, 1)), np.ones(1)], model.trainable_weights))",
)


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize("off, applied", [(False, "True True"), (True, "False False")])
def test_a_setting_applied_by_the_first_step_not_by_import(off, applied, call):
    out = subprocess.run(
        [sys.executable, "-c", SETTING.format(off=off, call=call)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    assert out.stdout.split("\n")[:2] == ["False", applied]


def test_the_setting_takes_a_bool():
    with pytest.raises(TypeError, match="True or False"):
        allocator.set_step_memory_reuse("no")
