"""The process role numkeras.distribution sets: a process that is not the chief writes no file
and runs no callback that writes or prints; gradients pass through the reduction it installs."""

import numpy as np
import pytest

import numkeras
from numkeras import callbacks
from numkeras.backend import process
from numkeras.callbacks.callback_list import CallbackList
from numkeras.optimizers import base_optimizer
from numkeras.saving.atomic import atomic_write


@pytest.fixture
def worker():
    process.set_chief(False)
    yield
    process.set_chief(True)


def test_a_worker_writes_no_file(worker, tmp_path):
    with atomic_write(tmp_path / "out.bin") as f:
        f.write(b"data")
    assert list(tmp_path.iterdir()) == []


def test_a_worker_keeps_only_callbacks_that_neither_write_nor_print(worker, tmp_path):
    kept = callbacks.EarlyStopping()
    given = [
        kept,
        callbacks.CSVLogger(str(tmp_path / "log.csv")),
        callbacks.ProgbarLogger(),
        callbacks.ModelCheckpoint(str(tmp_path / "m.keras")),
        callbacks.BackupAndRestore(str(tmp_path / "backup")),
    ]
    assert CallbackList(given, add_progbar=True).callbacks == [kept]


def test_the_installed_gradient_reduction_is_applied():
    seen = []
    base_optimizer.set_gradient_reduction(lambda g, v: seen.append(len(v)) or [2 * x for x in g])
    try:
        w = numkeras.Variable([1.0])
        numkeras.optimizers.SGD(0.5).apply([np.ones(1, "float32")], [w])
    finally:
        base_optimizer.set_gradient_reduction(None)
    assert seen == [1] and w.numpy().tolist() == [0.0]
