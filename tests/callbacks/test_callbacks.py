"""Callbacks on small fits of a tiny Dense model: hooks, EarlyStopping, ModelCheckpoint,
ReduceLROnPlateau, LearningRateScheduler, CSVLogger, TerminateOnNaN, LambdaCallback, the
non-finite-loss warning, Ctrl-C during fit, and BackupAndRestore (resuming bit for bit, also
after a SIGKILL in a subprocess).
"""

import os
import signal
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import numkeras
from numkeras import callbacks, layers

RNG = np.random.default_rng(0)
X = RNG.standard_normal((32, 4)).astype("float32")
Y = (X @ np.array([[1.0], [-2.0], [0.5], [0.0]], "float32") + 0.1).astype("float32")


def tiny_model(seed=0, optimizer="sgd", loss="mse", metrics=None):
    numkeras.utils.set_random_seed(seed)
    model = numkeras.Sequential(
        [layers.Input((4,)), layers.Dense(8, activation="relu"), layers.Dense(1)]
    )
    model.compile(optimizer, loss, metrics=metrics)
    return model


class Script(callbacks.Callback):
    """Overwrites `logs[key]` at each epoch end with scripted values (placed before the
    callback under test, which sees the same dict); records the weights at each epoch end."""

    def __init__(self, key, values):
        super().__init__()
        self.key, self.values, self.weights = key, values, []

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = self.values[epoch]
        self.weights.append(self.model.get_weights())


def fit(model, cbs, epochs=5, **kwargs):
    kwargs.setdefault("batch_size", 8)
    return model.fit(X, Y, epochs=epochs, callbacks=cbs, verbose=0, shuffle=False, **kwargs)


# --- base class, CallbackList, hook order ----------------------------------------------------
def test_hook_order_matches_keras():
    # the sequence real Keras 3.15.1 produces for this fit/evaluate/predict (checked by hand)
    calls = []
    hooks = [
        name
        for name in dir(callbacks.Callback)
        if name.startswith("on_") and not name.startswith("on_batch")
    ]
    record = lambda name: (
        lambda *args, **kwargs: calls.append((name,) + tuple(a for a in args if isinstance(a, int)))
    )
    cb = callbacks.LambdaCallback(**{name: record(name) for name in hooks})
    model = tiny_model()
    x, y = X[:4], Y[:4]
    model.fit(
        x,
        y,
        batch_size=2,
        epochs=2,
        validation_data=(x, y),
        validation_batch_size=4,
        callbacks=[cb],
        verbose=0,
    )
    model.evaluate(x, y, batch_size=4, callbacks=[cb], verbose=0)
    model.predict(x, batch_size=4, callbacks=[cb], verbose=0)
    epoch = lambda e: [
        ("on_epoch_begin", e),
        ("on_train_batch_begin", 0),
        ("on_train_batch_end", 0),
        ("on_train_batch_begin", 1),
        ("on_train_batch_end", 1),
        ("on_test_begin",),
        ("on_test_batch_begin", 0),
        ("on_test_batch_end", 0),
        ("on_test_end",),
        ("on_epoch_end", e),
    ]
    assert calls == (
        [("on_train_begin",)]
        + epoch(0)
        + epoch(1)
        + [("on_train_end",)]
        + [
            ("on_test_begin",),
            ("on_test_batch_begin", 0),
            ("on_test_batch_end", 0),
            ("on_test_end",),
            ("on_predict_begin",),
            ("on_predict_batch_begin", 0),
            ("on_predict_batch_end", 0),
            ("on_predict_end",),
        ]
    )


def test_legacy_batch_hooks_and_model_params():
    seen = []

    class Legacy(callbacks.Callback):
        def on_batch_begin(self, batch, logs=None):
            seen.append(("begin", batch))

        def on_batch_end(self, batch, logs=None):
            seen.append(("end", batch, sorted(logs)))

        def on_train_begin(self, logs=None):
            seen.append(self.params)
            assert isinstance(self.model, numkeras.Model)

    fit(tiny_model(), [Legacy()], epochs=1, batch_size=16)
    assert seen == [
        {"verbose": 0, "epochs": 1, "steps": 2},
        ("begin", 0),
        ("end", 0, ["loss"]),
        ("begin", 1),
        ("end", 1, ["loss"]),
    ]


