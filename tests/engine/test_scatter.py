"""`add_rows_at` (engine/scatter.py) gives `np.add.at`'s sums (to float32 rounding), the same
bits on every call."""

import numpy as np
import pytest

from numkeras.engine.scatter import add_rows_at


@pytest.mark.parametrize(
    "index_shape, row_shape", [((50,), (3,)), ((4, 25), (2, 3)), ((0,), (3,)), ((7,), ())]
)
def test_equals_add_at_with_repeated_and_negative_indices(index_shape, row_shape):
    rng = np.random.default_rng(0)
    idx = rng.integers(-6, 6, index_shape)
    rows = rng.standard_normal(index_shape + row_shape).astype("float32")
    for start in (
        np.zeros((6,) + row_shape, "float32"),
        rng.standard_normal((6,) + row_shape).astype("float32"),
    ):
        want = start.copy()
        np.add.at(want, idx, rows)
        got = add_rows_at(start.copy(), idx, rows)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
        np.testing.assert_array_equal(add_rows_at(start.copy(), idx, rows), got)
