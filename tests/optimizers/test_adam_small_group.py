"""Adam updates its small variables as one concatenated run: the same bits as one variable at
a time, for Adam, AMSGrad and AdamW, mixed dtypes and sizes, a non-contiguous variable, and a
subclass with its own update_step (which keeps being called per variable)."""

import numpy as np
import pytest

import numkeras
from numkeras.optimizers import adam

LARGER = adam.SMALL_SIZE + 1  # one variable updated alone


def _variables(rng):
    shapes = [(7, 3), (LARGER,), (5,), (64, 64), (1,)]
    vs = [numkeras.Variable(rng.standard_normal(s).astype("float32")) for s in shapes]
    vs.append(numkeras.Variable(rng.standard_normal((4, 2)), dtype="float64"))
    transposed = numkeras.Variable(np.zeros((3, 5), "float32"))
    transposed.data = rng.standard_normal((5, 3)).astype("float32").T  # a strided array
    return vs + [transposed]


def _train(make, grouped, monkeypatch, steps=4):
    if not grouped:  # every variable through update_step, one at a time
        monkeypatch.setattr(adam, "SMALL_SIZE", -1)
    rng = np.random.default_rng(0)
    vs = _variables(rng)
    opt = make()
    for _ in range(steps):
        grads = [rng.standard_normal(v.shape).astype(v.data.dtype) for v in vs]
        opt.apply_gradients(zip(grads, vs))
    monkeypatch.undo()
    return [v.numpy() for v in vs] + [v.numpy() for v in opt.variables]


@pytest.mark.parametrize(
    "make",
    [
        lambda: numkeras.optimizers.Adam(0.01),
        lambda: numkeras.optimizers.Adam(0.01, amsgrad=True),
        lambda: numkeras.optimizers.AdamW(0.01, weight_decay=0.1),
        lambda: numkeras.optimizers.Adam(
            numkeras.optimizers.schedules.ExponentialDecay(0.01, 2, 0.5)
        ),
    ],
)
def test_grouped_small_variables_match_one_at_a_time(make, monkeypatch):
    grouped = _train(make, True, monkeypatch)
    alone = _train(make, False, monkeypatch)
    assert len(grouped) == len(alone)
    for a, b in zip(grouped, alone):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(grouped[0], _variables(np.random.default_rng(0))[0].numpy())


def test_the_grouped_run_really_runs_and_a_subclass_update_step_is_kept(monkeypatch):
    sizes = []
    update = adam._adam_update
    monkeypatch.setattr(adam, "_adam_update", lambda *a: (sizes.append(a[4].size), update(*a))[1])
    rng = np.random.default_rng(0)
    vs = [numkeras.Variable(rng.standard_normal(s).astype("float32")) for s in ((3, 4), (5,))]
    numkeras.optimizers.Adam().apply_gradients(zip([np.ones((3, 4)), np.ones(5)], vs))
    assert sizes == [17]  # one run over both

    class Counting(numkeras.optimizers.Adam):
        calls = 0

        def update_step(self, gradient, variable, learning_rate):
            Counting.calls += 1
            super().update_step(gradient, variable, learning_rate)

    Counting().apply_gradients(zip([np.ones((3, 4)), np.ones(5)], vs))
    assert Counting.calls == 2