def test_callback_list_flattens_and_rejects_non_callbacks():
    history = callbacks.History()
    cbs = callbacks.CallbackList([[history]], add_history=True, add_progbar=True)
    assert cbs.callbacks[0] is history and len(cbs.callbacks) == 2  # History, ProgbarLogger
    with pytest.raises(TypeError, match="Callback instances"):
        callbacks.CallbackList([print])


def test_stop_training_from_a_batch_hook():
    stop = callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: setattr(model, "stop_training", batch == 1)
    )
    model = tiny_model()
    history = fit(model, [stop], epochs=5)
    assert history.epoch == [0]


# --- EarlyStopping ---------------------------------------------------------------------------
def test_early_stopping_stops_and_restores_best_weights():
    script = Script("val_loss", [1.0, 0.5, 0.7, 0.8, 0.9, 1.0])
    stopper = callbacks.EarlyStopping(patience=2, restore_best_weights=True, verbose=1)
    model = tiny_model()
    history = fit(model, [script, stopper], epochs=6, validation_data=(X, Y))
    assert history.epoch == [0, 1, 2, 3]
    assert (stopper.stopped_epoch, stopper.best_epoch, stopper.best) == (3, 1, 0.5)
    for restored, best in zip(model.get_weights(), script.weights[1]):
        np.testing.assert_array_equal(restored, best)


@pytest.mark.parametrize(
    "kwargs, values, epochs_run",
    [
        ({"patience": 0}, [3, 2, 2.5, 1], 3),  # no patience
        ({"patience": 1, "min_delta": 0.5}, [3, 2.8, 2.6, 2.4], 2),  # small gains don't count
        ({"patience": 2, "baseline": 1.0}, [3, 3.5, 4, 0.5], 2),  # best, but not the baseline
        ({"patience": 1, "start_from_epoch": 3}, [1, 2, 3, 4, 5], 5),  # warm-up, then a best
        ({"patience": 1, "mode": "max"}, [1, 2, 3, 2, 1], 4),
        ({"patience": 1, "monitor": "val_accuracy"}, [0.5, 0.6, 0.55, 0.5, 0.4], 3),  # auto: up
    ],
)
def test_early_stopping_rules(kwargs, values, epochs_run):
    key = kwargs.get("monitor", "val_loss")
    model = tiny_model(metrics=["accuracy"])
    history = fit(
        model,
        [Script(key, values), callbacks.EarlyStopping(**kwargs)],
        epochs=len(values),
        validation_data=(X, Y),
    )
    assert len(history.epoch) == epochs_run


def test_early_stopping_missing_metric_warns_and_unknown_direction_raises():
    with pytest.warns(UserWarning, match="not available"):
        fit(tiny_model(), [callbacks.EarlyStopping()], epochs=1)
    with pytest.raises(ValueError, match="automatically determine"):
        fit(tiny_model(), [callbacks.EarlyStopping(monitor="mystery")], epochs=1)
    with pytest.raises(ValueError, match="`mode` must be one of .*mode='sideways'"):
        callbacks.EarlyStopping(mode="sideways")  # Keras warns and falls back to "auto"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # Keras's own, under NumPy 2
def test_monitor_rules_match_real_keras(keras):

    class FakeModel:
        stop_training = False
        metrics = []
        optimizer = None

        def get_weights(self):
            return []

    sequences = [[3, 2, 2.5, 2.4, 2.6, 1, 1.5, 1.6, 1.7], [1, 1, 1, 1, 0.99995, 0.5, 0.6]]
    configs = [
        dict(patience=2, min_delta=0.1),
        dict(patience=1, baseline=2.2),
        dict(patience=3, start_from_epoch=2),
        dict(patience=1, mode="max"),
    ]
    for values in sequences:
        for config in configs:
            ours = callbacks.EarlyStopping(**config)
            theirs = keras.callbacks.EarlyStopping(**config)
            for cb in (ours, theirs):
                cb.set_model(FakeModel())
                cb.on_train_begin()
                for epoch, v in enumerate(values):
                    if not cb.model.stop_training:
                        cb.on_epoch_end(epoch, {"val_loss": v})
            assert (ours.stopped_epoch, ours.best, ours.wait) == (
                theirs.stopped_epoch,
                theirs.best,
                theirs.wait,
            ), (values, config)
        for config in [
            dict(patience=1),
            dict(patience=2, cooldown=1, factor=0.5),
            dict(patience=0, min_lr=0.004, factor=0.2),
        ]:
            lrs = []
            for cls, module in (
                (callbacks.ReduceLROnPlateau, numkeras),
                (keras.callbacks.ReduceLROnPlateau, keras),
            ):
                model = FakeModel()
                model.optimizer = module.optimizers.SGD(learning_rate=0.1)
                cb = cls(**config)
                cb.set_model(model)
                cb.on_train_begin()
                for epoch, v in enumerate(values):
                    cb.on_epoch_end(epoch, {"val_loss": v})
                    lrs.append(float(np.asarray(model.optimizer.learning_rate)))
            assert lrs[: len(values)] == lrs[len(values) :], (values, config)


