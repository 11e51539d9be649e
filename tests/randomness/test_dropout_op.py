"""ops.dropout's parts: the keep mask drawn from raw generator words, and the recorded op that
applies it (float64 gradient check, PyTorch agreement)."""

import numpy as np
import pytest

from numkeras import ops
from numkeras.random import SeedGenerator, keep_mask, masked_scale
from tests.engine.gradcheck import check_grad, compare_op, rand


@pytest.mark.parametrize("rate", [0.2, 0.5, 0.1, 1e-9, 1 / 3, 0.9999])
@pytest.mark.parametrize("shape", [(128, 512), (7, 3)])
def test_keep_mask_is_the_float32_uniform_mask(rate, shape):
    """The mask `uniform >= rate` of float32 uniforms, from the words those uniforms are made
    of: the same masks as drawing the uniforms, and the generator advanced alike."""
    ours, theirs = np.random.default_rng(5), np.random.default_rng(5)
    for _ in range(3):
        mask = keep_mask(ours, rate, shape)
        expected = theirs.random(shape, dtype=np.float32) >= rate
        assert mask.dtype == bool and mask.shape == shape
        np.testing.assert_array_equal(mask, expected)
        if theirs.bit_generator.state["has_uint32"]:  # an odd count leaves half a word
            theirs.random(dtype=np.float32)
        assert ours.bit_generator.state["state"] == theirs.bit_generator.state["state"]


def test_keep_mask_rates_at_the_ends():
    rng = np.random.default_rng(0)
    assert keep_mask(rng, 0.0, (1000,)).all()
    assert not keep_mask(rng, 1 - 1e-9, (1000,)).any()  # float32(rate) is 1: nothing is kept
    kept = keep_mask(rng, 0.3, (400, 500)).mean()
    assert abs(kept - 0.7) < 0.005


def test_dropout_masks_repeat_with_the_seed_and_scale_the_kept_values():
    x = np.arange(1, 4097, dtype="float32").reshape(64, 64)
    first = ops.dropout(x, 0.25, seed=SeedGenerator(3)).numpy()
    again = ops.dropout(x, 0.25, seed=SeedGenerator(3)).numpy()
    np.testing.assert_array_equal(first, again)
    kept = first != 0
    assert first.dtype == np.float32 and 0.7 < kept.mean() < 0.8
    np.testing.assert_array_equal(first[kept], x[kept] * (np.float32(1) / np.float32(0.75)))


def test_dropout_noise_shape_drops_whole_rows():
    y = ops.dropout(np.ones((50, 6), "float32"), 0.5, noise_shape=(None, 1), seed=1).numpy()
    assert set(np.unique(y)) <= {0.0, 2.0}
    assert (y == y[:, :1]).all() and 0 < (y[:, 0] == 0).sum() < 50


MASK = np.random.default_rng(2).random((4, 5)) >= 0.4
ROWS = np.random.default_rng(3).random((4, 1)) >= 0.5


@pytest.mark.parametrize("keep", [MASK, ROWS], ids=["elementwise", "broadcast"])
def test_masked_scale_gradcheck(keep):
    check_grad(lambda x: masked_scale(x, keep, 0.6), rand(4, 5))


@pytest.mark.oracle
@pytest.mark.parametrize("keep", [MASK, ROWS], ids=["elementwise", "broadcast"])
def test_masked_scale_matches_torch(keep, torch):
    mask = torch.tensor(keep, dtype=torch.float32)
    compare_op([(4, 5)], lambda x: x * mask / 0.6, lambda x: masked_scale(x, keep, 0.6))
