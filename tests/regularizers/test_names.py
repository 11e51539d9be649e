"""Regularizer names, aliases, configs and penalties against real Keras."""

import numpy as np
import pytest

from numkeras import ops, regularizers


@pytest.mark.parametrize("name", ["l1", "l2", "l1_l2", "orthogonal_regularizer"])
def test_lowercase_aliases_are_keras_classes(keras, name):
    ours, theirs = getattr(regularizers, name)(), getattr(keras.regularizers, name)()
    assert type(ours).__name__ == type(theirs).__name__
    assert (
        ours.get_config() == pytest.approx(theirs.get_config())
        or ours.get_config() == theirs.get_config()
    )
    w = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    np.testing.assert_allclose(
        float(ops.convert_to_numpy(ours(w))),
        float(keras.ops.convert_to_numpy(theirs(w))),
        rtol=1e-5,
    )
    assert regularizers.serialize(ours) == keras.regularizers.serialize(theirs)


def test_get_by_every_keras_name(keras):
    from keras.src.regularizers import ALL_OBJECTS_DICT

    for name, cls in ALL_OBJECTS_DICT.items():
        assert type(regularizers.get(name)).__name__ == cls.__name__
        assert type(keras.regularizers.get(name)).__name__ == cls.__name__
    with pytest.raises(ValueError, match="Could not interpret regularizer"):
        regularizers.get("l3")
