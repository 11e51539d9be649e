"""Hashing and HashedCrossing against real Keras (which runs TensorFlow's hash ops): the same
bins for strings of every length class, integers, floats, salts and masks; configs, errors
and `.keras` files both ways."""

import numpy as np
import pytest

import numkeras
from numkeras import layers
from numkeras.layers.preprocessing.hash_functions import fingerprint64, siphash64
from tests.layers.keras_parity import comparable, get_keras

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

RNG = np.random.default_rng(0)
# FarmHash takes different paths for 0-16, 17-32, 33-64 and longer inputs (one 64-byte
# block or several): cover every one, plus non-ASCII text
WORDS = np.array(
    ["", "A", "abc", "hello", "fingerprint!", "é中文", "x" * 16, "y" * 17, "z" * 31]
    + ["".join(RNG.choice(list("abcdefgh12 "), n)) for n in (32, 33, 47, 64, 65, 100, 128, 129)]
    + ["".join(RNG.choice(list("abcdefgh12 "), n)) for n in (200, 333)]
).reshape(-1, 1)
INTS = np.array([[0, 1, -1, 7], [123456789, -(2**40), 2**62, 42]])


def _np(x):
    return np.asarray(x.numpy() if hasattr(x, "numpy") else x)


def _keras_np(keras, x):
    return np.asarray(keras.ops.convert_to_numpy(x))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"num_bins": 7},
        {"num_bins": 2**31 - 1},
        {"num_bins": 5, "mask_value": ""},
        {"num_bins": 1000, "salt": [133, 137]},
        {"num_bins": 1000, "salt": 2**62 + 5},
        {"num_bins": 9, "output_mode": "one_hot"},
        {"num_bins": 4, "output_mode": "multi_hot", "mask_value": "A"},
        {"num_bins": 4, "output_mode": "count", "salt": 3},
    ],
)
def test_hashing_strings_match_keras(kwargs):
    keras = get_keras(tensorflow=True)
    ours, theirs = layers.Hashing(**kwargs), keras.layers.Hashing(**kwargs)
    inputs = WORDS if kwargs.get("output_mode", "int") in ("int", "one_hot") else WORDS[:12]
    if kwargs.get("output_mode") in ("multi_hot", "count"):
        inputs = inputs.reshape(3, 4)
    y, expected = _np(ours(inputs)), _keras_np(keras, theirs(inputs))
    np.testing.assert_array_equal(y, expected)
    assert y.dtype == expected.dtype
    assert comparable(ours.get_config()) == comparable(theirs.get_config())
    assert ours.get_config()["dtype"] == theirs.get_config()["dtype"]["config"]["name"]


@pytest.mark.parametrize(
    "kwargs, inputs",
    [
        ({"num_bins": 11}, INTS),
        ({"num_bins": 11, "mask_value": 0}, INTS),
        ({"num_bins": 11, "salt": [1, 2]}, INTS.astype("int32")),
        ({"num_bins": 6}, np.array([[0.7, -2.5, 3.0], [1e6, 8.2, 0.0]], "float32")),
        ({"num_bins": 6, "output_mode": "one_hot"}, np.array([3, 4, 5])),
        ({"num_bins": 6, "output_mode": "one_hot"}, np.array([[3, 4], [5, 6]])),
    ],
)
def test_hashing_numbers_match_keras(kwargs, inputs):
    keras = get_keras(tensorflow=True)
    y = _np(layers.Hashing(**kwargs)(inputs))
    expected = _keras_np(keras, keras.layers.Hashing(**kwargs)(inputs))
    np.testing.assert_array_equal(y, expected)


def test_hash_functions_match_tensorflow_fingerprints():
    """Raw 64-bit hashes, not just bins: all byte values, lengths 0..300."""
    tf = pytest.importorskip("tensorflow")
    rng = np.random.default_rng(1)
    data = [bytes(rng.integers(0, 256, n, dtype=np.uint8)) for n in range(0, 301, 3)]
    modulus = 2**63 - 1  # the largest bucket count TensorFlow accepts
    fast = tf.strings.to_hash_bucket_fast(data, modulus).numpy()
    strong = tf.strings.to_hash_bucket_strong(data, modulus, key=[2**63 - 1, 99]).numpy()
    assert [fingerprint64(d) % modulus for d in data] == fast.tolist()
    assert [siphash64([2**63 - 1, 99], d) % modulus for d in data] == strong.tolist()


def test_hashing_symbolic_shapes_and_model():
    x = numkeras.Input((3,), dtype="int64")
    for mode, shape, dtype in [("int", (None, 3), "int64"), ("multi_hot", (None, 5), "float32")]:
        y = layers.Hashing(5, output_mode=mode)(x)
        assert (tuple(y.shape), y.dtype) == (shape, dtype)
    model = numkeras.Model(x, layers.Hashing(5, mask_value=0)(x))
    out = model.predict(INTS[:, :3], verbose=0)
    np.testing.assert_array_equal(out, _np(layers.Hashing(5, mask_value=0)(INTS[:, :3])))


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"num_bins": 0}, "num_bins"),
        ({"num_bins": None}, "num_bins"),
        ({"num_bins": 3, "output_mode": "tf_idf"}, "output_mode"),
        ({"num_bins": 3, "salt": "x"}, "salt"),
        ({"num_bins": 3, "salt": [1, 2, 3]}, "salt"),
        ({"num_bins": 3, "dtype": "float32"}, "dtype"),
        ({"num_bins": 3, "sparse": True}, "sparse"),
    ],
)
def test_hashing_errors_as_keras(kwargs, error):
    keras = get_keras(tensorflow=True)
    with pytest.raises(ValueError, match=error):
        keras.layers.Hashing(**kwargs)
    with pytest.raises(ValueError, match=error):
        layers.Hashing(**kwargs)


