"""Loading weights or a training state is all or nothing: every array is read and checked
before the first variable changes, so a file that fails half-way leaves the model as it was."""

import json

import numpy as np
import pytest

import numkeras
from numkeras.callbacks.backup_and_restore import load_training_state, save_training_state


def _model(seed=0):
    numkeras.utils.set_random_seed(seed)
    model = numkeras.Sequential(
        [numkeras.Input((3,))] + [numkeras.layers.Dense(3) for _ in range(4)]
    )
    model.compile("adam", "mse")
    return model


def _corrupt_dataset(path, name):
    """Rewrite dataset `name` chunked with a fletcher32 checksum, then flip its stored bytes."""
    import h5py

    with h5py.File(path, "r+") as f:
        data = f[name][()]
        del f[name]
        ds = f.create_dataset(name, data=data, chunks=True, fletcher32=True)
        offset = ds.id.get_chunk_info(0).byte_offset
    with open(path, "r+b") as fh:
        fh.seek(offset)
        fh.write(b"\xff" * 8)


def _assert_unchanged(model, before):
    for value, saved in zip(model.get_weights(), before):
        np.testing.assert_array_equal(value, saved)


def test_weights_file_with_a_corrupt_last_dataset_changes_nothing(tmp_path):
    path = str(tmp_path / "m.weights.h5")
    _model(1).save_weights(path)
    _corrupt_dataset(path, "layers/dense_3/vars/1")
    model = _model(2)
    before = model.get_weights()
    with pytest.raises(ValueError, match="Cannot load weights"):
        model.load_weights(path)
    _assert_unchanged(model, before)


def test_legacy_h5_with_a_corrupt_last_dataset_changes_nothing(tmp_path):
    import h5py

    path = str(tmp_path / "m.h5")
    source = _model(1)
    source.save(path)
    with h5py.File(path, "r") as f:
        last = source.layers[-1].name
        name = f[f"model_weights/{last}"].attrs["weight_names"][-1].decode()
    _corrupt_dataset(path, f"model_weights/{last}/{name}")
    model = _model(2)
    before = model.get_weights()
    with pytest.raises(ValueError, match="Cannot load weights"):
        model.load_weights(path)
    _assert_unchanged(model, before)


def test_training_state_with_a_malformed_rng_state_changes_nothing(tmp_path):
    path = str(tmp_path / "state.npz")
    source = _model(1)
    source.fit(np.ones((4, 3)), np.ones((4, 3)), verbose=0)
    save_training_state(source, path, epoch=1, batch=0)
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    meta = json.loads(str(arrays["meta"]))
    meta["rng"]["global"] = {"bit_generator": "PCG64", "state": "not a state"}
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez(path, **arrays)

    model = _model(2)
    model.fit(np.ones((4, 3)), np.ones((4, 3)), verbose=0)
    before = model.get_weights() + [v.numpy() for v in model.optimizer.variables]
    draw = numkeras.random.global_generator().bit_generator.state
    with pytest.raises(ValueError, match="random"):
        load_training_state(model, path)
    _assert_unchanged(model, before[: len(model.weights)])
    for variable, saved in zip(model.optimizer.variables, before[len(model.weights) :]):
        np.testing.assert_array_equal(variable.numpy(), saved)
    assert numkeras.random.global_generator().bit_generator.state == draw
