"""numkeras runs as many BLAS threads as other processes leave cores free; settings override."""

import os
import subprocess
import sys

import numpy as np
import pytest

import numkeras
from numkeras.backend import blas_threads

threadpoolctl = pytest.importorskip("threadpoolctl")


@pytest.fixture(autouse=True)
def automatic(monkeypatch):
    """Each test starts from the automatic policy with no environment overrides, and leaves
    the policy automatic and the BLAS at the usable cores."""
    for name in blas_threads.ENV_OVERRIDES:
        monkeypatch.delenv(name, raising=False)
    saved = dict(blas_threads._state, setter=None)  # (BLAS libraries loaded since: seen)
    blas_threads._state["setter"] = None
    blas_threads.set_blas_threads(None)
    yield
    blas_threads._state.update(saved)
    blas_threads._apply(blas_threads.usable_cores())


def blas_info():
    return [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]


@pytest.mark.parametrize(
    "cores, load, expected",
    [
        (2, 0.0, 2),
        (2, 0.4, 2),
        (2, 0.6, 1),
        (2, 1.0, 1),
        (2, 2.0, 1),
        (2, 7.5, 1),
        (8, 0.0, 8),
        (8, 3.0, 5),
        (8, 2.6, 5),
        (8, 20.0, 1),
        (1, 0.0, 1),
        (4, -1.0, 4),
    ],
)
def test_threads_are_the_cores_other_processes_leave_free(cores, load, expected):
    assert blas_threads.choose_threads(cores, load) == expected


def fake_machine(monkeypatch, cores, load):
    monkeypatch.setattr(blas_threads, "usable_cores", lambda: cores)
    monkeypatch.setattr(blas_threads, "other_load", lambda sample: (load, None))


def test_refresh_applies_the_choice_to_the_blas(monkeypatch):
    fake_machine(monkeypatch, 2, 1.0)
    assert blas_threads.refresh() == 1
    assert numkeras.config.blas_threads() == 1
    assert set(blas_info()) == {1}
    fake_machine(monkeypatch, 2, 0.0)
    assert blas_threads.refresh() == 2
    assert set(blas_info()) == {2}


def test_during_fit_the_choice_is_refreshed_at_most_once_a_second(monkeypatch):
    fake_machine(monkeypatch, 2, 0.0)
    blas_threads.refresh()
    fake_machine(monkeypatch, 2, 1.5)
    assert blas_threads.refresh(during_fit=True) == 2  # less than a second later
    blas_threads._state["checked"] -= blas_threads.REFRESH_SECONDS
    assert blas_threads.refresh(during_fit=True) == 1


def test_fit_evaluate_and_predict_choose_by_load(monkeypatch):
    model = numkeras.Sequential([numkeras.Input((3,)), numkeras.layers.Dense(2)])
    model.compile("sgd", "mse")
    x, y = np.ones((4, 3), "float32"), np.ones((4, 2), "float32")
    for call in (
        lambda: model.fit(x, y, verbose=0),
        lambda: model.evaluate(x, y, verbose=0),
        lambda: model.predict(x, verbose=0),
    ):
        fake_machine(monkeypatch, 2, 2.0)
        blas_threads._apply(2)
        call()
        assert set(blas_info()) == {1}


def test_set_blas_threads_overrides_the_load(monkeypatch):
    fake_machine(monkeypatch, 2, 2.0)
    numkeras.config.set_blas_threads(2)
    assert blas_threads.refresh() == 2 and set(blas_info()) == {2}
    numkeras.config.set_blas_threads(None)
    assert blas_threads.refresh() == 1


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_set_blas_threads_rejects_what_is_not_a_positive_integer(bad):
    with pytest.raises(ValueError, match="set_blas_threads: expected a positive integer"):
        numkeras.config.set_blas_threads(bad)


def test_numkeras_blas_threads_variable_fixes_the_count(monkeypatch):
    fake_machine(monkeypatch, 2, 0.0)
    monkeypatch.setenv("NUMKERAS_BLAS_THREADS", "1")
    assert blas_threads.refresh() == 1 and set(blas_info()) == {1}
    monkeypatch.setenv("NUMKERAS_BLAS_THREADS", "many")
    with pytest.raises(ValueError, match="NUMKERAS_BLAS_THREADS must be a positive integer"):
        blas_threads.refresh()


