"""Data-parallel training over MPI (`numkeras.distribution`), run as `mpiexec -n 2` in
subprocesses: the same weights, metrics, evaluation and predictions as one process (dropout
included; a last batch of one row leaves process 1 without rows), identical weights on every
process (BatchNormalization's moving statistics too), only process 0 writing files and
printing, a killed or hung process stopping the job, and a restart resuming from the backup.
Skipped where mpi4py or mpiexec is missing.
"""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import numkeras
from numkeras import distribution, layers
from numkeras.distribution.data_parallel import split_rows

WORKER = textwrap.dedent("""
    import argparse, json, os, signal, sys, time
    import numpy as np
    import numkeras
    from numkeras import callbacks, layers
    from numkeras.distribution import DataParallel, set_distribution

    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--dist", action="store_true")
    parser.add_argument("--timeout", type=float, default=30)
    parser.add_argument("--backup")
    parser.add_argument("--files")
    parser.add_argument("--signal-at", type=int, help="process 1 signals itself at this step")
    parser.add_argument("--signal", default="SIGKILL", help="or 'hang': sleep for 10 minutes")
    args = parser.parse_args()

    calls = []
    if args.files:  # record every file-system write numkeras makes, per process
        for name in ("replace", "makedirs", "mkdir", "remove", "rename"):
            def spy(*a, _f=getattr(os, name), _n=name, **k):
                calls.append([_n, str(a[-1] if _n in ("replace", "rename") else a[0])])
                return _f(*a, **k)
            setattr(os, name, spy)
    if args.dist:
        set_distribution(DataParallel(timeout=args.timeout))
    rank = numkeras.distribution.distribution().process_id if args.dist else 0

    with np.load(os.path.join(os.path.dirname(numkeras.__file__), "datasets/data/mnist.npz")) as f:
        x, y = f["x_train"][:1200], f["y_train"][:1200]
    x = (x.astype("float32") / 255)[..., None]
    y = numkeras.utils.to_categorical(y, 10)
    x_train, y_train, x_val, y_val = x[:961], y[:961], x[961:], y[961:]  # last batch: 1 row

    class Signal(callbacks.Callback):
        step = 0
        def on_train_batch_end(self, batch, logs=None):
            Signal.step += 1
            if rank == 1 and Signal.step == args.signal_at and args.signal == "hang":
                time.sleep(600)  # stuck (a deadlock, a stalled file system): no launcher sees it
            if rank == 1 and Signal.step == args.signal_at:
                os.kill(os.getpid(), getattr(signal, args.signal))

    numkeras.utils.set_random_seed(1)
    cnn = numkeras.Sequential([
        numkeras.Input((28, 28, 1)), layers.Conv2D(4, 3, activation="relu"),
        layers.MaxPooling2D(2), layers.Flatten(), layers.Dropout(0.5),
        layers.Dense(10, activation="softmax")])
    cnn.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    cbs = [Signal()]
    if args.backup:
        cbs.append(callbacks.BackupAndRestore(args.backup))
    if args.files:
        cbs += [callbacks.ModelCheckpoint(os.path.join(args.files, "ckpt.weights.h5"),
                                          save_weights_only=True),
                callbacks.CSVLogger(os.path.join(args.files, "log.csv"))]
    history = cnn.fit(x_train, y_train, batch_size=64, epochs=3, callbacks=cbs,
                      validation_data=(x_val, y_val), verbose=2 if args.files else 0)
    if args.files:
        cnn.save(os.path.join(args.files, "model.keras"))
    result = {"history": history.history,
              "evaluate": cnn.evaluate(x_val, y_val, batch_size=50, verbose=0),
              "epochs": history.epoch}
    arrays = {"pred": cnn.predict(x_val, batch_size=50, verbose=0)}
    arrays.update({f"cnn{i}": w.numpy() for i, w in enumerate(cnn.weights)})

    # BatchNormalization, batches from a generator
    numkeras.utils.set_random_seed(2)
    bn = numkeras.Sequential([numkeras.Input((784,)), layers.Dense(16),
                              layers.BatchNormalization(), layers.Dense(10, activation="softmax")])
    bn.compile("sgd", "categorical_crossentropy", metrics=["accuracy"])
    batches = ((x_train[i:i + 100].reshape(-1, 784), y_train[i:i + 100])
               for i in range(0, 961, 100))
    result["bn_history"] = bn.fit(batches, epochs=1, verbose=0).history
    arrays.update({f"bn{i}": w.numpy() for i, w in enumerate(bn.weights)})

    np.savez(f"{args.out}.{rank}.npz", **arrays)
    with open(f"{args.out}.{rank}.json", "w") as f:
        json.dump({**result, "calls": calls}, f)
""")