def test_hashing_keras_files_both_ways(tmp_path):
    keras = get_keras(tensorflow=True)
    x = INTS
    kwargs = {"num_bins": 17, "mask_value": 7, "salt": [5, 6]}
    ours = numkeras.Sequential([numkeras.Input((4,), dtype="int64"), layers.Hashing(**kwargs)])
    ours.save(tmp_path / "ours.keras")
    loaded = keras.models.load_model(tmp_path / "ours.keras")
    np.testing.assert_array_equal(_keras_np(keras, loaded(x)), ours.predict(x, verbose=0))
    theirs = keras.Sequential([keras.Input((4,), dtype="int64"), keras.layers.Hashing(**kwargs)])
    theirs.save(tmp_path / "theirs.keras")
    mine = numkeras.models.load_model(tmp_path / "theirs.keras")
    np.testing.assert_array_equal(mine.predict(x, verbose=0), _keras_np(keras, theirs(x)))
    assert mine.layers[-1].get_config()["salt"] == [5, 6]


CROSS_INPUTS = [
    (np.array(["A", "B", "A", "B", "A"]), np.array([101, 101, 101, 102, -102])),
    (np.array([["a"], ["b"], ["c"]]), np.array([["x"], ["y"], ["z"]])),
    (np.array([1, 2, 3]), np.array([3, 2, 1]), np.array(["p", "q", "r" * 70])),
    (np.array("A"), np.array(5)),
]


@pytest.mark.parametrize("inputs", CROSS_INPUTS)
@pytest.mark.parametrize("mode", ["int", "one_hot"])
def test_hashed_crossing_matches_keras(inputs, mode):
    keras = get_keras(tensorflow=True)
    ours = layers.HashedCrossing(num_bins=13, output_mode=mode)
    theirs = keras.layers.HashedCrossing(num_bins=13, output_mode=mode)
    y, expected = _np(ours(inputs)), _keras_np(keras, theirs(inputs))
    np.testing.assert_array_equal(y, expected)
    assert y.dtype == expected.dtype
    assert ours.get_config() == {**theirs.get_config(), "name": ours.name}
    clone = layers.HashedCrossing.from_config(ours.get_config())
    np.testing.assert_array_equal(_np(clone(inputs)), y)


@pytest.mark.parametrize(
    "inputs, error",
    [
        (np.array(["a", "b"]), "list or tuple"),
        ([np.array(["a", "b"])], "at least two"),
        ([np.array([["a", "b"]]), np.array([["c", "d"]])], "shape"),
        ([np.array(["a", "b"]), np.array(["c"])], "equal shape"),
        ([np.array([1.5, 2.0]), np.array([1, 2])], "integer or string"),
    ],
)
def test_hashed_crossing_errors_as_keras(inputs, error):
    keras = get_keras(tensorflow=True)
    with pytest.raises(ValueError, match=error):
        keras.layers.HashedCrossing(num_bins=3)(inputs)
    with pytest.raises(ValueError, match=error):
        layers.HashedCrossing(num_bins=3)(inputs)
    with pytest.raises(ValueError, match="output_mode"):
        layers.HashedCrossing(num_bins=3, output_mode="count")


OOV_WORDS = np.array([["a", "zz", "q"], ["b", "hello", "é"], ["", "c", "longer out of vocabulary"]])
OOV_INTS = np.array([[12, 5, 7], [36, -4, 1000001], [0, 99, 12]])


@pytest.mark.parametrize(
    "name, kwargs, inputs",
    [
        ("StringLookup", {"vocabulary": ["a", "b", "c"], "num_oov_indices": 3}, OOV_WORDS),
        ("StringLookup", {"vocabulary": ["a", "b"], "num_oov_indices": 4, "salt": 7}, OOV_WORDS),
        (
            "StringLookup",
            {"vocabulary": ["a"], "num_oov_indices": 2, "mask_token": "", "output_mode": "count"},
            OOV_WORDS,
        ),
        ("IntegerLookup", {"vocabulary": [12, 36], "num_oov_indices": 3}, OOV_INTS),
        (
            "IntegerLookup",
            {"vocabulary": [12, 36], "num_oov_indices": 3, "oov_method": "farmhash"},
            OOV_INTS,
        ),
        (
            "IntegerLookup",
            {"vocabulary": [12], "num_oov_indices": 5, "oov_method": "farmhash", "salt": [1, 2]},
            OOV_INTS,
        ),
    ],
)
def test_lookup_oov_buckets_match_keras(name, kwargs, inputs):
    """Several OOV indices: strings (and integers with oov_method="farmhash") are hashed."""
    keras = get_keras(tensorflow=True)
    ours, theirs = getattr(layers, name)(**kwargs), getattr(keras.layers, name)(**kwargs)
    np.testing.assert_array_equal(_np(ours(inputs)), _keras_np(keras, theirs(inputs)))
    assert comparable(ours.get_config()) == comparable(theirs.get_config())


@pytest.mark.parametrize(
    "name, kwargs, error",
    [
        ("IntegerLookup", {"salt": 3}, "farmhash"),
        ("IntegerLookup", {"oov_method": "sip"}, "oov_method"),
        ("StringLookup", {"salt": "pepper"}, "salt"),
    ],
)
def test_lookup_hashing_errors_as_keras(name, kwargs, error):
    keras = get_keras(tensorflow=True)
    with pytest.raises(ValueError, match=error):
        getattr(keras.layers, name)(**kwargs)
    with pytest.raises(ValueError, match=error):
        getattr(layers, name)(**kwargs)
