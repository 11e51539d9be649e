"""Shared test fixtures and markers.

The oracles (PyTorch, real Keras 3 on its torch backend) are optional: a test asks for them
through the `torch` and `keras` fixtures, which skip it cleanly when the oracle is absent, and
such a test is marked `oracle` so `pytest -m "not oracle"` runs the dependency-free part.
"""

import os
import warnings

import pytest

# Keras picks its backend once, on first import: PyTorch's is the oracle we install.
os.environ.setdefault("KERAS_BACKEND", "torch")

ORACLE_FIXTURES = ("keras", "torch")


@pytest.fixture(scope="session")
def torch():
    """PyTorch, one thread (the oracles' matmuls are tiny: threads only add contention)."""
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    return torch


@pytest.fixture(scope="session")
def keras():
    """Real Keras 3 on the torch backend."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras's and torch's import-time warnings
        keras = pytest.importorskip("keras")
    if keras.backend.backend() == "torch":
        import torch

        torch.set_num_threads(1)
    return keras


@pytest.fixture
def thread_counts():
    """Set the BLAS (and kernel) thread count for a test; the policy and count are restored
    after it, and the BLAS setter is dropped if the test made it (it knows only the BLAS
    libraries loaded when it was made: a later test may load another, as torch does)."""
    from numkeras.backend import blas_threads

    saved = dict(blas_threads._state)
    yield blas_threads.set_blas_threads
    blas_threads._state.update(saved)
    blas_threads._apply(saved["applied"] or blas_threads.usable_cores())
    blas_threads._state["setter"] = saved["setter"]


@pytest.fixture
def same_bits_on_thread_counts(thread_counts):
    """`check(run)`: calls `run()` (returning arrays) with 1, 2 and 3 kernel/BLAS threads and
    asserts every array bit for bit equal to one thread's; returns one thread's arrays."""
    import numpy as np

    from numkeras.kernels import threads

    def check(run):
        results = {}
        for n in (1, 2, 3):
            thread_counts(n)
            assert threads.workers() == n
            results[n] = [np.asarray(a) for a in run()]
        for n in (2, 3):
            assert len(results[n]) == len(results[1])
            for got, want in zip(results[n], results[1]):
                np.testing.assert_array_equal(got, want)
        return results[1]

    return check


def pytest_collection_modifyitems(items):
    """A test that asks for an oracle fixture is an oracle test."""
    for item in items:
        if any(name in getattr(item, "fixturenames", ()) for name in ORACLE_FIXTURES):
            item.add_marker(pytest.mark.oracle)