MPIEXEC = shutil.which("mpiexec")
HAVE_MPI = MPIEXEC is not None and importlib.util.find_spec("mpi4py") is not None
needs_mpi = pytest.mark.skipif(
    not HAVE_MPI, reason="needs mpi4py and mpiexec: pip install 'numkeras[mpi]'"
)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(numkeras.__file__)))


def run(tmp, out, *args, processes=2, timeout=120):
    """Run the worker (under `mpiexec -n processes` when processes > 1); returns the
    completed process, its seconds, and its results per rank."""
    script = tmp / "worker.py"
    script.write_text(WORKER)
    env = {
        **os.environ,
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    command = [sys.executable, str(script), str(tmp / out), *args]
    if processes > 1:
        command = [MPIEXEC, "-n", str(processes), *command, "--dist"]
    start = time.monotonic()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
    seconds = time.monotonic() - start
    results = []
    for rank in range(processes):
        if not (tmp / f"{out}.{rank}.json").exists():
            break
        with np.load(tmp / f"{out}.{rank}.npz") as arrays:
            results.append({**json.loads((tmp / f"{out}.{rank}.json").read_text()), **dict(arrays)})
    return done, seconds, results


def check(done):
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One process and two processes, same script, seed and global batch."""
    tmp = tmp_path_factory.mktemp("distributed")
    single, _, [one] = run(tmp, "single", processes=1)
    check(single)
    dist, _, ranks = run(tmp, "dist")
    check(dist)
    return one, ranks, tmp


@pytest.mark.mpi
@pytest.mark.slow
@needs_mpi
def test_two_processes_train_as_one(runs):
    one, (rank0, _), _ = runs
    assert rank0["epochs"] == one["epochs"] == [0, 1, 2]
    for key in [k for k in one if k.startswith("cnn")] + ["pred"]:
        np.testing.assert_allclose(rank0[key], one[key], rtol=0, atol=1e-5, err_msg=key)
    for name, values in one["history"].items():  # metrics and losses are global
        np.testing.assert_allclose(rank0["history"][name], values, rtol=1e-5, err_msg=name)
    np.testing.assert_allclose(rank0["evaluate"], one["evaluate"], rtol=1e-5)


@pytest.mark.mpi
@pytest.mark.slow
@needs_mpi
def test_every_process_holds_the_same_weights(runs):
    _, (rank0, rank1), _ = runs
    for key in [k for k in rank0 if k.startswith(("cnn", "bn", "pred"))]:
        np.testing.assert_array_equal(rank0[key], rank1[key], err_msg=key)
    assert rank0["history"] == rank1["history"]
    assert rank0["bn_history"] == rank1["bn_history"]
    assert rank0["evaluate"] == rank1["evaluate"]


@pytest.mark.mpi
@pytest.mark.slow
@needs_mpi
def test_only_process_0_writes_files_and_prints(runs):
    tmp = runs[2]
    files = tmp / "files"
    files.mkdir()
    done, _, (rank0, rank1) = run(tmp, "files", "--files", str(files))
    check(done)
    assert rank1["calls"] == []
    written = {os.path.basename(path) for name, path in rank0["calls"] if name == "replace"}
    assert written == {"ckpt.weights.h5", "log.csv", "model.keras"}
    assert sorted(os.listdir(files)) == ["ckpt.weights.h5", "log.csv", "model.keras"]
    assert done.stdout.count("Epoch 1/3") == 1, done.stdout


@pytest.mark.mpi
@pytest.mark.slow
@needs_mpi
def test_killed_process_stops_the_job_and_a_restart_resumes(runs):
    _, (uninterrupted, _), tmp = runs
    backup = tmp / "backup"
    # 16 steps per epoch: process 1 dies in the second epoch, after the first was backed up
    done, seconds, _ = run(tmp, "killed", "--backup", str(backup), "--signal-at", "20")
    assert done.returncode != 0, (done.returncode, seconds, done.stderr)
    assert (backup / "latest.backup.npz").exists()
    done, _, (rank0, rank1) = run(tmp, "resumed", "--backup", str(backup))
    check(done)
    assert rank0["epochs"] == rank1["epochs"] == [1, 2]
    for key in [k for k in uninterrupted if k.startswith("cnn")]:
        np.testing.assert_allclose(rank0[key], uninterrupted[key], rtol=0, atol=1e-6)
        np.testing.assert_array_equal(rank0[key], rank1[key])


@pytest.mark.mpi
@pytest.mark.slow
@needs_mpi
def test_hung_process_makes_the_others_stop_at_the_timeout(runs):
    tmp = runs[2]
    done, seconds, _ = run(tmp, "hung", "--timeout", "3", "--signal-at", "5", "--signal", "hang")
    report = f"exit {done.returncode} after {seconds:.1f} s\n{done.stderr[-3000:]}"
    assert done.returncode != 0, report
    assert "did not complete within 3 s" in done.stderr, report


# --- without MPI ---------------------------------------------------------------------------
@pytest.mark.parametrize("total", [1, 2, 7, 64, 65])
@pytest.mark.parametrize("size", [1, 2, 3, 8])
def test_split_rows_covers_the_batch_evenly(total, size):
    parts = [split_rows(total, size, rank) for rank in range(size)]
    covered = [i for offset, rows in parts for i in range(offset, offset + rows)]
    assert covered == list(range(total))
    counts = [rows for _, rows in parts]
    assert max(counts) - min(counts) <= 1 and counts[0] == max(counts)


def test_one_process_data_parallel_changes_nothing():
    assert distribution.list_devices() == ["cpu:0"] and distribution.get_device_count() == 1
    assert distribution.list_devices("gpu") == []

    def train():
        numkeras.utils.set_random_seed(0)
        model = numkeras.Sequential([layers.Input((3,)), layers.Dropout(0.2), layers.Dense(2)])
        model.compile("adam", "mse")
        x = np.random.default_rng(0).standard_normal((20, 3)).astype("float32")
        model.fit(x, x[:, :2], batch_size=8, epochs=2, verbose=0)
        return [w.numpy() for w in model.weights]

    expected = train()
    strategy = distribution.DataParallel()
    assert (strategy.num_processes, strategy.process_id, strategy.batch_dim_name) == (1, 0, "batch")
    with strategy.scope():
        assert distribution.distribution() is strategy
        assert distribution.current() is None  # nothing to synchronise in one process
        for got, want in zip(train(), expected):
            np.testing.assert_array_equal(got, want)
    assert distribution.distribution() is None


def test_arguments_are_checked():
    with pytest.raises(ValueError, match="one device per process"):
        distribution.DataParallel(devices=["cpu:0", "cpu:1"])
    with pytest.raises(ValueError, match="timeout"):
        distribution.DataParallel(timeout=0)
    with pytest.raises(ValueError, match="does not match the number of devices"):
        distribution.DeviceMesh((2,), ["batch"], devices=["cpu:0"])
    with pytest.raises(ValueError, match="num_processes=2"):
        distribution.initialize(num_processes=2)
    with pytest.raises(ValueError, match="DataParallel"):
        distribution.set_distribution("data_parallel")
