"""Runs in a separate process, as users run scripts: Ctrl-C (SIGINT) in the middle of an epoch,
a loss that turns NaN with and without TerminateOnNaN, and progress output into a pipe."""

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

import numkeras

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

PRELUDE = """
import json, sys
import numpy as np
import numkeras
from numkeras import callbacks, layers

numkeras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
x = rng.standard_normal((512, 16)).astype("float32")
y = (x[:, :4].sum(1, keepdims=True) > 0).astype("float32")
model = numkeras.Sequential([layers.Input((16,)), layers.Dense(32, activation="relu"),
                             layers.Dense(1, activation="sigmoid")])
model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
out = sys.argv[1]
"""

SIGINT_SCRIPT = (
    PRELUDE
    + """
class Ready(callbacks.Callback):
    '''Says "ready" in the middle of the second epoch, once a checkpoint has been saved.'''
    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
    def on_train_batch_end(self, batch, logs=None):
        if self.epoch == 1 and batch == 10:
            print("ready", flush=True)

checkpoint = callbacks.ModelCheckpoint(out + "/ckpt.keras", save_freq=7)
try:
    model.fit(x, y, batch_size=4, epochs=10_000, verbose=0, callbacks=[checkpoint, Ready()])
except KeyboardInterrupt:
    json.dump({"epochs": model.history.epoch, "steps": int(model.optimizer.iterations),
               "finite": bool(all(np.isfinite(w).all() for w in model.get_weights()))},
              open(out + "/state.json", "w"))
    raise
"""
)


def run(script, *args, **kwargs):
    # SIGINT back to its default in the child, so Python turns it into KeyboardInterrupt even
    # when the test runner itself was started with SIGINT ignored (a background job).
    return subprocess.Popen(
        [sys.executable, "-c", script, *map(str, args)],
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        **kwargs,
    )


def test_sigint_mid_epoch_exits_with_keyboard_interrupt_and_the_checkpoint_loads(tmp_path):
    proc = run(SIGINT_SCRIPT, tmp_path)
    try:
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == -signal.SIGINT, err  # Python re-raises SIGINT when exiting
    assert err.rstrip().splitlines()[-1].startswith("KeyboardInterrupt"), err
    state = json.loads((tmp_path / "state.json").read_text())
    assert state["epochs"] == [0] and state["finite"]  # History has the finished epoch
    assert 128 + 10 < state["steps"] < 256  # stopped within the second epoch (128 per epoch)
    model = numkeras.models.load_model(tmp_path / "ckpt.keras")
    assert int(model.optimizer.iterations) % 7 == 0 and int(model.optimizer.iterations) > 128
    predictions = model.predict(np.ones((3, 16), "float32"), verbose=0)
    assert predictions.shape == (3, 1) and np.isfinite(predictions).all()
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]


NAN_SCRIPT = (
    PRELUDE
    + """
numkeras.config.set_nan_policy("warn")
x[70] = np.nan  # in batch 2 (0-based) of every epoch: batches of 32, no shuffling
given = {"none": [], "stop": [callbacks.TerminateOnNaN()],
         "raise": [callbacks.TerminateOnNaN(raise_error=True)]}[sys.argv[2]]
history = model.fit(x, y, batch_size=32, epochs=3, shuffle=False, verbose=0, callbacks=given)
print(json.dumps({"epochs": history.epoch, "steps": int(model.optimizer.iterations)}))
"""
)


@pytest.mark.parametrize("mode", ["none", "stop", "raise"])
def test_a_nan_loss_with_and_without_terminate_on_nan(tmp_path, mode):
    out, err = run(NAN_SCRIPT, tmp_path, mode).communicate(timeout=120)
    assert "`x` contains 16 NaN or infinite values" in err  # the NaN policy's warning
    if mode == "none":  # training goes on, with one warning
        assert json.loads(out) == {"epochs": [0, 1, 2], "steps": 48}
        assert err.count("The loss became nan at epoch 1, batch 2") == 1, err
        assert "TerminateOnNaN" in err
    elif mode == "stop":  # stops after the first bad batch, gracefully
        assert out.splitlines()[0] == "Epoch 1, batch 2: Invalid loss, terminating training"
        assert json.loads(out.splitlines()[1]) == {"epochs": [0], "steps": 3}
        assert "The loss became" not in err
    else:
        assert "RuntimeError: NaN or Inf loss encountered at epoch 1, batch 2." in err
        assert out == ""


PROGRESS_SCRIPT = (
    PRELUDE
    + """
model.fit(x, y, batch_size=64, epochs=2, validation_split=0.25, verbose=1)
model.evaluate(x, y, batch_size=64, verbose=1)
model.predict(x, batch_size=64, verbose=1)
model.evaluate(x, y, batch_size=64, verbose=2)
model.predict(x, batch_size=64, verbose=2)
"""
)


def test_progress_into_a_pipe_has_no_carriage_returns_or_backspaces(tmp_path):
    proc = run(PROGRESS_SCRIPT, tmp_path)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    for control in ("\r", "\b", "\x1b"):
        assert control not in out
    lines = out.splitlines()
    assert [line for line in lines if line.startswith("Epoch")] == ["Epoch 1/2", "Epoch 2/2"]
    assert len(lines) == 8, lines  # 2 x (header + epoch line), 2 evaluates, 2 predicts
    evaluate, predict = lines[4], lines[5]
    assert evaluate.startswith("8/8 ") and "accuracy: " in evaluate and "loss: " in evaluate
    assert predict.startswith("8/8 ") and "loss" not in predict
    assert lines[6].startswith("8/8 - ") and lines[7].startswith("8/8 - ")