# --- ModelCheckpoint -------------------------------------------------------------------------
def test_model_checkpoint_formats_names_from_epoch_and_logs(tmp_path):
    path = str(tmp_path / "ckpt-{epoch:02d}-{val_loss:.2f}.weights.h5")
    model = tiny_model()
    history = fit(
        model,
        [callbacks.ModelCheckpoint(path, save_weights_only=True)],
        epochs=3,
        validation_data=(X, Y),
    )
    expected = sorted(
        f"ckpt-{e + 1:02d}-{v:.2f}.weights.h5" for e, v in enumerate(history.history["val_loss"])
    )
    assert sorted(os.listdir(tmp_path)) == expected
    fresh = tiny_model(seed=1)
    fresh.load_weights(str(tmp_path / expected[-1]))
    for a, b in zip(fresh.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_model_checkpoint_save_best_only_and_threshold(tmp_path):
    path = str(tmp_path / "best-{epoch}.keras")
    script = Script("val_loss", [1.0, 1.2, 0.8, 0.8, 0.3])
    checkpoint = callbacks.ModelCheckpoint(path, save_best_only=True, initial_value_threshold=0.9)
    model = tiny_model()
    fit(model, [script, checkpoint], epochs=5, validation_data=(X, Y))
    assert sorted(os.listdir(tmp_path)) == ["best-3.keras", "best-5.keras"]
    loaded = numkeras.models.load_model(str(tmp_path / "best-5.keras"))
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))


def test_model_checkpoint_every_n_batches(tmp_path):
    path = str(tmp_path / "e{epoch}-b{batch}.weights.h5")
    fit(
        tiny_model(),
        [callbacks.ModelCheckpoint(path, save_weights_only=True, save_freq=3)],
        epochs=2,
    )  # 4 batches per epoch: saves after batches 3, 6 (= epoch 2, batch 2)
    assert sorted(os.listdir(tmp_path)) == ["e1-b3.weights.h5", "e2-b2.weights.h5"]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"filepath": "m.h5py"}, "must end in `.keras`"),
        ({"filepath": "m.keras", "save_weights_only": True}, "must end in `.weights.h5`"),
        ({"filepath": "m.keras", "save_freq": "batch"}, "Unrecognized save_freq"),
    ],
)
def test_model_checkpoint_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        callbacks.ModelCheckpoint(**kwargs)


def test_model_checkpoint_missing_key_in_template(tmp_path):
    path = str(tmp_path / "{val_auc}.keras")
    with pytest.raises(KeyError, match="Failed to format"):
        fit(tiny_model(), [callbacks.ModelCheckpoint(path)], epochs=1)


# --- learning rate callbacks -----------------------------------------------------------------
def test_reduce_lr_on_plateau_changes_the_rate():
    script = Script("val_loss", [1.0, 1.0, 1.0, 0.5, 0.6, 0.6, 0.6, 0.6])
    reducer = callbacks.ReduceLROnPlateau(factor=0.5, patience=2, cooldown=1, min_lr=0.002)
    model = tiny_model(optimizer=numkeras.optimizers.SGD(learning_rate=0.01))
    history = fit(model, [script, reducer], epochs=8, validation_data=(X, Y))
    # each epoch logs the rate it ran with; reduced at the end of epochs 3 (2 flat epochs),
    # 6 and 8 (after the cooldown epoch, 2 more flat ones), floored at min_lr
    assert history.history["learning_rate"] == pytest.approx(
        [0.01, 0.01, 0.01, 0.005, 0.005, 0.005, 0.0025, 0.0025]
    )
    assert float(model.optimizer.learning_rate) == pytest.approx(0.002)
    with pytest.raises(ValueError, match="factor >= 1.0"):
        callbacks.ReduceLROnPlateau(factor=1.5)


