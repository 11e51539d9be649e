"""`add_rows_at` (engine/scatter.py) gives `np.add.at`'s sums bit for bit: each row receives
its additions in the same order."""

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
        np.testing.assert_array_equal(got, want)


def test_an_embedding_gradient_with_many_repeats_equals_add_at_bit_for_bit():
    rng = np.random.default_rng(1)
    idx = np.concatenate([rng.integers(0, 40, (64, 30)), np.full((64, 2), 7)], axis=1)
    rows = rng.standard_normal(idx.shape + (5,)).astype("float32")[:, ::-1]  # a strided view
    want = np.zeros((40, 5), "float32")
    np.add.at(want, idx, rows)
    np.testing.assert_array_equal(add_rows_at(np.zeros((40, 5), "float32"), idx, rows), want)
