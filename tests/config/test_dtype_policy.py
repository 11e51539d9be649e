"""DTypePolicy and config.set_dtype_policy/dtype_policy, against real Keras (float32 and
float64; mixed precision is refused with its reason)."""

import os

import numpy as np
import pytest

import numkeras as nk
from numkeras import dtype_policies


@pytest.fixture()
def keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    return pytest.importorskip("keras")


@pytest.mark.parametrize("name", ["float32", "float64", "float16"])
def test_policy_members_and_config_match_keras(keras, name):
    ours, theirs = nk.DTypePolicy(name), keras.DTypePolicy(name)
    assert repr(ours) == repr(theirs)
    for attr in ("name", "compute_dtype", "variable_dtype", "quantization_mode"):
        assert getattr(ours, attr) == getattr(theirs, attr)
    assert ours.get_config() == theirs.get_config()
    assert dtype_policies.serialize(ours) == keras.dtype_policies.serialize(theirs)
    assert dtype_policies.deserialize(dtype_policies.serialize(ours)) == ours
    assert dtype_policies.get(name) == ours


def test_global_policy_sets_new_layers_dtype_and_matches_keras_in_float64(keras):
    assert nk.config.dtype_policy() == nk.DTypePolicy("float32")
    x = np.random.default_rng(0).normal(size=(4, 3))
    try:
        nk.config.set_dtype_policy("float64")
        keras.config.set_dtype_policy("float64")
        ours, theirs = nk.layers.Dense(2), keras.layers.Dense(2)
        assert ours.dtype == theirs.dtype == "float64"
        assert nk.config.dtype_policy().name == keras.config.dtype_policy().name
        y = ours(x)  # builds (numkeras's Dense.build() alone doesn't mark the layer built)
        theirs.build((None, 3))
        theirs.set_weights(ours.get_weights())
        assert y.dtype == "float64" and ours.kernel.dtype == "float64"
        np.testing.assert_allclose(np.asarray(y), keras.ops.convert_to_numpy(theirs(x)), rtol=1e-6)
        model = nk.Sequential([nk.layers.Input((3,)), nk.layers.Dense(1)])
        model.compile("sgd", "mse")
        model.fit(x, x[:, :1], verbose=0)
        assert all(w.dtype == np.float64 for w in model.get_weights())
    finally:
        nk.backend.clear_session()  # as in Keras, it drops the global policy
        keras.backend.clear_session()
    assert nk.layers.Dense(2).dtype == "float32"
    assert nk.config.dtype_policy() == nk.DTypePolicy("float32")
    nk.config.set_floatx("float64")
    try:  # with no policy set, new layers follow floatx again
        assert nk.layers.Dense(2).dtype == "float64"
    finally:
        nk.config.set_floatx("float32")


def test_bad_and_mixed_policies_raise():
    with pytest.raises(ValueError, match="Invalid `policy` argument"):
        nk.config.set_dtype_policy(3)
    with pytest.raises(ValueError, match="Cannot convert 'foo'"):
        nk.DTypePolicy("foo")
    with pytest.raises(ValueError, match="mixed precision"):
        nk.config.set_dtype_policy("mixed_float16")
    assert nk.config.dtype_policy().name == "float32"


def test_mixed_precision_preprocessing_and_flash_attention_names_as_keras(keras):
    for module, theirs in (
        (nk.mixed_precision, keras.mixed_precision),
        (nk.preprocessing, keras.preprocessing),
        (nk.preprocessing.sequence, keras.preprocessing.sequence),
    ):
        assert [n for n in dir(theirs) if not n.startswith("_")] == sorted(module.__all__)
    assert nk.mixed_precision.global_policy() == nk.DTypePolicy("float32")
    assert repr(nk.mixed_precision.global_policy()) == repr(keras.mixed_precision.global_policy())
    assert nk.config.is_flash_attention_enabled() is keras.config.is_flash_attention_enabled()
    try:
        nk.config.enable_flash_attention()
        assert nk.config.is_flash_attention_enabled() is True
        nk.config.disable_flash_attention()
        assert nk.config.is_flash_attention_enabled() is False
    finally:
        nk.config._state.pop("flash_attention")
