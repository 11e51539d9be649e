"""numkeras.datasets.cifar10 offline: a small archive in CIFAR's own layout stands in for the
163 MB download (checked by SHA-256), and batch files are unpickled without running code."""

import hashlib
import io
import pickle
import tarfile

import numpy as np
import pytest

from numkeras import backend
from numkeras.datasets import cifar, cifar10


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    home = tmp_path / "keras_home"
    monkeypatch.setenv("KERAS_HOME", str(home))
    return home


def batch_bytes(images, labels, protocol):
    """A batch as CIFAR's files hold it: bytes keys, (n, 3072) uint8 rows, a list of labels."""
    return pickle.dumps(
        {
            b"batch_label": b"batch",
            b"labels": [int(v) for v in labels],
            b"data": images.reshape(len(images), -1),
            b"filenames": [b"x.png"] * len(images),
        },
        protocol=protocol,
    )


def write_archive(path, rng, protocol=2, test_batch=None):
    """cifar-10-python.tar.gz's layout: a top folder holding data_batch_1..5 and test_batch."""
    batches = {
        f"data_batch_{i}": (
            rng.integers(0, 256, (3, 3, 32, 32), dtype=np.uint8),
            rng.integers(0, 10, 3),
        )
        for i in range(1, 6)
    }
    batches["test_batch"] = (
        rng.integers(0, 256, (2, 3, 32, 32), dtype=np.uint8),
        rng.integers(0, 10, 2),
    )
    with tarfile.open(path, "w:gz") as tar:
        for name, (images, labels) in batches.items():
            data = (
                test_batch
                if name == "test_batch" and test_batch
                else batch_bytes(images, labels, protocol)
            )
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return batches, hashlib.sha256(path.read_bytes()).hexdigest()


def serve(monkeypatch, tmp_path, **kwargs):
    archive = tmp_path / "cifar-10-python.tar.gz"
    batches, digest = write_archive(archive, np.random.default_rng(0), **kwargs)
    monkeypatch.setattr(cifar10, "ORIGIN", archive.as_uri())
    monkeypatch.setattr(cifar10, "FILE_HASH", digest)
    return archive, batches


@pytest.mark.parametrize("protocol", [2, 4])
def test_load_data_returns_keras_shapes_dtypes_and_values(
    keras_home, tmp_path, monkeypatch, protocol
):
    archive, batches = serve(monkeypatch, tmp_path, protocol=protocol)
    (x_train, y_train), (x_test, y_test) = cifar10.load_data()
    assert x_train.shape == (15, 32, 32, 3) and x_test.shape == (2, 32, 32, 3)
    assert y_train.shape == (15, 1) and y_test.shape == (2, 1)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype("uint8")}
    want = np.concatenate([batches[f"data_batch_{i}"][0] for i in range(1, 6)])
    np.testing.assert_array_equal(x_train, want.transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(y_train[:3, 0], batches["data_batch_1"][1])
    np.testing.assert_array_equal(x_test, batches["test_batch"][0].transpose(0, 2, 3, 1))
    archive.unlink()  # the second call reads the cache and downloads nothing
    (again, _), _ = cifar10.load_data()
    np.testing.assert_array_equal(again, x_train)


def test_channels_first_keeps_cifars_layout(keras_home, tmp_path, monkeypatch):
    _, batches = serve(monkeypatch, tmp_path)
    backend.set_image_data_format("channels_first")
    try:
        (x_train, _), _ = cifar10.load_data()
    finally:
        backend.set_image_data_format("channels_last")
    np.testing.assert_array_equal(x_train[:3], batches["data_batch_1"][0])


def test_a_wrong_download_is_refused_and_not_cached(keras_home, tmp_path, monkeypatch):
    serve(monkeypatch, tmp_path)
    monkeypatch.setattr(cifar10, "FILE_HASH", "0" * 64)
    with pytest.raises(ValueError, match="0" * 64):
        cifar10.load_data()
    assert not any(p.is_file() for p in (keras_home / "datasets").rglob("*"))


class RunsCode:
    def __reduce__(self):
        return (open, (str(MARKER), "w"))  # would create MARKER if unpickled normally


MARKER = None


def test_a_batch_file_that_would_run_code_is_refused(keras_home, tmp_path, monkeypatch):
    global MARKER
    MARKER = tmp_path / "ran"
    evil = pickle.dumps({b"data": RunsCode(), b"labels": [0]}, protocol=2)
    serve(monkeypatch, tmp_path, test_batch=evil)
    with pytest.raises(pickle.UnpicklingError, match=r"Refusing to load (io|builtins)\.open"):
        cifar10.load_data()
    assert not MARKER.exists()
    with pytest.raises(pickle.UnpicklingError):
        cifar.SafeUnpickler(io.BytesIO(pickle.dumps(print)), encoding="bytes").load()
