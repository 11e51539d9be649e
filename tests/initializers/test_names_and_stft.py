"""Keras 3.15's initializer names, aliases and configs; STFT and fan axes against real Keras."""

import numpy as np
import pytest

from numkeras import initializers


def test_every_keras_name_resolves_to_the_same_class_with_the_same_config(keras):
    from keras.src.initializers import ALL_OBJECTS_DICT

    assert sorted(initializers.ALL_OBJECTS_DICT) == sorted(ALL_OBJECTS_DICT)
    for name, cls in ALL_OBJECTS_DICT.items():
        assert initializers.ALL_OBJECTS_DICT[name].__name__ == cls.__name__
        if cls.__name__ in ("Initializer", "Constant"):  # Keras's get() can't build these
            continue
        ours, theirs = initializers.get(name), keras.initializers.get(name)
        if cls.__name__ == "Identity":  # Keras forgets `gain` in its config; numkeras keeps it
            assert ours.get_config() == {"gain": 1.0} and theirs.get_config() == {}
            continue
        assert ours.get_config() == theirs.get_config(), name
        assert initializers.serialize(ours) == keras.initializers.serialize(theirs)
    for name in dir(keras.initializers):
        if not name.startswith("_"):
            assert (
                getattr(initializers, name).__name__ == getattr(keras.initializers, name).__name__
            )


@pytest.mark.parametrize("name", ["Zeros", "Ones", "Identity"])
def test_deterministic_values_match(keras, name):
    theirs = keras.ops.convert_to_numpy(keras.initializers.get(name)((3, 4)))
    np.testing.assert_array_equal(initializers.get(name)((3, 4)), theirs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"side": "imag"},
        {"window": "hamming", "scaling": "spectrum"},
        {"window": "hann", "periodic": True},
        {"window": None, "scaling": None},
        {"window": [0.1, 0.5, 1.0, 0.5, 0.1, 0.0, 0.2, 0.3]},
    ],
)
def test_stft_matches_real_keras(keras, kwargs):
    shape = (8, 1, 5)
    theirs = keras.ops.convert_to_numpy(keras.initializers.STFT(**kwargs)(shape))
    ours = initializers.STFT(**kwargs)(shape)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    assert (
        initializers.STFT(**kwargs).get_config() == keras.initializers.STFT(**kwargs).get_config()
    )


def test_stft_errors():
    with pytest.raises(ValueError, match="side"):
        initializers.STFT(side="both")
    with pytest.raises(ValueError, match="window"):
        initializers.STFT(window="kaiser")
    with pytest.raises(ValueError, match="frame_length"):
        initializers.STFT(window=[1.0, 2.0])((8, 1, 5))


def test_fan_axes_set_the_variance_as_in_keras(keras):
    shape, axes = (64, 4, 32), {"input_axes": [0], "output_axes": [1, 2]}
    ours = initializers.VarianceScaling(mode="fan_out", distribution="uniform", **axes)
    theirs = keras.initializers.VarianceScaling(mode="fan_out", distribution="uniform", **axes)
    assert ours.get_config() == theirs.get_config()
    limit = np.sqrt(3 / 128)
    values = ours(shape)
    assert limit * 0.95 < np.abs(values).max() <= limit
    assert np.abs(keras.ops.convert_to_numpy(theirs(shape))).max() <= limit


def test_arrays_as_initializers():
    value = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(initializers.get(value)((2, 3)), value)
    with pytest.raises(ValueError, match="Expected `shape`"):
        initializers.get(value)((3, 2))
    with pytest.raises(ValueError, match="Could not interpret initializer"):
        initializers.get("nope")
