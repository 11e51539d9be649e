"""The generators behind every random draw: a layer's `SeedGenerator` or the global one."""

import contextlib

import numpy as np

# batch_rows: (offset, rows, global rows) of this process's slice of the batch during a
# data-parallel training step (numkeras.distribution), else None
_global = {"rng": np.random.default_rng(), "batch_rows": None}


def set_global_seed(seed):
    """Reset the global generator (called by `numkeras.utils.set_random_seed`)."""
    _global["rng"] = np.random.default_rng(seed)


def global_generator():
    return _global["rng"]


class SeedGenerator:
    """A stateful source of randomness; each draw advances it.

    Args:
        seed: an int for a repeatable stream, or None to draw one from the global generator.

    >>> a, b = SeedGenerator(1), SeedGenerator(1)
    >>> float(a.rng.random()) == float(b.rng.random())
    True
    """

    def __init__(self, seed=None, name=None, **kwargs):
        if seed is None:
            seed = int(global_generator().integers(2**31))
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(
                f"Argument `seed` must be None or a non-negative integer. Received: seed={seed!r}"
            )
        self.seed = seed
        self.name = name or "seed_generator"
        self.rng = np.random.default_rng(seed)

    def next(self, ordered=True):
        return self.rng.integers(2**31, size=2)

    def get_config(self):
        return {"seed": self.seed}


def generator_for(seed):
    """The NumPy generator behind `seed`: a SeedGenerator's, a fresh one for an int, or global."""
    if isinstance(seed, SeedGenerator):
        return seed.rng
    if seed is None:
        return global_generator()
    if isinstance(seed, (int, np.integer)):
        return np.random.default_rng(int(seed))
    raise TypeError(f"`seed` must be an int, a SeedGenerator or None, got {seed!r}.")


def sample_rows(sample, shape, **kwargs):
    """`sample(shape, **kwargs)`, for per-sample noise (dropout masks, GaussianNoise).

    In a data-parallel training step, a process holding rows [offset, offset + rows) of the
    global batch draws the noise for the whole batch and keeps its rows: its masks are then
    those a single process would draw for these samples, and every process's generator
    advances alike.
    """
    shape, rows = tuple(shape), _global["batch_rows"]
    if rows is None or not shape or shape[0] != rows[1]:
        return sample(shape, **kwargs)
    offset, size, total = rows
    return sample((total,) + shape[1:], **kwargs)[offset : offset + size]


@contextlib.contextmanager
def sharded_rows(offset, rows, total):
    """Within it, per-sample noise is drawn for a global batch of `total` rows, of which this
    process holds rows [offset, offset + rows) (data-parallel training; see `sample_rows`)."""
    _global["batch_rows"] = (offset, rows, total)
    try:
        yield
    finally:
        _global["batch_rows"] = None
