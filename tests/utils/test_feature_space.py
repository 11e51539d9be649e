"""FeatureSpace against real Keras (adapted on a tf.data.Dataset there, on a dict of NumPy
arrays here): encoded outputs in concat and dict modes, crosses, scalar inputs, the
symbolic graph, configs, errors and `.keras` files both ways."""

import os

import numpy as np
import pytest

import numkeras
from numkeras.utils import FeatureSpace

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

RNG = np.random.default_rng(0)
N = 100  # more than Keras's adapt batch of 32, so batched adapting (quantiles) counts
DATA = {
    "age": RNG.uniform(18, 90, N).astype("float32"),
    "income": RNG.lognormal(10, 1, N).astype("float32"),
    "score": RNG.normal(0, 3, N).astype("float32"),
    "raw": RNG.normal(size=N).astype("float32"),
    "rooms": RNG.integers(1, 8, N).astype("int32"),
    "zip": RNG.integers(0, 50000, N).astype("int32"),
    "city": RNG.choice(["paris", "lyon", "nice", "lille", "brest"], N),
    "street": np.array([f"street {i % 37}" for i in range(N)]),
}


def _keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    tf = pytest.importorskip("tensorflow")
    return keras, tf


def _space(cls, output_mode="concat"):
    return cls(
        features={
            "age": cls.float_discretized(num_bins=5, name="age"),
            "income": "float_normalized",
            "score": cls.float_rescaled(scale=0.5, offset=1.0, name="score"),
            "raw": "float",
            "rooms": "integer_categorical",
            "zip": cls.integer_hashed(num_bins=16, name="zip"),
            "city": cls.string_categorical(max_tokens=4, name="city"),
            "street": "string_hashed",
        },
        crosses=[("rooms", "city"), cls.cross(("age", "street"), crossing_dim=7, output_mode="int")]
        if output_mode == "dict"
        else [("rooms", "city"), ("age", "street")],
        crossing_dim=9,
        hashing_dim=11,
        output_mode=output_mode,
    )


def _adapted_pair(output_mode="concat"):
    keras, tf = _keras()
    ours, theirs = _space(FeatureSpace, output_mode), _space(keras.utils.FeatureSpace, output_mode)
    ours.adapt(DATA)
    theirs.adapt(tf.data.Dataset.from_tensor_slices(DATA))
    return keras, ours, theirs


def test_concat_output_matches_keras():
    keras, ours, theirs = _adapted_pair()
    y, expected = ours(DATA).numpy(), keras.ops.convert_to_numpy(theirs(DATA))
    assert y.shape == expected.shape == (N, 5 + 1 + 1 + 1 + 8 + 16 + 4 + 11 + 9 + 9)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)
    assert y.dtype == np.float32
    one_row = {k: v[3] for k, v in DATA.items()}  # scalars: Keras batches and unbatches
    np.testing.assert_allclose(
        ours(one_row).numpy(), keras.ops.convert_to_numpy(theirs(one_row)), rtol=1e-5, atol=1e-5
    )


def test_dict_output_matches_keras():
    keras, ours, theirs = _adapted_pair("dict")
    y, expected = ours(DATA), theirs(DATA)
    assert list(y) == list(expected)
    for name in expected:
        a, b = np.asarray(y[name]), keras.ops.convert_to_numpy(expected[name])
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5, err_msg=name)
        assert a.dtype.kind == b.dtype.kind, name
    inputs, encoded = ours.get_inputs(), ours.get_encoded_features()
    assert sorted(inputs) == sorted(DATA) and inputs["city"].dtype == "string"
    assert tuple(encoded["age_X_street"].shape) == (None, 1)


def test_adapting_on_batches_equals_adapting_on_rows():
    _, tf = _keras()
    batched = FeatureSpace(features={"x": "float_discretized", "c": "string_categorical"})
    batched.adapt(
        tf.data.Dataset.from_tensor_slices({"x": DATA["age"], "c": DATA["city"]}).batch(32)
    )
    rows = FeatureSpace(features={"x": "float_discretized", "c": "string_categorical"})
    rows.adapt({"x": DATA["age"], "c": DATA["city"]})
    data = {"x": DATA["age"], "c": DATA["city"]}
    np.testing.assert_array_equal(batched(data).numpy(), rows(data).numpy())
    listed = FeatureSpace(features={"x": "float_discretized", "c": "string_categorical"})
    listed.adapt([{k: v[i : i + 32] for k, v in data.items()} for i in range(0, N, 32)])
    np.testing.assert_array_equal(listed(data).numpy(), rows(data).numpy())


def test_symbolic_graph_builds_a_model_on_raw_inputs():
    _, ours, theirs = _adapted_pair()
    assert tuple(ours.get_encoded_features().shape) == tuple(theirs.get_encoded_features().shape)
    model = numkeras.Model(ours.get_inputs(), ours.get_encoded_features())
    columns = {k: v[:, None] for k, v in DATA.items()}
    np.testing.assert_allclose(model(columns).numpy(), ours(DATA).numpy(), rtol=1e-6)


def test_config_matches_keras():
    import json

    keras, ours, theirs = _adapted_pair()
    mine = json.loads(json.dumps(numkeras.saving.serialize_keras_object(ours)))
    ref = json.loads(json.dumps(keras.saving.serialize_keras_object(theirs)))

    def strip(value):
        if isinstance(value, dict):
            return {
                k: strip(v)
                for k, v in value.items()
                if k not in ("dtype", "shared_object_id", "build_config")
            }
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    assert strip(mine) == strip(ref)


def test_keras_files_both_ways(tmp_path):
    keras, ours, theirs = _adapted_pair()
    ours.save(tmp_path / "ours.keras")
    theirs.save(tmp_path / "theirs.keras")
    in_keras = keras.saving.load_model(tmp_path / "ours.keras")
    in_numkeras = numkeras.saving.load_model(tmp_path / "theirs.keras")
    expected = keras.ops.convert_to_numpy(theirs(DATA))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(in_keras(DATA)), expected, atol=1e-5)
    np.testing.assert_allclose(in_numkeras(DATA).numpy(), expected, atol=1e-5)
    assert isinstance(in_numkeras, FeatureSpace)
    again = numkeras.saving.load_model(tmp_path / "ours.keras")
    np.testing.assert_array_equal(again(DATA).numpy(), ours(DATA).numpy())


@pytest.mark.parametrize(
    "make, error",
    [
        (lambda cls: cls(features={}), "cannot be None or empty"),
        (lambda cls: cls(features={"a": "float"}, output_mode="list"), "output_mode"),
        (lambda cls: cls(features={"a": "floaty"}), "Invalid feature type"),
        (lambda cls: cls(features={"a": "float"}, crosses=[("a", "b")]), "unknown features"),
        (lambda cls: cls.cross(("a", "b"), 4, output_mode="multi_hot"), "output_mode"),
        (lambda cls: cls.feature("float32", None, "count"), "output_mode"),
        (lambda cls: cls(features={"a": "string_categorical"})({"a": ["x"]}), "adapt"),
        (lambda cls: cls(features={"a": "float"})([1.0]), "only be called with a dict"),
        (
            lambda cls: cls(features={"a": cls.integer_categorical(output_mode="int")}).adapt(
                {"a": np.array([1, 2])}
            ),
            "Cannot concatenate",
        ),
    ],
)
def test_errors_as_keras(make, error):
    keras, _ = _keras()
    with pytest.raises(ValueError, match=error):
        make(keras.utils.FeatureSpace)
    with pytest.raises(ValueError, match=error):
        make(FeatureSpace)
