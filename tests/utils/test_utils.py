"""numkeras.utils (to_categorical, normalize, get_file, set_random_seed) and numkeras.backend."""

import hashlib
import io
import os
import random
import re
import tarfile
import zipfile

import numpy as np
import pytest

import numkeras
from numkeras import backend
from numkeras.backend import naming
from numkeras.utils import get_file, normalize, set_random_seed, to_categorical
from numkeras.utils.file_utils import hash_file, validate_file

# --- to_categorical ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "y, num_classes, expected_shape",
    [
        ([0, 1, 2, 3], None, (4, 4)),
        ([0, 1, 2, 3], 6, (4, 6)),
        ([[1], [0], [2]], None, (3, 3)),  # a trailing axis of 1 is squeezed, as in Keras
        ([[1, 0], [2, 2]], None, (2, 2, 3)),
        ([1], None, (1, 2)),  # shape (1,) is not squeezed: only a trailing 1 after another axis
        (3, 5, (5,)),
        (np.zeros((0,), dtype=int), 4, (0, 4)),
    ],
)
def test_to_categorical_shapes(y, num_classes, expected_shape):
    out = to_categorical(y, num_classes)
    assert out.shape == expected_shape
    assert out.dtype == np.float64  # what Keras returns for NumPy input
    labels = np.asarray(y).reshape(-1)
    np.testing.assert_array_equal(out.reshape(-1, expected_shape[-1]).argmax(-1), labels)
    np.testing.assert_array_equal(out.sum(-1), np.ones(out.shape[:-1]))


def test_to_categorical_values():
    np.testing.assert_array_equal(to_categorical([2, 0], 3), [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])


@pytest.mark.parametrize(
    "y", [np.array([0, 3, 1], dtype=np.uint8), np.array([0.0, 3.0, 1.0]), [True, False]]
)
def test_to_categorical_accepts_integral_values_of_any_dtype(y):
    np.testing.assert_array_equal(to_categorical(y).argmax(-1), np.asarray(y, dtype=int))


def test_to_categorical_accepts_tensors():
    y = numkeras.ops.convert_to_tensor(np.array([1, 0]))
    np.testing.assert_array_equal(to_categorical(y, 2), [[0.0, 1.0], [1.0, 0.0]])


