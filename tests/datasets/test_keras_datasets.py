"""numkeras.datasets imdb, reuters, cifar100, boston_housing and california_housing, offline.

Each module's origin and hash are pointed at a small fake file served as a file:// URI, so
the real download path (get_file, hash check, cache) runs without the network. Real Keras 3
reads the same fake files (its get_file patched to return them) and must give the same data.
"""

import hashlib
import io
import json
import pickle
import tarfile

import numpy as np
import pytest

from numkeras import backend
from numkeras.datasets import boston_housing, california_housing, cifar100, imdb, npz, reuters


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    home = tmp_path / "keras_home"
    monkeypatch.setenv("KERAS_HOME", str(home))
    return home


def serve(monkeypatch, module, path, origin="ORIGIN", file_hash="FILE_HASH"):
    """Point `module`'s download at the file `path`, with its true sha256."""
    monkeypatch.setattr(module, origin, path.as_uri())
    monkeypatch.setattr(module, file_hash, hashlib.sha256(path.read_bytes()).hexdigest())


def ragged(rng, n, vocab=30):
    """n sequences of 1-12 word indices in 1..vocab, as an object array like IMDB's."""
    seqs = np.empty(n, dtype=object)
    seqs[:] = [rng.integers(1, vocab, rng.integers(1, 13)).tolist() for _ in range(n)]
    return seqs


def keras_reading(monkeypatch, name, path):
    """Real Keras's `keras.datasets.<name>` module, its get_file returning `path`."""
    import importlib

    module = importlib.import_module(f"keras.src.datasets.{name}")
    monkeypatch.setattr(module, "get_file", lambda *args, **kwargs: str(path))
    return module


def assert_same(ours, theirs):
    for a, b in zip(ours, theirs):
        for x, y in zip(a, b):
            assert type(x) is type(y) and x.dtype == y.dtype and x.shape == y.shape
            assert x.tolist() == y.tolist()