@pytest.mark.parametrize("name", ["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"])
def test_blas_variables_leave_the_count_to_the_blas(monkeypatch, name):
    fake_machine(monkeypatch, 2, 2.0)
    blas_threads._apply(2)
    monkeypatch.setenv(name, "2")
    blas_threads.refresh()
    assert set(blas_info()) == {2}


def test_a_seed_holds_the_threads_at_the_usable_cores_whatever_the_load(monkeypatch):
    fake_machine(monkeypatch, 2, 2.0)
    numkeras.utils.set_random_seed(0)
    assert blas_threads.refresh() == 2
    numkeras.config.set_blas_threads(None)  # back to choosing by load
    assert blas_threads.refresh() == 1


def test_other_load_is_busy_time_minus_this_process_own(monkeypatch):
    """(wall, busy seconds of all cores, own CPU seconds): 1.5 busy core-seconds in one second,
    0.4 of them ours, is a load of 1.1 cores from other processes."""
    monkeypatch.setattr(blas_threads, "_cpu_sample", lambda: (11.0, 101.5, 5.4))
    load, sample = blas_threads.other_load((10.0, 100.0, 5.0))
    assert load == pytest.approx(1.1) and sample == (11.0, 101.5, 5.4)
    monkeypatch.setattr(blas_threads, "_cpu_sample", lambda: (12.0, 102.0, 6.4))
    assert blas_threads.other_load(sample)[0] == 0.0  # only this process was busy


def test_the_cpu_sample_reads_this_machine():
    sample = blas_threads._cpu_sample()
    if sample is None:
        pytest.skip("no /proc/stat")
    wall, busy, own = sample
    assert busy > 0 and own > 0 and 1 <= blas_threads.usable_cores() <= (os.cpu_count() or 1)


def test_openblas_fallback_sets_the_threads_without_threadpoolctl():
    setter = blas_threads._setter_of(blas_threads._openblas_functions())
    setter(1)
    assert set(blas_info()) == {1}
    setter(2)
    assert set(blas_info()) == {2}


def test_one_thread_runs_the_block_on_one_and_goes_back(monkeypatch):
    fake_machine(monkeypatch, 2, 0.0)
    blas_threads.refresh()
    assert set(blas_info()) == {2}
    with blas_threads.one_thread():
        assert set(blas_info()) == {1}
    assert set(blas_info()) == {2} and blas_threads.blas_threads() == 2
    with pytest.raises(RuntimeError), blas_threads.one_thread():
        raise RuntimeError("the count comes back after an error too")
    assert set(blas_info()) == {2}


def test_one_thread_switches_through_the_quick_setter(monkeypatch):
    """`one_thread` calls OpenBLAS's setter found at the last choice (no threadpoolctl scan)."""
    fake_machine(monkeypatch, 2, 0.0)
    blas_threads.refresh()
    calls = spy_quick(monkeypatch)
    with blas_threads.one_thread():
        assert set(blas_info()) == {1}
    assert calls == [(1, 2), (2, 1)] and set(blas_info()) == {2}


def test_one_thread_leaves_an_environment_count_alone(monkeypatch):
    blas_threads._apply(2)
    blas_threads._state["applied"] = None
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    with blas_threads.one_thread():
        assert set(blas_info()) == {2}


def test_rnn_time_loops_run_on_one_thread(monkeypatch):
    """The GRU's GEMMs run single-threaded, the per-step products and the kernel tasks of the
    projection (repeatable whatever the load); the thread count is restored after."""
    from numkeras.ops.layer_ops import rnn

    fake_machine(monkeypatch, 2, 0.0)
    blas_threads.refresh()
    seen = []
    real_matmul = np.matmul

    def spy(*args, **kwargs):
        seen.append(set(blas_info()))
        return real_matmul(*args, **kwargs)

    monkeypatch.setattr(rnn.np, "matmul", spy)
    x = np.zeros((2, 3, 8), "float32")
    h = np.zeros((2, 2), "float32")
    rnn.gru_sequence(x, np.zeros((8, 6), "float32"), h, np.zeros((2, 6), "float32"))
    assert len(seen) > 3 and seen == [{1}] * len(seen)
    assert set(blas_info()) == {2}