@pytest.mark.parametrize(
    "y, num_classes, message",
    [
        ([0, -1, 2], None, "must be >= 0. Received a label of -1"),
        ([0, 3], 3, "must be < num_classes=3. Received a label of 3"),
        ([0.0, 1.5], None, "integer class labels. Received non-integer value 1.5"),
        ([0.0, np.nan], None, "non-integer value nan"),
        (["a", "b"], None, "integer class labels. Received an array of dtype <U1"),
        ([0, 1], -2, "`num_classes` must be a positive integer. Received: -2"),
        ([0, 1], 2.5, "`num_classes` must be a positive integer. Received: 2.5"),
        (np.zeros((0,), dtype=int), None, "Cannot infer `num_classes`"),
    ],
)
def test_to_categorical_errors(y, num_classes, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        to_categorical(y, num_classes)


# --- normalize ---------------------------------------------------------------------------------


def test_normalize_l2_rows():
    x = np.array([[3.0, 4.0], [0.0, 0.0], [1.0, 1.0]])
    np.testing.assert_allclose(normalize(x), [[0.6, 0.8], [0.0, 0.0], [2**-0.5, 2**-0.5]])


def test_normalize_axis_and_order():
    x = np.array([[1.0, 2.0], [3.0, 6.0]])
    np.testing.assert_allclose(normalize(x, axis=0, order=1), [[0.25, 0.25], [0.75, 0.75]])
    np.testing.assert_allclose(np.abs(normalize(x, order=1)).sum(-1), [1.0, 1.0])


def test_normalize_keeps_float32_and_does_not_modify_input():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    before = x.copy()
    out = normalize(x)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(x, before)
    np.testing.assert_allclose(np.linalg.norm(out, axis=-1), [1.0, 1.0], rtol=1e-6)


# --- set_random_seed ---------------------------------------------------------------------------


def test_set_random_seed_makes_every_source_repeatable():
    def draw():
        return (
            random.random(),
            float(np.random.rand()),
            float(numkeras.random.uniform(()).numpy()),
        )

    set_random_seed(42)
    first = draw()
    set_random_seed(42)
    assert draw() == first
    set_random_seed(43)
    assert draw() != first


@pytest.mark.parametrize("seed", [1.5, "1", None, True])
def test_set_random_seed_rejects_non_integers(seed):
    with pytest.raises(ValueError, match="Expected `seed` argument to be an integer"):
        set_random_seed(seed)


# --- get_file ----------------------------------------------------------------------------------


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    home = tmp_path / "keras_home"
    monkeypatch.setenv("KERAS_HOME", str(home))
    return home


@pytest.fixture
def source(tmp_path):
    """A local file to 'download', its file:// URL and its sha256."""
    path = tmp_path / "src" / "payload.bin"
    path.parent.mkdir()
    data = bytes(range(256)) * 1000
    path.write_bytes(data)
    return path, path.as_uri(), hashlib.sha256(data).hexdigest()


def cache_listing(directory):
    return sorted(os.listdir(directory)) if os.path.isdir(directory) else []


def test_get_file_downloads_into_keras_home(keras_home, source, capsys):
    path, url, sha = source
    out = get_file("data.bin", origin=url, file_hash=sha)
    assert out == str(keras_home / "datasets" / "data.bin")
    assert open(out, "rb").read() == path.read_bytes()
    printed = capsys.readouterr().out
    assert printed.startswith(f"Downloading data from {url}\n")
    assert "\r" not in printed  # captured output is not a terminal
    assert cache_listing(keras_home / "datasets") == ["data.bin"]  # no temp file left


def test_get_file_uses_the_cache_without_downloading(keras_home, source, capsys):
    path, url, sha = source
    first = get_file("data.bin", origin=url, file_hash=sha)
    path.unlink()  # the origin is gone: a second download would fail
    capsys.readouterr()
    assert get_file("data.bin", origin=url, file_hash=sha) == first
    assert capsys.readouterr().out == ""


def test_get_file_wrong_hash_raises_and_leaves_nothing(keras_home, source):
    _, url, sha = source
    wrong = "0" * 64
    with pytest.raises(ValueError, match=f"sha256 hash .* is {sha}, expected {wrong}"):
        get_file("data.bin", origin=url, file_hash=wrong)
    assert cache_listing(keras_home / "datasets") == []


def test_get_file_replaces_a_corrupt_cached_copy(keras_home, source, capsys):
    path, url, sha = source
    (keras_home / "datasets").mkdir(parents=True)
    (keras_home / "datasets" / "data.bin").write_bytes(b"truncated")
    out = get_file("data.bin", origin=url, file_hash=sha)
    assert "we will re-download the data" in capsys.readouterr().out
    assert open(out, "rb").read() == path.read_bytes()


def test_get_file_md5_and_name_from_origin(keras_home, source):
    path, url, _ = source
    md5 = hashlib.md5(path.read_bytes()).hexdigest()
    out = get_file(origin=url, md5_hash=md5)
    assert out == str(keras_home / "datasets" / "payload.bin")
    assert validate_file(out, md5) and hash_file(out, "md5") == md5


def test_get_file_default_cache_is_home_dot_keras(tmp_path, monkeypatch, source):
    _, url, sha = source
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    out = get_file("data.bin", origin=url, file_hash=sha)
    assert out == str(tmp_path / "home" / ".keras" / "datasets" / "data.bin")


def test_get_file_cache_dir_and_subdir(tmp_path, keras_home, source):
    _, url, sha = source
    out = get_file(
        "data.bin", origin=url, file_hash=sha, cache_dir=tmp_path / "c", cache_subdir="models"
    )
    assert out == str(tmp_path / "c" / "models" / "data.bin")
    assert not keras_home.exists()


def test_get_file_unreachable_origin(keras_home, tmp_path):
    url = (tmp_path / "missing.bin").as_uri()
    with pytest.raises(OSError, match=f"URL fetch failure on {url}"):
        get_file("missing.bin", origin=url)
    assert cache_listing(keras_home / "datasets") == []


@pytest.fixture
def http_server(source):
    """A local HTTP server serving the directory that holds `source`."""
    import functools
    import http.server
    import threading

    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(QuietHandler, directory=str(source[0].parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_get_file_over_http_shows_keras_download_bar(keras_home, source, http_server, capsys):
    path, _, sha = source
    url = f"{http_server}/payload.bin"
    out = get_file("payload.bin", origin=url, file_hash=sha)
    assert open(out, "rb").read() == path.read_bytes()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"Downloading data from {url}"
    assert lines[1].startswith("256000/256000 " + "━" * 20 + " ")
    assert lines[1].endswith("s/step") and len(lines) == 2


def test_get_file_http_error(keras_home, http_server):
    url = f"{http_server}/absent.bin"
    with pytest.raises(OSError, match=f"URL fetch failure on {url}: 404 -- "):
        get_file("absent.bin", origin=url)
    assert cache_listing(keras_home / "datasets") == []


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"fname": "x.bin"}, 'specify the "origin" argument'),
        ({"fname": os.path.join("sub", "x.bin"), "origin": "file:///x"}, "Paths are no longer"),
        ({"origin": "https://example.com/"}, "Can't parse the file name"),
    ],
)
def test_get_file_argument_errors(keras_home, kwargs, message):
    with pytest.raises(ValueError, match=message):
        get_file(**kwargs)


