"""BackupAndRestore: resume an interrupted `fit` after the last finished epoch.

The backup is one `.npz` file, replaced atomically: the model's weights, the optimizer's
variables (iteration count, learning rate, slots), the number of finished epochs, and the
state of every random generator training draws from (numkeras's global generator, which
shuffles the data; each layer's `SeedGenerator`, e.g. Dropout masks; Python's `random` and
NumPy's legacy global generator). Restoring all of it makes a resumed run, seeded with
`numkeras.utils.set_random_seed` as the first one was, end with bit-identical weights.
"""

import contextlib
import json
import os
import zipfile

import numpy as np

from numkeras import random as random_lib
from numkeras.callbacks.callback import Callback
from numkeras.saving.atomic import atomic_write, remove_stale, write_bytes

_FILE = "latest.backup.npz"


def save_training_state(model, path, epoch, batch):
    """Write weights, optimizer variables, epoch/batch and RNG states to `path` atomically."""
    arrays = {f"weights_{i}": v.numpy() for i, v in enumerate(model.weights)}
    optimizer = getattr(model, "optimizer", None)
    for i, v in enumerate(optimizer.variables if optimizer is not None else []):
        arrays[f"optimizer_{i}"] = np.asarray(v.numpy())
    rng = random_lib.get_generator_states(random_lib.seed_generators(model))
    meta = {"epoch": epoch, "batch": batch, "rng": rng}
    arrays["meta"] = np.array(json.dumps(meta))
    with atomic_write(path) as f:
        np.savez(f, **arrays)


def load_training_state(model, path):
    """Restore what `save_training_state` wrote; returns its metadata (epoch, batch).

    Everything is checked against the model, and the random states set (undone if one is
    malformed), before any variable is assigned."""
    with np.load(path, allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files}
    meta = json.loads(str(arrays.pop("meta")))
    count = lambda prefix: sum(key.startswith(prefix) for key in arrays)
    _expect(count("weights_"), len(model.weights), "weights", model)
    generators = random_lib.seed_generators(model)
    _expect(len(meta["rng"]["layers"]), len(generators), "SeedGenerator states", model)
    pairs = [(v, arrays[f"weights_{i}"]) for i, v in enumerate(model.weights)]
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and count("optimizer_"):
        if not optimizer.built:  # slots exist only once built
            optimizer.build(model.trainable_weights)
        _expect(count("optimizer_"), len(optimizer.variables), "optimizer variables", model)
        pairs += [(v, arrays[f"optimizer_{i}"]) for i, v in enumerate(optimizer.variables)]
    for variable, value in pairs:
        if tuple(value.shape) != tuple(variable.shape):
            raise ValueError(
                f"The backup's value for {variable.path} has shape "
                f"{value.shape}, but the variable has "
                f"shape {variable.shape}: it is not the model that was backed up."
            )
    values = [(variable, np.asarray(value, variable.data.dtype)) for variable, value in pairs]
    current = random_lib.get_generator_states(generators)
    try:
        random_lib.set_generator_states(meta["rng"], generators)
    except (TypeError, ValueError, KeyError, IndexError) as e:
        random_lib.set_generator_states(current, generators)
        raise ValueError(
            f"The backup's random generator states are malformed ({e}); nothing was restored."
        ) from e
    for variable, value in values:
        variable.assign(value)
    return meta


def _expect(saved, expected, what, model):
    if saved != expected:
        raise ValueError(
            f"The backup holds {saved} {what}, but model '{model.name}' has "
            f"{expected}: it is not the model that was backed up."
        )


class BackupAndRestore(Callback):
    """Callback to back up and restore the training state.

    At the end of each epoch (or every `save_freq` batches) the training state is saved to
    `backup_dir`, replacing the previous backup. When `fit` starts and a backup exists, the
    state is restored and training resumes at the epoch after the last one backed up. When
    `fit` finishes, the backup is deleted (unless `delete_checkpoint=False`); an exception or
    Ctrl-C keeps it.

    Args:
        backup_dir: the directory for the backup; don't share it with other runs or
            callbacks.
        save_freq: "epoch", or an int to also back up every that many batches (a resumed run
            then restarts the interrupted epoch from its first batch with those weights, as
            Keras does; bit-identical resumption needs "epoch").
        double_checkpoint: keep the previous backup too and fall back to it when the latest
            cannot be read.
        delete_checkpoint: delete the backup once `fit` completes.

    >>> BackupAndRestore("")
    Traceback (most recent call last):
    ValueError: Empty `backup_dir` argument passed
    """

    chief_only = True  # writes files or prints

    def __init__(
        self, backup_dir, save_freq="epoch", double_checkpoint=False, delete_checkpoint=True
    ):
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if save_freq != "epoch" and (
            isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq < 1
        ):
            raise ValueError(
                "Invalid value for argument `save_freq`. Received: "
                f"save_freq={save_freq}. Expected either 'epoch' or an integer "
                "value >= 1."
            )
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._path = os.path.join(self.backup_dir, _FILE)
        self._prev_path = self._path + ".bkp"
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        self._current_epoch = 0

    def on_train_begin(self, logs=None):
        try:
            self._load(self._path)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            if not (self.double_checkpoint and os.path.exists(self._prev_path)):
                raise
            self._load(self._prev_path)

    def _load(self, path):
        if not os.path.exists(path):
            return
        if not self.model.built:
            raise ValueError(
                "To use the BackupAndRestore callback, your model must be built "
                f"before you call `fit()`. Model {self.model.name} is unbuilt. "
                "You can build it beforehand by calling it on a batch of data."
            )
        meta = load_training_state(self.model, path)
        self._current_epoch = meta["epoch"]
        self.model._initial_epoch = meta["epoch"]

    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        self._last_batch_seen = 0
        if self.save_freq == "epoch":
            self._save()

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        added = batch + 1 if batch <= self._last_batch_seen else batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            self._save()

    def _save(self):
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint and os.path.exists(self._path):
            with open(self._path, "rb") as f:  # a copy: the latest stays in place meanwhile
                write_bytes(self._prev_path, f.read())
        save_training_state(self.model, self._path, self._current_epoch, self._last_batch_seen)

    def on_train_end(self, logs=None):
        if not self.delete_checkpoint:
            return
        for path in (self._path, self._prev_path):
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
            remove_stale(path)  # what backups killed mid-write left
        with contextlib.suppress(OSError):  # only if empty: never delete the user's files
            os.rmdir(self.backup_dir)
