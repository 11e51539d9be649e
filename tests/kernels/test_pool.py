"""kernels/pool.py: the max pool's gradient routing gives the same bits whether its parts
come as a list of arrays or as one stacked array."""

import numpy as np
import pytest

from numkeras.kernels.pool import _route, _running_max


@pytest.mark.parametrize("parts", [2, 4, 9])
def test_routing_into_a_stacked_array_matches_routing_into_a_list(parts):
    rng = np.random.default_rng(parts)
    z = rng.integers(-2, 3, (parts, 50, 6)).astype(np.float32)  # many ties
    first = np.empty((50, 6), np.uint8)
    _running_max(list(z), out=np.empty((50, 6), np.float32), first=first)
    g = rng.standard_normal((50, 6)).astype(np.float32)
    listed, stacked = np.full_like(z, np.nan), np.full_like(z, np.nan)
    _route(g, first, list(listed))
    _route(g, first, stacked)
    np.testing.assert_array_equal(stacked, listed)
    np.testing.assert_array_equal(stacked.sum(axis=0), g)  # each value goes to one part
    picked = np.take_along_axis(z, first[None].astype(np.intp), axis=0)[0]
    np.testing.assert_array_equal(picked, z.max(axis=0))  # ... and to a maximum
    assert (np.argmax(z, axis=0) == first).all()  # the first one
