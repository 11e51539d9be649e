"""A save killed with SIGKILL leaves its temporary file; the next save to the same path
removes the temporary files of processes that no longer run."""

import os
import signal
import subprocess
import sys

import numpy as np

import numkeras

# Starts an atomic write (or folder write) of `path` and stops there until killed.
_KILLED_WRITER = """
import sys, threading
from numkeras.saving import atomic
path, kind = sys.argv[1], sys.argv[2]
if kind == "file":
    with atomic.atomic_write(path) as f:
        f.write(b"half of a save")
        print("writing", flush=True)
        threading.Event().wait()
else:
    class Stop(dict):
        def items(self):
            print("writing", flush=True)
            threading.Event().wait()
    atomic.write_folder(path, Stop())
"""


def _killed_mid_save(path, kind="file"):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED_WRITER, str(path), kind],
        stdout=subprocess.PIPE,
        env=env,
        text=True,
    )
    assert proc.stdout.readline() == "writing\n"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stdout.close()


def _model():
    model = numkeras.Sequential([numkeras.Input((3,)), numkeras.layers.Dense(2)])
    model.compile("sgd", "mse")
    return model


def test_a_later_save_removes_the_temp_files_of_killed_saves(tmp_path):
    path = tmp_path / "model.keras"
    _killed_mid_save(path)
    first = os.listdir(tmp_path)
    assert len(first) == 1  # the dead process's temporary file
    _killed_mid_save(path)
    assert len(os.listdir(tmp_path)) == 1 and os.listdir(tmp_path) != first  # it took its place
    _model().save(path)
    assert os.listdir(tmp_path) == ["model.keras"]


def test_a_later_folder_save_removes_the_temp_folders_of_killed_saves(tmp_path):
    path = tmp_path / "model.keras"
    _killed_mid_save(path, kind="folder")
    assert len(os.listdir(tmp_path)) == 1
    _model().save(path, zipped=False)
    assert os.listdir(tmp_path) == ["model.keras"]


def test_temp_files_of_a_live_process_and_of_other_paths_are_kept(tmp_path):
    from numkeras.saving import atomic

    path = tmp_path / "model.keras"
    _killed_mid_save(tmp_path / "other.keras")
    _killed_mid_save(tmp_path / "model.keras.weights.h5")  # its name starts like path's
    with atomic.atomic_write(path) as f:  # this process's own save, under way
        f.write(b"data")
        _model().save(path)
        names = sorted(os.listdir(tmp_path))
    assert len(names) == 4 and names[3] == "model.keras"
    assert names[0].startswith(f".model.keras.{os.getpid()}.")
    assert names[1].startswith(".model.keras.weights.h5.")
    assert names[2].startswith(".other.keras.")


def test_backup_and_restore_removes_its_folder_after_a_killed_backup(tmp_path):
    backup_dir = tmp_path / "backup"
    backup_dir.mkdir()
    _killed_mid_save(backup_dir / "latest.backup.npz")
    assert len(os.listdir(backup_dir)) == 1
    _model().fit(
        np.ones((4, 3)),
        np.ones((4, 2)),
        epochs=2,
        verbose=0,
        callbacks=[numkeras.callbacks.BackupAndRestore(backup_dir)],
    )
    assert not backup_dir.exists()