@pytest.fixture
def imdb_file(keras_home, tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    path = tmp_path / "imdb.npz"
    np.savez(
        path,
        x_train=ragged(rng, 9),
        y_train=rng.integers(0, 2, 9),
        x_test=ragged(rng, 7),
        y_test=rng.integers(0, 2, 7),
    )
    serve(monkeypatch, imdb, path)
    return path


IMDB_CASES = [
    {},
    {"num_words": 12},
    {"skip_top": 5, "num_words": 20},
    {"maxlen": 11},
    {"seed": 7},
    {"start_char": None},
    {"oov_char": None, "num_words": 10},
    {"start_char": None, "index_from": 0},
    {"index_from": 5, "oov_char": 4},
]


@pytest.mark.parametrize("kwargs", IMDB_CASES)
def test_imdb_matches_keras_on_the_same_file(keras, imdb_file, monkeypatch, kwargs):
    ours = imdb.load_data(**kwargs)
    theirs = keras_reading(monkeypatch, "imdb", imdb_file).load_data(**kwargs)
    assert ours[0][0].dtype == object and len(ours[0][0]) + len(ours[1][0]) > 0
    assert_same(ours, theirs)


def test_imdb_processing_by_hand(keras_home, tmp_path, monkeypatch):
    path = tmp_path / "imdb.npz"
    x = np.empty(2, dtype=object)
    x[:] = [[1, 5, 2], [9]]
    np.savez(path, x_train=x, y_train=np.array([0, 1]), x_test=x, y_test=np.array([1, 0]))
    serve(monkeypatch, imdb, path)
    order = np.arange(2)
    np.random.RandomState(113).shuffle(order)
    (x_train, y_train), _ = imdb.load_data(num_words=8, skip_top=2)
    # shifted by 3 and led by 1: [1, 4, 8, 5] and [1, 12]; 1 < skip_top and 8, 12 >= num_words
    want = {0: [2, 4, 2, 5], 1: [2, 2]}
    assert [list(s) for s in x_train] == [want[i] for i in order]
    assert y_train.tolist() == [[0, 1][i] for i in order]
    with pytest.raises(ValueError, match="maxlen=2"):
        imdb.load_data(maxlen=2)


def test_imdb_caches_the_download_and_refuses_a_wrong_hash(imdb_file, keras_home, monkeypatch):
    first = imdb.load_data()
    imdb_file.unlink()  # the second call reads the cache and downloads nothing
    assert_same(imdb.load_data(), first)
    monkeypatch.setattr(imdb, "FILE_HASH", "0" * 64)
    (keras_home / "datasets" / "imdb.npz").unlink()
    with pytest.raises(OSError):
        imdb.load_data()


@pytest.mark.parametrize("module", [imdb, reuters])
def test_get_word_index_reads_json_checked_by_md5(keras_home, tmp_path, monkeypatch, module):
    path = tmp_path / "index.json"
    path.write_text(json.dumps({"the": 1, "movie": 2}))
    monkeypatch.setattr(module, "WORD_INDEX_ORIGIN", path.as_uri())
    monkeypatch.setattr(module, "WORD_INDEX_HASH", hashlib.md5(path.read_bytes()).hexdigest())
    assert module.get_word_index() == {"the": 1, "movie": 2}
    monkeypatch.setattr(module, "WORD_INDEX_HASH", "0" * 32)
    with pytest.raises(ValueError, match="md5"):
        module.get_word_index(path="other.json")


class RunsCode:
    def __reduce__(self):
        return (open, (str(MARKER), "w"))  # would create MARKER if unpickled normally


MARKER = None


def test_an_npz_that_would_run_code_is_refused(keras_home, tmp_path, monkeypatch):
    global MARKER
    MARKER = tmp_path / "ran"
    path = tmp_path / "imdb.npz"
    evil = np.empty(1, dtype=object)
    evil[0] = RunsCode()
    np.savez(path, x_train=evil, y_train=np.array([0]), x_test=evil, y_test=np.array([0]))
    serve(monkeypatch, imdb, path)
    with pytest.raises(pickle.UnpicklingError, match=r"Refusing to load (io|builtins)\.open"):
        imdb.load_data()
    assert not MARKER.exists()
    with np.load(path, allow_pickle=True) as f:  # the file is a real attack on allow_pickle
        f["x_train"]
    assert MARKER.exists()


def test_npz_loads_numeric_arrays_without_pickle(tmp_path):
    path = tmp_path / "a.npz"
    np.savez(path, a=np.arange(6.0).reshape(2, 3), b=np.array([1, 2], np.int32))
    arrays = npz.load_npz(path)
    np.testing.assert_array_equal(arrays["a"], np.arange(6.0).reshape(2, 3))
    assert arrays["b"].dtype == np.int32 and sorted(arrays) == ["a", "b"]


@pytest.fixture
def reuters_file(keras_home, tmp_path, monkeypatch):
    rng = np.random.default_rng(1)
    path = tmp_path / "reuters.npz"
    np.savez(path, x=ragged(rng, 15), y=rng.integers(0, 46, 15))
    serve(monkeypatch, reuters, path)
    return path


@pytest.mark.parametrize("kwargs", IMDB_CASES[:-2] + [{"test_split": 0.5}, {"test_split": 0.0}])
def test_reuters_matches_keras_on_the_same_file(keras, reuters_file, monkeypatch, kwargs):
    ours = reuters.load_data(**kwargs)
    theirs = keras_reading(monkeypatch, "reuters", reuters_file).load_data(**kwargs)
    total = len(ours[0][0]) + len(ours[1][0])
    assert len(ours[0][1]) == int(total * (1 - kwargs.get("test_split", 0.2))) and total > 0
    assert_same(ours, theirs)


def test_reuters_label_names_match_keras(keras, monkeypatch):
    assert len(reuters.get_label_names()) == 46
    assert reuters.get_label_names() == keras.datasets.reuters.get_label_names()


def cifar100_archive(path, rng):
    """cifar-100-python.tar.gz's layout: cifar-100-python/{train,test} with fine+coarse labels."""
    parts = {}
    with tarfile.open(path, "w:gz") as tar:
        for name, n in (("train", 4), ("test", 3)):
            images = rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8)
            fine, coarse = rng.integers(0, 100, n).tolist(), rng.integers(0, 20, n).tolist()
            # protocol 4: Keras's unpickler refuses the _codecs.encode in protocol 2's bytes
            data = pickle.dumps(
                {b"data": images.reshape(n, -1), b"fine_labels": fine, b"coarse_labels": coarse},
                protocol=4,
            )
            info = tarfile.TarInfo(f"cifar-100-python/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
            parts[name] = images, fine, coarse
    return parts


@pytest.mark.parametrize("label_mode", ["fine", "coarse"])
def test_cifar100_matches_keras_on_the_same_archive(
    keras, keras_home, tmp_path, monkeypatch, label_mode
):
    archive = tmp_path / "cifar-100-python.tar.gz"
    parts = cifar100_archive(archive, np.random.default_rng(2))
    serve(monkeypatch, cifar100, archive)
    ours = cifar100.load_data(label_mode)
    (x_train, y_train), (x_test, y_test) = ours
    assert x_train.shape == (4, 32, 32, 3) and y_test.shape == (3, 1)
    np.testing.assert_array_equal(x_train, parts["train"][0].transpose(0, 2, 3, 1))
    assert y_train[:, 0].tolist() == parts["train"][1 if label_mode == "fine" else 2]
    extracted = keras_home / "datasets" / cifar100.DIRNAME
    theirs = keras_reading(monkeypatch, "cifar100", extracted).load_data(label_mode)
    assert_same(ours, theirs)
    backend.set_image_data_format("channels_first")
    try:
        (x_first, _), _ = cifar100.load_data(label_mode)
    finally:
        backend.set_image_data_format("channels_last")
    np.testing.assert_array_equal(x_first, parts["train"][0])
    with pytest.raises(ValueError, match="label_mode=medium"):
        cifar100.load_data("medium")


HOUSING = [
    (boston_housing, "boston_housing", 13, {}),
    (boston_housing, "boston_housing", 13, {"test_split": 0.3, "seed": 1}),
    (california_housing, "california_housing", 8, {}),
    (california_housing, "california_housing", 8, {"version": "small", "seed": 5}),
    (california_housing, "california_housing", 8, {"test_split": 0.0}),
]


@pytest.mark.parametrize("module,name,features,kwargs", HOUSING)
def test_housing_matches_keras_on_the_same_file(
    keras, keras_home, tmp_path, monkeypatch, module, name, features, kwargs
):
    rng = np.random.default_rng(3)
    path = tmp_path / f"{name}.npz"
    np.savez(path, x=rng.normal(size=(620, features)), y=rng.normal(size=620))
    serve(monkeypatch, module, path)
    ours = module.load_data(**kwargs)
    theirs = keras_reading(monkeypatch, name, path).load_data(**kwargs)
    for a, b in zip(ours, theirs):
        for x, y in zip(a, b):
            assert x.dtype == y.dtype
            np.testing.assert_array_equal(x, y)
    rows = 600 if kwargs.get("version") == "small" else 620
    assert len(ours[0][0]) + len(ours[1][0]) == rows


@pytest.mark.parametrize("module", [boston_housing, california_housing])
def test_housing_refuses_bad_arguments(module):
    with pytest.raises(ValueError, match="test_split"):
        module.load_data(test_split=1.0)
    if module is california_housing:
        with pytest.raises(ValueError, match="version=medium"):
            module.load_data(version="medium")
