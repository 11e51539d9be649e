"""numkeras.random's public generator state: a snapshot restores every stream a model draws from,
and `sharded_rows` draws a process's rows of the global batch's noise."""

import json
import random

import numpy as np

import numkeras
from numkeras import layers
from numkeras import random as nk_random


def draws(generators):
    return (
        [float(nk_random.global_generator().random())]
        + [float(g.rng.random()) for g in generators]
        + [random.random(), float(np.random.random())]
    )


def test_a_snapshot_restores_every_generator():
    model = numkeras.Sequential(
        [numkeras.Input((4,)), layers.Dropout(0.5, seed=1), layers.GaussianNoise(0.1, seed=2)]
    )
    generators = nk_random.seed_generators(model)
    assert len(generators) == 2
    state = json.loads(json.dumps(nk_random.get_generator_states(generators)))  # JSON-able
    first = draws(generators)
    assert draws(generators) != first
    nk_random.set_generator_states(state, generators)
    assert draws(generators) == first


def test_sharded_rows_keep_this_process_rows_of_the_global_draw():
    whole = nk_random.uniform((6, 2), seed=3).numpy()
    with nk_random.sharded_rows(2, 3, 6):
        part = nk_random.uniform((3, 2), seed=3).numpy()
    np.testing.assert_array_equal(part, whole[2:5])
    np.testing.assert_array_equal(nk_random.uniform((6, 2), seed=3).numpy(), whole)  # reset