def test_learning_rate_scheduler():
    schedule = lambda epoch, lr: 0.01 / (epoch + 1)
    model = tiny_model()
    history = fit(model, [callbacks.LearningRateScheduler(schedule)], epochs=3)
    assert history.history["learning_rate"] == pytest.approx([0.01, 0.005, 0.01 / 3])
    old_api = callbacks.LearningRateScheduler(lambda epoch: 0.01 * 0.5**epoch)
    assert fit(tiny_model(), [old_api], epochs=2).history["learning_rate"] == pytest.approx(
        [0.01, 0.005]
    )
    with pytest.raises(ValueError, match="should be a float"):
        fit(tiny_model(), [callbacks.LearningRateScheduler(lambda e, lr: "fast")], epochs=1)


# --- CSVLogger -------------------------------------------------------------------------------
def test_csv_logger_rows_and_atomic_rewrites(tmp_path):
    path = tmp_path / "log.csv"
    snapshots = []
    after = callbacks.LambdaCallback(
        on_epoch_end=lambda e, logs: snapshots.append(
            (path.read_text(), sorted(os.listdir(tmp_path)))
        )
    )
    model = tiny_model(metrics=["mae"])
    history = fit(model, [callbacks.CSVLogger(path), after], epochs=3, validation_data=(X, Y))
    lines = path.read_text().splitlines()
    assert lines[0] == "epoch,loss,mae,val_loss,val_mae"
    h = history.history
    for epoch, line in enumerate(lines[1:]):
        values = [float(v) for v in line.split(",")[1:]]
        assert int(line.split(",")[0]) == epoch
        assert values == [
            h["loss"][epoch],
            h["mae"][epoch],
            h["val_loss"][epoch],
            h["val_mae"][epoch],
        ]
    # each epoch's rename leaves a complete file and no temporary files behind
    assert [len(text.splitlines()) for text, _ in snapshots] == [2, 3, 4]
    assert all(files == ["log.csv"] for _, files in snapshots)


def test_csv_logger_append_separator_and_missing_validation(tmp_path):
    path = tmp_path / "log.tsv"
    fit(tiny_model(), [callbacks.CSVLogger(path, separator="\t")], epochs=1)
    fit(tiny_model(), [callbacks.CSVLogger(path, separator="\t", append=True)], epochs=2)
    lines = path.read_text().splitlines()
    assert lines[0] == "epoch\tloss\tval_loss" and len(lines) == 4
    assert [line.split("\t")[0] for line in lines[1:]] == ["0", "0", "1"]
    assert all(line.endswith("\tNA") for line in lines[1:])
    fit(tiny_model(), [callbacks.CSVLogger(path, separator="\t")], epochs=1)  # overwrite
    assert len(path.read_text().splitlines()) == 2


# --- non-finite losses -----------------------------------------------------------------------
def exploding_model():
    return tiny_model(optimizer=numkeras.optimizers.SGD(learning_rate=1e30))


