"""Random initializers draw in the variable's dtype: a float32 weight never passes through a
float64 array twice its size."""

import tracemalloc

import numpy as np
import pytest

from numkeras import initializers

NAMES = [
    "random_normal",
    "random_uniform",
    "truncated_normal",
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "lecun_uniform",
    "lecun_normal",
]


@pytest.mark.parametrize("name", NAMES)
def test_float32_draws_take_little_more_than_the_result(name):
    initializer = initializers.get(name)
    tracemalloc.start()
    try:
        values = initializer((1000, 1000), dtype="float32")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert values.dtype == np.float32 and values.shape == (1000, 1000)
    assert peak < 1.75 * values.nbytes  # a float64 draw alone is 2x


@pytest.mark.parametrize("name", NAMES)
def test_draws_keep_their_distribution_in_both_dtypes(name):
    initializer = initializers.get(
        {"class_name": initializers.get(name).__class__.__name__, "config": {"seed": 3}}
    )
    for dtype in ("float32", "float64"):
        values = initializer((300, 200), dtype=dtype)
        assert values.dtype == dtype
        reference = initializer((300, 200), dtype="float64")
        assert abs(values.std() / reference.std() - 1) < 0.05
        assert abs(values.mean() - reference.mean()) < 0.05 * reference.std() + 1e-3
