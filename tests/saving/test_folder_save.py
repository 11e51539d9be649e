"""`save(path, zipped=False)` replaces the whole folder at once: a save that fails part-way
leaves the previous model loadable and no temporary folder behind."""

import os
import resource
import signal

import numpy as np
import pytest

import numkeras


def _model(units):
    model = numkeras.Sequential([numkeras.Input((100,)), numkeras.layers.Dense(units)])
    model.compile("sgd", "mse")
    return model


@pytest.fixture
def file_size_limit():
    """Set a per-file size limit (as a full disk would stop a write), restored afterwards."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past it raises OSError

    def limit(nbytes):
        resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, hard))

    yield limit
    resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    signal.signal(signal.SIGXFSZ, handler)


def test_a_failure_writing_the_weights_keeps_the_previous_folder(tmp_path, file_size_limit):
    path = tmp_path / "model.keras"
    old = _model(2)
    old.save(path, zipped=False)
    x = np.ones((1, 100), "float32")
    expected = old.predict(x, verbose=0)

    new = _model(300)  # 120 KB of weights; its config and metadata are under 4 KB
    file_size_limit(16 * 1024)
    with pytest.raises(OSError):
        new.save(path, zipped=False)
    file_size_limit(resource.RLIM_INFINITY)

    np.testing.assert_array_equal(numkeras.saving.load_model(path).predict(x, verbose=0), expected)
    assert os.listdir(tmp_path) == ["model.keras"]


def test_a_folder_save_replaces_the_previous_folder(tmp_path):
    path = tmp_path / "model.keras"
    _model(2).save(path, zipped=False)
    (path / "stray.txt").write_text("from the previous folder")
    new = _model(3)
    new.save(path, zipped=False)
    assert sorted(os.listdir(path)) == ["config.json", "metadata.json", "model.weights.h5"]
    assert numkeras.saving.load_model(path).get_weights()[0].shape == (100, 3)
    assert os.listdir(tmp_path) == ["model.keras"]


def test_the_swap_without_renameat2_also_replaces_the_folder(tmp_path, monkeypatch):
    from numkeras.saving import atomic

    def no_c_library(*args, **kwargs):
        raise OSError("no renameat2 here")

    monkeypatch.setattr(atomic.ctypes, "CDLL", no_c_library)
    test_a_folder_save_replaces_the_previous_folder(tmp_path)
