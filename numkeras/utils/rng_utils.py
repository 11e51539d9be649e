"""`set_random_seed`: one call that makes numkeras runs repeatable."""

import random

import numpy as np

from numkeras.backend import blas_threads

__all__ = ["set_random_seed"]


def set_random_seed(seed):
    """Seed Python's `random`, NumPy's global generator and numkeras's global generator, and
    hold the BLAS thread count at the usable cores (see `numkeras.config.set_blas_threads`).

    Args:
        seed: a non-negative integer.

    >>> set_random_seed(1337)
    >>> a = random.random(), np.random.rand()
    >>> set_random_seed(1337)
    >>> a == (random.random(), np.random.rand())
    True
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(
            f"Expected `seed` argument to be an integer. Received: seed={seed!r} "
            f"(of type {type(seed)})"
        )
    from numkeras.random import set_global_seed

    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)
    set_global_seed(seed)
    blas_threads.hold_for_seed()  # BLAS sums differ between thread counts