def test_terminate_on_nan_stops_at_the_first_bad_batch(capsys):
    batches = []
    count = callbacks.LambdaCallback(
        on_train_batch_end=lambda b, logs: batches.append(logs["loss"])
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's overflow warnings
        history = fit(exploding_model(), [count, callbacks.TerminateOnNaN()], epochs=3)
    assert np.isfinite(batches[:-1]).all() and not np.isfinite(batches[-1])
    assert history.epoch == [0]
    assert f"Epoch 1, batch {len(batches) - 1}: Invalid loss" in capsys.readouterr().out
    with pytest.raises(RuntimeError, match="at epoch 1, batch"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            fit(exploding_model(), [callbacks.TerminateOnNaN(raise_error=True)], epochs=3)


def test_fit_warns_once_about_a_non_finite_loss():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = fit(exploding_model(), [], epochs=2)
    ours = [w for w in caught if "The loss became" in str(w.message)]
    assert len(ours) == 1 and "TerminateOnNaN" in str(ours[0].message)
    assert "epoch 1, batch" in str(ours[0].message) and history.epoch == [0, 1]


# --- Ctrl-C ----------------------------------------------------------------------------------
class SigintAt(layers.Layer):
    """Identity layer that sends SIGINT to the process during its n-th training call."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n, self.calls = n, 0

    def call(self, inputs, training=False):
        if training:
            self.calls += 1
            if self.calls == self.n:
                os.kill(os.getpid(), signal.SIGINT)
        return inputs


@pytest.fixture
def python_sigint():
    """Python's own SIGINT handler, even when the test runner was started with SIGINT ignored
    (a background job), so that SIGINT becomes KeyboardInterrupt as in a terminal."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_keyboard_interrupt_finishes_the_batch_keeps_history_and_reraises(python_sigint):
    def model_with(layer):
        numkeras.utils.set_random_seed(3)
        model = numkeras.Sequential([layers.Input((4,)), layers.Dense(3), layer, layers.Dense(1)])
        model.compile("adam", "mse")
        return model

    handler = signal.getsignal(signal.SIGINT)
    model = model_with(SigintAt(6))  # 4 batches per epoch: the 2nd batch of epoch 2
    with pytest.raises(KeyboardInterrupt):
        fit(model, [], epochs=3)
    assert signal.getsignal(signal.SIGINT) is handler
    assert model.history.epoch == [0] and len(model.history.history["loss"]) == 1
    assert int(model.optimizer.iterations) == 6  # the interrupted step completed
    # the weights are exactly those after 6 whole steps
    reference = model_with(layers.Identity() if hasattr(layers, "Identity") else SigintAt(0))
    stop = callbacks.LambdaCallback(
        on_train_batch_end=lambda b, logs: setattr(
            reference, "stop_training", int(reference.optimizer.iterations) == 6
        )
    )
    fit(reference, [stop], epochs=3)
    for a, b in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(a, b)
    # Ctrl-C between steps (in a callback) raises at once
    interrupt = callbacks.LambdaCallback(
        on_epoch_begin=lambda e, logs: os.kill(os.getpid(), signal.SIGINT) if e == 1 else None
    )
    with pytest.raises(KeyboardInterrupt):
        fit(tiny_model(), [interrupt], epochs=3)


# --- BackupAndRestore ------------------------------------------------------------------------
def dropout_model(seed=7):
    numkeras.utils.set_random_seed(seed)
    model = numkeras.Sequential(
        [
            layers.Input((4,)),
            layers.Dense(8, activation="relu"),
            layers.Dropout(0.3),
            layers.Dense(1),
        ]
    )
    model.compile(numkeras.optimizers.Adam(0.01), "mse")
    return model


class CrashAt(callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise RuntimeError("simulated crash")


def backup_fit(model, backup_dir, extra=(), epochs=4, **kwargs):
    return model.fit(
        X,
        Y,
        batch_size=8,
        epochs=epochs,
        verbose=0,
        validation_split=0.25,
        callbacks=[callbacks.BackupAndRestore(backup_dir, **kwargs), *extra],
    )


def test_backup_and_restore_resumes_bit_for_bit(tmp_path):
    reference = dropout_model()
    backup_fit(reference, tmp_path / "a")
    assert not (tmp_path / "a").exists()  # deleted when fit completes
    with pytest.raises(RuntimeError, match="simulated crash"):
        backup_fit(dropout_model(), tmp_path / "b", [CrashAt(2)])
    assert os.listdir(tmp_path / "b") == ["latest.backup.npz"]
    resumed = dropout_model()
    history = backup_fit(resumed, tmp_path / "b")
    assert history.epoch == [2, 3]
    for a, b in zip(resumed.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert int(resumed.optimizer.iterations) == int(reference.optimizer.iterations)


def test_backup_and_restore_options(tmp_path):
    backup_fit(dropout_model(), tmp_path, epochs=2, delete_checkpoint=False)
    assert os.listdir(tmp_path) == ["latest.backup.npz"]
    history = backup_fit(dropout_model(), tmp_path, epochs=3, delete_checkpoint=False)
    assert history.epoch == [2]
    # double_checkpoint: a torn latest file falls back to the previous backup
    with pytest.raises(RuntimeError):
        backup_fit(dropout_model(), tmp_path / "d", [CrashAt(2)], double_checkpoint=True)
    assert sorted(os.listdir(tmp_path / "d")) == ["latest.backup.npz", "latest.backup.npz.bkp"]
    (tmp_path / "d" / "latest.backup.npz").write_bytes(b"torn")
    assert backup_fit(dropout_model(), tmp_path / "d", double_checkpoint=True).epoch == [1, 2, 3]
    # a different model can't take the backup; an unbuilt one can't take any
    with pytest.raises(RuntimeError):
        backup_fit(dropout_model(), tmp_path / "e", [CrashAt(1)])
    other = tiny_model()  # the same weight shapes, but SGD and no Dropout
    before = other.get_weights()
    with pytest.raises(ValueError, match="not the model that was backed up"):
        backup_fit(other, tmp_path / "e")
    for a, b in zip(other.get_weights(), before):  # nothing was assigned
        np.testing.assert_array_equal(a, b)
    unbuilt = numkeras.Sequential([layers.Dense(1)])
    unbuilt.compile("sgd", "mse")
    with pytest.raises(ValueError, match="must be built"):
        backup_fit(unbuilt, tmp_path / "e")
    with pytest.raises(ValueError, match="save_freq"):
        callbacks.BackupAndRestore(tmp_path, save_freq="batch")


def test_backup_every_n_batches_restarts_the_epoch(tmp_path):
    # 3 batches per epoch, saves after 2: the last save is inside epoch 2 (1-based), so as in
    # Keras the resumed run restarts that epoch with the saved weights
    with pytest.raises(RuntimeError):
        backup_fit(dropout_model(), tmp_path, [CrashAt(2)], save_freq=2)
    assert backup_fit(dropout_model(), tmp_path, save_freq=2).epoch == [1, 2, 3]


SCRIPT = """
    import os, signal, sys
    import numpy as np
    import numkeras
    from numkeras import callbacks, layers

    backup_dir, out, kill_after = sys.argv[1], sys.argv[2], int(sys.argv[3])
    numkeras.utils.set_random_seed(11)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 6)).astype("float32")
    y = (x[:, :2].sum(1, keepdims=True) > 0).astype("float32")
    model = numkeras.Sequential([layers.Input((6,)), layers.Dense(16, activation="relu"),
                                 layers.Dropout(0.25), layers.Dense(1, activation="sigmoid")])
    model.compile(numkeras.optimizers.Adam(0.01), "binary_crossentropy", metrics=["accuracy"])
    seen = []

    def on_batch(batch, logs):
        seen.append(batch)
        if len(seen) == kill_after:  # mid-epoch, as a crash or `kill -9` would
            os.kill(os.getpid(), signal.SIGKILL)

    history = model.fit(x, y, batch_size=16, epochs=5, verbose=0, validation_split=0.25,
                        callbacks=[callbacks.BackupAndRestore(backup_dir),
                                   callbacks.LambdaCallback(on_train_batch_end=on_batch)])
    np.savez(out, *model.get_weights())
    print(history.epoch)
"""


def test_backup_and_restore_after_sigkill_in_a_subprocess(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(SCRIPT))
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    run = lambda backup, out, kill: subprocess.run(
        [sys.executable, str(script), str(tmp_path / backup), str(tmp_path / out), str(kill)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    whole = run("whole", "whole.npz", -1)
    assert whole.returncode == 0, whole.stderr
    killed = run("backup", "never.npz", 8)  # 3 batches per epoch: killed in epoch 3
    assert killed.returncode == -signal.SIGKILL
    assert os.listdir(tmp_path / "backup") == ["latest.backup.npz"]
    resumed = run("backup", "resumed.npz", -1)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.strip() == "[2, 3, 4]" and not (tmp_path / "backup").exists()
    with np.load(tmp_path / "whole.npz") as a, np.load(tmp_path / "resumed.npz") as b:
        assert a.files == b.files
        for key in a.files:
            assert a[key].tobytes() == b[key].tobytes()
