"""backend dtype helpers, get_uid, is_keras_tensor, get_source_inputs and random's beta,
binomial and gamma, against real Keras where its answers are deterministic."""

import inspect
import os

import numpy as np
import pytest

import numkeras as nk
from numkeras import backend, random, utils


def _keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    return pytest.importorskip("keras")


DTYPE_NAMES = [
    None,
    "float16",
    "float32",
    "float64",
    "int8",
    "uint8",
    "int32",
    "int64",
    "bool",
    np.float64,
    np.dtype("int16"),
    float,
    int,
    bool,
]
PAIRS = [
    ("int32", "float16"),
    ("int8", "uint8"),
    ("int64", "float32"),
    ("bool", "int32"),
    ("int16", "int32"),
    ("uint8", "uint16"),
    ("bool", "float16"),
]


def test_dtype_helpers_match_keras():
    keras = _keras()
    for dtype in DTYPE_NAMES:
        assert backend.standardize_dtype(dtype) == keras.backend.standardize_dtype(dtype)
        assert backend.is_float_dtype(dtype) == keras.backend.is_float_dtype(dtype)
        assert backend.is_int_dtype(dtype) == keras.backend.is_int_dtype(dtype)
    for pair in PAIRS:
        assert backend.result_type(*pair) == keras.backend.result_type(*pair), pair
    # Keras on torch/JAX narrows 64-bit results to 32 bits (JAX's x64-off default); numkeras
    # computes in float64 when asked, so it keeps them
    assert backend.result_type("float32", "float64") == "float64"
    assert keras.backend.result_type("float32", "float64") == "float32"
    assert utils.standardize_dtype("float64") == "float64"
    with pytest.raises(ValueError, match="Invalid dtype"):
        backend.standardize_dtype("float17")


def test_get_uid_counts_per_prefix_and_clear_session_resets():
    keras = _keras()
    backend.clear_session()
    keras.backend.clear_session()
    ours = [backend.get_uid("a"), backend.get_uid("a"), backend.get_uid("b"), backend.get_uid()]
    theirs = [
        keras.backend.get_uid("a"),
        keras.backend.get_uid("a"),
        keras.backend.get_uid("b"),
        keras.backend.get_uid(),
    ]
    assert ours == theirs == [1, 2, 1, 1]
    utils.clear_session()
    assert backend.get_uid("a") == 1


def test_source_inputs_and_is_keras_tensor():
    a, b = nk.Input((3,)), nk.Input((2,))
    c = nk.layers.Concatenate()([nk.layers.Dense(2)(b), nk.layers.Dense(2)(a), b])
    out = nk.layers.Dense(1)(c)
    sources = utils.get_source_inputs(out)
    assert len(sources) == 2 and sources[0] is b and sources[1] is a
    assert utils.get_source_inputs(a)[0] is a
    assert utils.is_keras_tensor(out) and backend.is_keras_tensor(a)
    assert not utils.is_keras_tensor(np.ones(2))


@pytest.mark.parametrize("name", ["beta", "binomial", "gamma"])
def test_random_signatures_match_keras(name):
    keras = _keras()
    assert inspect.signature(getattr(random, name)) == inspect.signature(
        getattr(keras.random, name)
    )


def test_random_draws_are_seeded_with_the_right_moments():
    shape = (20000,)
    g = random.gamma(shape, alpha=3.0, seed=1).numpy()
    assert g.dtype == np.float32 and g.mean() == pytest.approx(3.0, rel=0.03)
    np.testing.assert_array_equal(g, random.gamma(shape, alpha=3.0, seed=1).numpy())
    b = random.beta(shape, alpha=2.0, beta=6.0, seed=2).numpy()
    assert b.mean() == pytest.approx(0.25, rel=0.03) and 0 <= b.min() and b.max() <= 1
    n = random.binomial(shape, counts=10, probabilities=0.3, seed=3).numpy()
    assert n.dtype == np.float32 and n.mean() == pytest.approx(3.0, rel=0.03)
    assert set(np.unique(n)) <= set(range(11))