def numpy_openblas():
    """NumPy's OpenBLAS opened with ctypes, or a skip where NumPy uses another BLAS."""
    import ctypes

    paths = [
        i["filepath"]
        for i in threadpoolctl.threadpool_info()
        if i["internal_api"] == "openblas" and "numpy" in i["filepath"]
    ]
    if not paths:
        pytest.skip("NumPy does not use OpenBLAS here")
    lib = ctypes.CDLL(paths[0])
    if not hasattr(lib, "openblas_thread_timeout") or not hasattr(lib, "openblas_read_env"):
        pytest.skip("this OpenBLAS cannot re-read its settings")
    return lib


def test_first_thread_choice_shortens_openblas_idle_spin(monkeypatch):
    lib = numpy_openblas()
    monkeypatch.setenv("OPENBLAS_THREAD_TIMEOUT", "10")  # as if never shortened
    lib.openblas_read_env()
    assert lib.openblas_thread_timeout() == 10
    monkeypatch.delenv("OPENBLAS_THREAD_TIMEOUT")
    a = np.random.default_rng(0).random((300, 200), dtype="float32")
    before = a @ a.T
    monkeypatch.setitem(blas_threads._state, "spin_set", False)
    blas_threads._apply(2)
    assert lib.openblas_thread_timeout() == int(blas_threads.IDLE_SPIN)
    assert "OPENBLAS_THREAD_TIMEOUT" not in os.environ  # set only for OpenBLAS's read
    assert blas_info() and all(n == 2 for n in blas_info())
    np.testing.assert_array_equal(a @ a.T, before)  # the restarted workers compute alike
    assert blas_threads._state["spin_set"]


def test_a_user_spin_setting_is_left_alone(monkeypatch):
    numpy_openblas()
    monkeypatch.setenv("OPENBLAS_THREAD_TIMEOUT", "12")
    assert blas_threads.shorten_idle_spin() == 0


def test_a_blas_loaded_after_the_first_choice_gets_the_next_one():
    """`import scipy.linalg` after numkeras set its threads brings another OpenBLAS: a changed
    choice reaches it too (it kept its own count before)."""
    pytest.importorskip("scipy")
    script = """
import numkeras
from numkeras.backend import blas_threads
import threadpoolctl
blas_threads.set_blas_threads(2)
import scipy.linalg
blas_threads.set_blas_threads(1)
info = threadpoolctl.threadpool_info()
print(sorted({i["num_threads"] for i in info if i["user_api"] == "blas"}))
"""
    env = {k: v for k, v in os.environ.items() if k not in blas_threads.ENV_OVERRIDES}
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split()[-1] == "[1]"


def spy_quick(monkeypatch):
    """Record the counts the quick setter is given (it still sets them)."""
    calls = []
    if blas_threads._state["setter"] is None:  # the fixture's fresh start: find the BLAS now
        blas_threads._apply(blas_threads._state["applied"], rescan=True)
    real = blas_threads._state["quick"]

    def quick(n):
        calls.append((n, *set(blas_info())))  # the count asked for, then the count before
        real(n)

    monkeypatch.setitem(blas_threads._state, "quick", quick)
    return calls


@pytest.mark.parametrize(
    "m, k, n, dtype, alone",
    [
        (128, 10, 1600, "float32", True),  # a Dense layer's backward
        (1600, 128, 10, "float32", True),
        (512, 128, 10, "float32", True),
        (64, 64, 64, "float32", False),  # OpenBLAS keeps it on one thread itself
        (2048, 128, 128, "float32", False),  # large enough for two
        (128, 1600, 10, "float32", True),  # the tutorial CNN's Dense forward: deep, alone too
        (128, 2000, 100, "float32", False),  # too large for one thread
        (1, 384, 5000, "float32", False),  # a GEMV: its threads sum differently
        (5000, 384, 1, "float32", False),
        (128, 10, 1600, "float64", False),
        (128, 10, 1600, "float16", False),
    ],
)
def test_small_float32_products_run_alone_by_shape(m, k, n, dtype, alone):
    assert blas_threads.runs_alone(m, k, n, np.dtype(dtype)) is alone


