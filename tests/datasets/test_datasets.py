"""numkeras.datasets.mnist: the bundled real MNIST, Keras's shapes and dtypes, offline."""

import hashlib
import os
import subprocess
import sys

import numpy as np
import pytest

from numkeras.datasets import mnist

# sha256 of each array's bytes (C order), computed once from the bundled mnist.npz. The arrays
# are Keras's MNIST: per-class counts and pixel statistics match the published data set.
ARRAY_SHA256 = {
    "x_train": "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
    "y_train": "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
    "x_test": "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
    "y_test": "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
}
SHAPES = {
    "x_train": (60000, 28, 28),
    "y_train": (60000,),
    "x_test": (10000, 28, 28),
    "y_test": (10000,),
}


@pytest.fixture(scope="module")
def data():
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    home = tmp_path / "keras_home"
    monkeypatch.setenv("KERAS_HOME", str(home))
    return home


@pytest.mark.parametrize("name", list(SHAPES))
def test_load_data_shapes_dtypes_and_content(data, name):
    array = data[name]
    assert isinstance(array, np.ndarray)
    assert array.shape == SHAPES[name]
    assert array.dtype == np.uint8
    assert hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest() == ARRAY_SHA256[name]


def test_load_data_matches_published_mnist_statistics(data):
    assert np.bincount(data["y_train"]).tolist() == [
        5923,
        6742,
        5958,
        6131,
        5842,
        5421,
        5918,
        6265,
        5851,
        5949,
    ]
    assert np.bincount(data["y_test"]).tolist() == [
        980,
        1135,
        1032,
        1010,
        982,
        892,
        958,
        1028,
        974,
        1009,
    ]
    assert data["x_train"].min() == 0 and data["x_train"].max() == 255
    assert data["x_train"].mean() == pytest.approx(33.318421449829934)
    assert data["y_train"][:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]


def test_load_data_is_offline_and_ignores_the_default_cache(keras_home, monkeypatch):
    # A broken cached mnist.npz and an unreachable origin: the bundled copy is still used.
    (keras_home / "datasets").mkdir(parents=True)
    (keras_home / "datasets" / "mnist.npz").write_bytes(b"not an npz")
    monkeypatch.setattr(mnist, "ORIGIN", "file:///nonexistent/mnist.npz")
    (x_train, _), _ = mnist.load_data()
    assert x_train.shape == (60000, 28, 28)


def write_small_npz(path):
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
        "y_train": np.arange(5, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (2, 28, 28), dtype=np.uint8),
        "y_test": np.arange(2, dtype=np.uint8),
    }
    np.savez(path, **arrays)
    return arrays, hashlib.sha256(open(path, "rb").read()).hexdigest()


def test_load_data_reads_a_named_file_from_the_cache(keras_home, monkeypatch):
    cached = keras_home / "datasets" / "my_mnist.npz"
    cached.parent.mkdir(parents=True)
    arrays, sha = write_small_npz(cached)
    monkeypatch.setattr(mnist, "FILE_HASH", sha)  # the cached copy is verified like a download
    (x_train, y_train), (x_test, y_test) = mnist.load_data("my_mnist.npz")
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    np.testing.assert_array_equal(y_test, arrays["y_test"])


def test_load_data_downloads_when_the_bundled_copy_is_missing(keras_home, tmp_path, monkeypatch):
    arrays, sha = write_small_npz(tmp_path / "remote.npz")
    monkeypatch.setattr(mnist, "BUNDLED", str(tmp_path / "not_installed.npz"))
    monkeypatch.setattr(mnist, "ORIGIN", (tmp_path / "remote.npz").as_uri())
    monkeypatch.setattr(mnist, "FILE_HASH", sha)
    (x_train, _), _ = mnist.load_data()
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    assert (keras_home / "datasets" / "mnist.npz").exists()


def test_load_data_download_with_wrong_hash_fails_cleanly(keras_home, tmp_path, monkeypatch):
    write_small_npz(tmp_path / "remote.npz")
    monkeypatch.setattr(mnist, "BUNDLED", str(tmp_path / "not_installed.npz"))
    monkeypatch.setattr(mnist, "ORIGIN", (tmp_path / "remote.npz").as_uri())
    with pytest.raises(ValueError, match=f"expected {mnist.FILE_HASH}"):
        mnist.load_data()
    assert os.listdir(keras_home / "datasets") == []


def test_load_data_rejects_a_path(keras_home):
    with pytest.raises(ValueError, match="Paths are no longer accepted"):
        mnist.load_data(os.path.join("somewhere", "mnist.npz"))


def test_load_data_imports_neither_h5py_nor_urllib_request():
    code = (
        "import sys\n"
        "from numkeras.datasets import mnist\n"
        "mnist.load_data()\n"
        "print(sorted(m for m in ('h5py', 'urllib.request') if m in sys.modules))\n"
    )
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=True
    )
    assert result.stdout.strip() == "[]"


def test_keras_module_layout():
    import numkeras.datasets

    assert numkeras.datasets.mnist.load_data is mnist.load_data
    assert mnist.ORIGIN == "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
    assert callable(numkeras.datasets.fashion_mnist.load_data)