def make_archive(tmp_path, kind, members):
    path = tmp_path / f"archive.{kind}"
    if kind == "zip":
        with zipfile.ZipFile(path, "w") as archive:
            for name, data in members.items():
                archive.writestr(name, data)
    else:
        with tarfile.open(path, "w:gz") as archive:
            for name, data in members.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_get_file_extract(keras_home, tmp_path, kind):
    archive = make_archive(tmp_path, kind, {"pack/a.txt": b"alpha", "pack/b.txt": b"beta"})
    out = get_file(f"pack.{kind}", origin=archive.as_uri(), extract=True)
    assert out == str(keras_home / "datasets" / "pack_extracted")
    assert (keras_home / "datasets" / "pack_extracted" / "pack" / "b.txt").read_bytes() == b"beta"
    assert (keras_home / "datasets" / f"pack.{kind}").exists()


def test_get_file_untar_without_extension(keras_home, tmp_path):
    archive = make_archive(tmp_path, "tar.gz", {"a.txt": b"alpha"})
    out = get_file("pack", origin=archive.as_uri(), untar=True)
    assert out == str(keras_home / "datasets" / "pack")
    assert (keras_home / "datasets" / "pack" / "a.txt").read_bytes() == b"alpha"
    assert (keras_home / "datasets" / "pack_archive").exists()


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_get_file_refuses_archive_members_outside_the_directory(keras_home, tmp_path, kind):
    archive = make_archive(tmp_path, kind, {"../escape.txt": b"x"})
    with pytest.raises(ValueError, match="unsafe archive members"):
        get_file(f"evil.{kind}", origin=archive.as_uri(), extract=True)
    assert not (keras_home / "escape.txt").exists()


# --- backend -----------------------------------------------------------------------------------


def test_backend_defaults():
    assert backend.floatx() == "float32"
    assert backend.epsilon() == 1e-7
    assert backend.image_data_format() == "channels_last"
    assert backend.backend() == "numpy"


@pytest.mark.parametrize(
    "getter, setter, value, bad",
    [
        (backend.floatx, backend.set_floatx, "float64", "int32"),
        (backend.epsilon, backend.set_epsilon, 1e-5, None),
        (backend.image_data_format, backend.set_image_data_format, "channels_first", "nhwc"),
    ],
)
def test_backend_setters(getter, setter, value, bad):
    old = getter()
    try:
        setter(value)
        assert getter() == value
        if bad is not None:
            with pytest.raises(ValueError, match=repr(bad)):
                setter(bad)
            assert getter() == value
    finally:
        setter(old)


def test_clear_session_restarts_auto_names():
    backend.clear_session()
    assert [naming.auto_name(n) for n in ["Conv2D", "MaxPooling2D", "Conv2D", "Dense"]] == [
        "conv2d",
        "max_pooling2d",
        "conv2d_1",
        "dense",
    ]
    assert naming.auto_name("sequential") == "sequential"
    assert naming.uniquify("sequential") == "sequential_1"
    backend.clear_session()
    assert naming.auto_name("conv2d") == "conv2d"
    backend.clear_session()


@pytest.mark.parametrize(
    "name, snake",
    [
        ("Conv2D", "conv2d"),
        ("MaxPooling2D", "max_pooling2d"),
        ("InputLayer", "input_layer"),
        ("BatchNormalization", "batch_normalization"),
        ("dense", "dense"),
        ("GRU", "gru"),
    ],
)
def test_to_snake_case(name, snake):
    assert naming.to_snake_case(name) == snake


@pytest.fixture
def float64_default():
    backend.set_floatx("float64")
    yield
    backend.set_floatx("float32")


def test_set_floatx_reaches_weights_ops_and_training(float64_default):
    """As in Keras: after set_floatx('float64'), new layers, variables and float ops use it."""
    import numkeras
    from numkeras import layers, ops

    assert ops.ones((2,)).dtype == ops.convert_to_tensor(1.5).dtype == "float64"
    assert numkeras.Variable(np.zeros(2, np.float32)).dtype == "float32"  # an array keeps its own
    assert numkeras.random.uniform((2,)).dtype == "float64"
    assert (ops.convert_to_tensor(3) / ops.convert_to_tensor(2)).dtype == "float64"
    model = numkeras.Sequential(
        [
            layers.Input((6, 6, 1)),
            layers.Conv2D(2, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(3),
        ]
    )
    assert {w.dtype for w in model.get_weights()} == {np.dtype("float64")}
    model.compile("adam", "mse")
    x = np.random.default_rng(0).random((4, 6, 6, 1))
    model.fit(x, np.zeros((4, 3)), verbose=0)
    assert model.predict(x, verbose=0).dtype == np.float64
    backend.set_floatx("float32")
    assert layers.Dense(2)(np.ones((1, 3))).dtype == "float32"  # new layers follow the setting