def test_a_small_product_runs_on_one_thread_and_goes_back(monkeypatch):
    fake_machine(monkeypatch, 2, 0.0)
    blas_threads.refresh()
    calls = spy_quick(monkeypatch)
    rng = np.random.default_rng(0)
    gz, k = rng.random((128, 10), "float32"), rng.random((1600, 10), "float32")
    y = blas_threads.matmul(gz, k.T)
    assert calls == [(1, 2), (2, 1)]
    assert set(blas_info()) == {2} and blas_threads.blas_threads() == 2
    with blas_threads.one_thread():
        np.testing.assert_array_equal(y, gz @ k.T)  # one thread's values


def test_a_large_product_keeps_the_threads(monkeypatch):
    fake_machine(monkeypatch, 2, 0.0)
    blas_threads.refresh()
    calls = spy_quick(monkeypatch)
    a = np.ones((2048, 128), "float32")
    blas_threads.matmul(a, np.ones((128, 128), "float32"))
    blas_threads.matmul(np.ones((64, 8), "float32"), np.ones((8, 64), "float32"))
    assert calls == []


def test_small_products_leave_fixed_and_environment_counts_alone(monkeypatch):
    a, b = np.ones((128, 10), "float32"), np.ones((10, 1600), "float32")
    numkeras.config.set_blas_threads(1)
    calls = spy_quick(monkeypatch)
    blas_threads.matmul(a, b)
    assert calls == [] and set(blas_info()) == {1}
    numkeras.config.set_blas_threads(2)  # a fixed count of 2: small products still run alone
    calls = spy_quick(monkeypatch)
    blas_threads.matmul(a, b)
    assert calls == [(1, 2), (2, 1)]
    blas_threads._state["applied"] = None  # as where OPENBLAS_NUM_THREADS decides
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    calls = spy_quick(monkeypatch)
    blas_threads.matmul(a, b)
    assert calls == [] and set(blas_info()) == {2}


def test_deep_products_run_alone_give_the_same_values_on_any_count():
    """One and two OpenBLAS threads may sum a deep product differently: `matmul` runs such
    small products on one thread, so their values do not depend on the count."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((128, 1600), "float32"), rng.standard_normal((1600, 10), "float32")
    values = []
    for n in (1, 2, 3):
        numkeras.config.set_blas_threads(n)
        values.append(blas_threads.matmul(a, b))
    for v in values[1:]:
        np.testing.assert_array_equal(v, values[0])


def test_products_run_alone_give_one_threads_values_on_any_count():
    """Where `runs_alone` says one thread, `matmul` gives a one-thread `a @ b`'s bits on 2 and 3
    threads too (transposed operands included), so the count changes no value."""
    setter = blas_threads._setter_of(blas_threads._openblas_functions())
    rng = np.random.default_rng(0)
    checked = 0
    for _ in range(300):
        m, n = (int(v) for v in np.exp(rng.uniform(np.log(2), np.log(3000), 2)))
        k = int(np.exp(rng.uniform(0, np.log(3000))))
        if not blas_threads.runs_alone(m, k, n, np.dtype("float32")):
            continue
        ta, tb = rng.integers(2, size=2)
        a = rng.standard_normal((k, m) if ta else (m, k), "float32")
        b = rng.standard_normal((n, k) if tb else (k, n), "float32")
        a, b = (a.T if ta else a), (b.T if tb else b)
        setter(1)
        one = a @ b
        for count in (2, 3):
            numkeras.config.set_blas_threads(count)
            np.testing.assert_array_equal(blas_threads.matmul(a, b), one)
        checked += 1
    assert checked > 50


def test_a_dense_layer_runs_its_small_products_alone(monkeypatch):
    fake_machine(monkeypatch, 2, 0.0)
    blas_threads.refresh()
    calls = spy_quick(monkeypatch)
    layer = numkeras.layers.Dense(10)
    x = numkeras.ops.convert_to_tensor(np.ones((128, 1600), "float32"))
    layer.build(x.shape)
    with numkeras.GradientTape() as tape:
        loss = numkeras.ops.sum(layer(x))
    tape.gradient(loss, layer.trainable_variables)
    # the forward's (128, 1600) @ (1600, 10) and the kernel's gradient (1600, 128) @ (128, 10);
    # x needs no gradient
    assert calls == [(1, 2), (2, 1)] * 2
    assert set(blas_info()) == {2}
