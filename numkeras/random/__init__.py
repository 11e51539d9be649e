"""Seeded random numbers: `SeedGenerator`, the global generator, and Keras's sampling ops.

Every random draw in numkeras (initialisers, shuffling, dropout, noise) comes from a NumPy
`Generator` that is either a layer's `SeedGenerator` or the global one, so
`numkeras.utils.set_random_seed` makes runs repeatable.
"""

import math

import numpy as np

from numkeras.backend.config import floatx
from numkeras.engine.math_ops import multiply
from numkeras.engine.tensor import Tensor, as_tensor
from numkeras.random.generators import (
    SeedGenerator,
    generator_for,
    global_generator,
    sample_rows,
    set_global_seed,
    sharded_rows,
)
from numkeras.random.state import get_generator_states, seed_generators, set_generator_states

__all__ = [
    "SeedGenerator",
    "normal",
    "uniform",
    "truncated_normal",
    "randint",
    "shuffle",
    "dropout",
    "categorical",
    "beta",
    "binomial",
    "gamma",
    "get_generator_states",
    "generator_for",
    "global_generator",
    "sample_rows",
    "seed_generators",
    "set_generator_states",
    "set_global_seed",
    "sharded_rows",
]


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    values = sample_rows(generator_for(seed).standard_normal, shape, dtype=np.float32)
    return Tensor((values * stddev + mean).astype(dtype or floatx()))


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    values = sample_rows(generator_for(seed).random, shape, dtype=np.float32)
    return Tensor((values * (maxval - minval) + minval).astype(dtype or floatx()))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal samples redrawn until within two standard deviations, as Keras does."""
    rng = generator_for(seed)
    values = rng.standard_normal(tuple(shape))
    bad = np.abs(values) > 2
    while bad.any():
        values[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(values) > 2
    return Tensor((values * stddev + mean).astype(dtype or floatx()))


def randint(shape, minval, maxval, dtype="int32", seed=None):
    return Tensor(generator_for(seed).integers(minval, maxval, size=tuple(shape)).astype(dtype))


def shuffle(x, axis=0, seed=None):
    data = np.asarray(x)
    order = generator_for(seed).permutation(data.shape[axis])
    return Tensor(np.take(data, order, axis=axis))


def categorical(logits, num_samples, dtype="int32", seed=None):
    z = np.asarray(logits, dtype=np.float64)
    p = np.exp(z - z.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    cdf = np.cumsum(p, -1)
    draws = generator_for(seed).random((len(p), num_samples))
    # inverse CDF: the index is how many cumulative probabilities the draw exceeds
    samples = (draws[..., None] > cdf[:, None, :-1]).sum(-1)
    return Tensor(samples.astype(dtype))


def gamma(shape, alpha, dtype=None, seed=None):
    """Gamma(alpha, scale 1) samples."""
    return Tensor(generator_for(seed).gamma(alpha, size=tuple(shape)).astype(dtype or floatx()))


def beta(shape, alpha, beta, dtype=None, seed=None):
    """Beta(alpha, beta) samples; `alpha` and `beta` broadcast against `shape`."""
    return Tensor(
        generator_for(seed)
        .beta(np.asarray(alpha), np.asarray(beta), size=tuple(shape))
        .astype(dtype or floatx())
    )


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """The number of successes in `counts` trials of probability `probabilities`, as floats
    (Keras's default dtype)."""
    return Tensor(
        generator_for(seed)
        .binomial(np.asarray(counts), np.asarray(probabilities), size=tuple(shape))
        .astype(dtype or floatx())
    )


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Inverted dropout: keep with probability 1-rate and scale by 1/(1-rate)."""
    x = as_tensor(inputs)
    if not 0 <= rate <= 1:
        raise ValueError(f"Op `dropout`: rate must be in [0, 1], got {rate}.")
    if rate == 1:
        return multiply(x, np.zeros((), x.data.dtype))
    shape = (
        x.shape
        if noise_shape is None
        else tuple(s if n is None else n for n, s in zip(noise_shape, x.shape))
    )
    rng = generator_for(seed)
    keep = sample_rows(lambda shape: keep_mask(rng, rate, shape), shape)
    return masked_scale(x, keep, 1 - rate)


def keep_mask(rng, rate, shape):
    """Booleans, each True with probability `1 - rate`: whether a float32 uniform draw is at
    least `rate`, decided on the raw 32-bit word the draw would be made of (the uniform is its
    top 24 bits times 2**-24). Drawing the words costs 0.6 of drawing the uniforms; the masks
    are the same ones, from a generator with no odd word left over from an earlier draw."""
    size = math.prod(shape)
    words = rng.bit_generator.random_raw((size + 1) // 2).view(np.uint32)[:size]
    steps = math.ceil(float(np.float32(rate)) * 2**24)  # the uniforms kept are >= steps * 2**-24
    if steps >= 2**24:
        return np.zeros(shape, bool)
    return np.greater_equal(words, np.uint32(steps << 8)).reshape(shape)


def masked_scale(x, keep, keep_prob):
    """`x * keep / keep_prob` (the boolean `keep` broadcast over `x`) as one recorded op; its
    VJP scales the gradient by the same factors."""
    x = as_tensor(x)
    dtype = x.data.dtype
    if dtype.kind == "f":  # True * (1 / keep_prob) rounds as True / keep_prob, in one pass
        factor = dtype.type(1) / dtype.type(keep_prob)
        scale = np.multiply(keep, factor, dtype=dtype)
    else:
        scale = (keep / np.asarray(keep_prob, dtype)).astype(dtype)
    y = np.multiply(x.data, scale)

    def vjp(g):
        return (np.multiply(g, scale, dtype=g.dtype),)

    return Tensor(y, (x,), vjp, "dropout")
