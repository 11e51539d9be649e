"""Adam's update of a large variable runs in chunks on numkeras's kernel threads: the same bits
as on one thread, for Adam, AMSGrad and AdamW, and the chunked path really runs."""

import numpy as np
import pytest

import numkeras
from numkeras.backend import blas_threads
from numkeras.kernels import threads
from numkeras.optimizers import adam


def train(make, n_threads, monkeypatch):
    """Three steps on a large (threaded) and a small variable; the values and how many
    `threads.run` calls the updates made."""
    blas_threads.set_blas_threads(n_threads)
    calls = []
    run = threads.run
    monkeypatch.setattr(threads, "run", lambda tasks: (calls.append(len(tasks)), run(tasks)))
    rng = np.random.default_rng(0)
    big = numkeras.Variable(rng.standard_normal((600, 500)).astype("float32"))
    small = numkeras.Variable(rng.standard_normal((7, 3)).astype("float32"))
    assert big.numpy().size >= adam.THREADED_SIZE > small.numpy().size
    opt = make()
    for _ in range(3):
        grads = [rng.standard_normal(v.shape).astype("float32") for v in (big, small)]
        opt.apply_gradients(zip(grads, (big, small)))
    monkeypatch.setattr(threads, "run", run)
    return big.numpy(), small.numpy(), calls


@pytest.mark.parametrize(
    "make",
    [
        lambda: numkeras.optimizers.Adam(0.01),
        lambda: numkeras.optimizers.Adam(0.01, amsgrad=True),
        lambda: numkeras.optimizers.AdamW(0.01, weight_decay=0.1),
    ],
)
def test_threaded_adam_matches_one_thread(make, thread_counts, monkeypatch):
    big1, small1, calls1 = train(make, 1, monkeypatch)
    big2, small2, calls2 = train(make, 2, monkeypatch)
    assert calls1 == [] and calls2 == [2, 2, 2]  # one 2-chunk run per step, the big variable's
    np.testing.assert_array_equal(big1, big2)
    np.testing.assert_array_equal(small1, small2)


def test_chunks_refuse_non_contiguous_arrays():
    a = np.zeros((4, 6), "float32")
    assert adam._chunks((a, a.T.copy().T), 2) is None
    assert adam._chunks((a, a[:, :3]), 2) is None
    runs = adam._chunks((a, a + 1), 3)
    assert [r[0].size for r in runs] == [8, 8, 8]
    assert all(np.shares_memory(r[0], a) for r in runs)


def _train_mixed(n_threads, monkeypatch, duplicate=False):
    """Three Adam steps on two large variables, a mid-size and a small one (the first large
    one listed twice with `duplicate`); the values and the `threads.run` calls' task counts."""
    blas_threads.set_blas_threads(n_threads)
    calls = []
    run = threads.run
    monkeypatch.setattr(threads, "run", lambda tasks: (calls.append(len(tasks)), run(tasks)))
    rng = np.random.default_rng(1)
    shapes = [(600, 500), (70, 90), (512, 512), (9,)]
    vs = [numkeras.Variable(rng.standard_normal(s).astype("float32")) for s in shapes]
    listed = vs + vs[:1] if duplicate else vs
    opt = numkeras.optimizers.Adam(0.01)
    for _ in range(3):
        grads = [rng.standard_normal(v.shape).astype("float32") for v in listed]
        opt.apply_gradients(zip(grads, listed))
    monkeypatch.setattr(threads, "run", run)
    return [v.numpy() for v in vs], calls


def test_large_variables_share_one_threaded_run(thread_counts, monkeypatch):
    """Both large variables' chunks and the mid-size variable's update: one `threads.run` of
    five tasks a step, the bits of one thread."""
    one, calls1 = _train_mixed(1, monkeypatch)
    two, calls2 = _train_mixed(2, monkeypatch)
    assert calls1 == [] and calls2 == [5, 5, 5]
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)


def test_a_variable_listed_twice_is_updated_in_turn(thread_counts, monkeypatch):
    """Two updates of one variable in a step must not run at once: each variable's chunks run
    by themselves then, in the order given, with the bits of one thread."""
    one, _ = _train_mixed(1, monkeypatch, duplicate=True)
    two, calls = _train_mixed(2, monkeypatch, duplicate=True)
    assert calls == []
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)
