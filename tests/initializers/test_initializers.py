"""Initializers: Keras's fan rules and limits, seeded repeatability, names and configs."""

import numpy as np
import pytest

from numkeras import initializers
from numkeras.utils import set_random_seed


@pytest.mark.parametrize(
    "shape, limit", [((3, 3, 1, 32), 0.1421), ((3, 3, 32, 64), 0.0833), ((1600, 10), 0.0610)]
)
def test_glorot_uniform_limits_of_the_tutorial_weights(shape, limit):
    values = initializers.get("glorot_uniform")(shape)
    assert values.dtype == np.float32 and values.shape == shape
    assert np.abs(values).max() <= limit + 1e-4
    assert np.abs(values).max() > 0.95 * limit  # uniform over the whole range


@pytest.mark.parametrize(
    "name, std",
    [
        ("he_normal", np.sqrt(2 / 400)),
        ("lecun_normal", np.sqrt(1 / 400)),
        ("glorot_normal", np.sqrt(2 / 500)),
        ("he_uniform", np.sqrt(2 / 400)),
        ("lecun_uniform", np.sqrt(1 / 400)),
        ("glorot_uniform", np.sqrt(2 / 500)),
    ],
)
def test_variance_scaling_standard_deviations(name, std):
    values = initializers.get(name)((400, 100))
    assert values.std() == pytest.approx(std, rel=0.05)
    if name.endswith("normal"):  # truncated at two standard deviations
        assert np.abs(values).max() <= 2 * std / 0.8796 + 1e-6


def test_seeds_repeat_and_the_global_seed_controls_unseeded_draws():
    a = initializers.RandomNormal(seed=3)((5, 5))
    np.testing.assert_array_equal(a, initializers.RandomNormal(seed=3)((5, 5)))
    set_random_seed(1)
    first = initializers.GlorotUniform()((4, 4))
    set_random_seed(1)
    np.testing.assert_array_equal(first, initializers.GlorotUniform()((4, 4)))
    assert not np.array_equal(first, initializers.GlorotUniform()((4, 4)))


def test_orthogonal_constant_identity_zeros_ones():
    q = initializers.Orthogonal(seed=0)((6, 6))
    np.testing.assert_allclose(q @ q.T, np.eye(6), atol=1e-5)
    np.testing.assert_array_equal(initializers.Constant(2.5)((2,)), [2.5, 2.5])
    np.testing.assert_array_equal(initializers.Identity()((2, 3)), np.eye(2, 3))
    assert initializers.get("zeros")((3,)).sum() == 0 and initializers.get("ones")((3,)).sum() == 3


def test_names_classes_and_configs_round_trip():
    for name in ("glorot_uniform", "GlorotUniform", "he_normal", "orthogonal", "random_normal"):
        init = initializers.get(name)
        again = initializers.deserialize(initializers.serialize(init))
        assert type(again) is type(init) and again.get_config() == init.get_config()
    with pytest.raises(ValueError, match="glorot_uniformm"):
        initializers.get("glorot_uniformm")
