"""How many threads the BLAS (NumPy's OpenBLAS) runs: the cores that other processes leave free.

Two BLAS thread pools spinning on the same cores slow each other down many times over (two
tutorial trainings on 2 cores: 142 ms/step each against 29 alone). So numkeras counts the
cores it may use (CPU affinity, a cgroup CPU quota), subtracts the load of other processes
(busy CPU time in /proc/stat minus its own, or the load average elsewhere) and runs that many
BLAS threads, at least one. It decides when `fit`, `evaluate` or `predict` starts, and again
at most once a second during `fit`, from the CPU time used since it last looked (the
process's first look measures a 50 ms window).

Overrides, strongest first: `numkeras.config.set_blas_threads(n)`, the environment variable
NUMKERAS_BLAS_THREADS=n, and OPENBLAS_NUM_THREADS / OMP_NUM_THREADS (the BLAS reads those
itself at start; numkeras then leaves its thread count alone).

OpenBLAS's results differ in their last bits between thread counts, so a thread count that
follows the load would break `set_random_seed`'s bit-for-bit repeatability: after
`set_random_seed`, numkeras runs as many threads as there are usable cores, whatever the load,
until `set_blas_threads` says otherwise (`set_blas_threads(None)`: by load again). The threads
are set through threadpoolctl when installed, else through OpenBLAS's `openblas_set_num_threads`.

OpenBLAS's worker threads spin for about 0.1 s (2**28 cycles) after each multi-threaded call
before they sleep. numkeras's own kernel threads (kernels/threads.py) run right after such
calls, and other processes run beside them: the spinning workers took their cores (a
convolution after a 2-thread GEMM: 18-25 ms against 8-12 ms after a pause). So when numkeras
first sets the thread count it also sets OpenBLAS's shortest spin (OPENBLAS_THREAD_TIMEOUT=4,
2**4 cycles) in every OpenBLAS loaded, unless OPENBLAS_THREAD_TIMEOUT is set already.

Waking the sleeping workers costs more than a second thread saves on a small product (a
Dense layer's backward (128, 10) @ (10, 1600) on 2 threads: median 140-210 us, tail 2-12 ms,
against 65-95 us on one; the tutorial CNN's forward (128, 1600) @ (1600, 10) right after a
convolution's kernel threads: median 223 us, p90 7 ms, against 188 and 208 us). So `matmul`
runs float32 products of up to SMALL_PRODUCT_MACS multiply-adds (both sides longer than 1) on
one thread, chosen by the shape alone, whatever the count: their values are the same on any
count. Up to a depth of SAME_SUMS_MAX_DEPTH OpenBLAS sums each output alike on one and two
threads, so there they are also plain `a @ b`'s values on two threads; deeper ones can differ
from those in the last bits. Such quick switches, and `one_thread`'s, call OpenBLAS's own
setter through ctypes (under a microsecond; threadpoolctl's takes ~35 us). Larger float GEMMs
of the dense op and `matmul` run on numkeras's kernel threads, one BLAS thread each
(kernels/gemm.py).
"""

import contextlib
import ctypes
import os
import time

ENV_OVERRIDES = ("NUMKERAS_BLAS_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")
REFRESH_SECONDS = 1.0
FRESH_WINDOW_SECONDS = 0.05  # the process's first look at the load: a short window
MIN_WINDOW_SECONDS = 0.1  # shorter windows hold too few clock ticks to measure a load
SMALL_PRODUCT_MACS = 3_000_000  # up to this many multiply-adds one thread is faster than two
OPENBLAS_SERIAL_MACS = 262_144  # OpenBLAS runs products up to this size on one thread itself
SAME_SUMS_MAX_DEPTH = 384  # OpenBLAS's float32 GEMM: one and two threads sum alike up to here
IDLE_SPIN = "4"  # OPENBLAS_THREAD_TIMEOUT: idle workers spin 2**4 cycles, then sleep
OPENBLAS_SETTERS = (
    "openblas_set_num_threads",
    "openblas_set_num_threads64_",
    "scipy_openblas_set_num_threads64_",
    "scipy_openblas_set_num_threads",
)

_state = {
    "seeded": False,
    "fixed": None,
    "applied": None,
    "sample": None,
    "checked": 0.0,
    "setter": None,
    "quick": None,
    "spin_set": False,
}


def choose_threads(cores, other_load):
    """BLAS threads for `cores` usable cores of which other processes keep `other_load` busy
    (in cores): the free cores, rounded, between 1 and `cores`."""
    free = int(cores - max(other_load, 0.0) + 0.5)
    return max(1, min(int(cores), free))


def usable_cores():
    """Cores this process may run on: its CPU affinity, capped by a cgroup CPU quota."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    quota = _cgroup_quota()
    return max(1, min(cores, quota)) if quota else cores


def _cgroup_quota():
    """The cgroup v2 (cpu.max) or v1 (cfs quota/period) CPU limit in whole cores, or None."""
    try:
        with open("/sys/fs/cgroup/cpu.max") as f:
            quota, period = f.read().split()[:2]
        return None if quota == "max" else max(1, int(int(quota) / int(period)))
    except (OSError, ValueError):
        pass
    try:
        with open("/sys/fs/cgroup/cpu/cpu.cfs_quota_us") as f:
            quota = int(f.read())
        with open("/sys/fs/cgroup/cpu/cpu.cfs_period_us") as f:
            period = int(f.read())
        return None if quota <= 0 else max(1, int(quota / period))
    except (OSError, ValueError):
        return None


def _cpu_sample():
    """(wall seconds, busy seconds of our cores from /proc/stat, our own CPU seconds), or None
    where /proc/stat is missing."""
    try:
        cpus = os.sched_getaffinity(0)
    except (AttributeError, OSError):
        cpus = None
    try:
        with open("/proc/stat") as f:
            lines = [ln.split() for ln in f if ln.startswith("cpu") and not ln.startswith("cpu ")]
    except OSError:
        return None
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    busy = 0
    for name, *fields in lines:
        if cpus is None or int(name[3:]) in cpus:
            values = [int(v) for v in fields[:8]]
            busy += sum(values) - values[3] - values[4]  # all but idle and iowait
    own = os.times()
    return time.monotonic(), busy / ticks, own.user + own.system


def other_load(previous=None):
    """(cores kept busy by other processes, the sample to pass next time). Without a usable
    earlier sample, the load over a short fresh window; where /proc/stat is missing, the
    1-minute load average."""
    if previous is None:
        previous = _cpu_sample()
        if previous is None:
            return _load_average(), None
        time.sleep(FRESH_WINDOW_SECONDS)
    current = _cpu_sample()
    if current is None:
        return _load_average(), None
    wall = current[0] - previous[0]
    if wall <= 0:
        return 0.0, previous
    others = (current[1] - previous[1]) - (current[2] - previous[2])
    return max(others / wall, 0.0), current


def _load_average():
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return 0.0


def env_threads():
    """The thread count the environment fixes (NUMKERAS_BLAS_THREADS), or "external" when
    OPENBLAS_NUM_THREADS or OMP_NUM_THREADS are set (the BLAS obeys them), or None."""
    value = os.environ.get("NUMKERAS_BLAS_THREADS", "").strip()
    if value:
        try:
            return max(1, int(value))
        except ValueError:
            raise ValueError(
                f"NUMKERAS_BLAS_THREADS must be a positive integer, got {value!r}."
            ) from None
    if any(os.environ.get(name, "").strip() for name in ENV_OVERRIDES[1:]):
        return "external"
    return None


def set_blas_threads(n):
    """Fix the BLAS thread count to `n` (a positive integer), or None to let numkeras choose."""
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise ValueError(f"set_blas_threads: expected a positive integer or None, got {n!r}.")
    _state["fixed"], _state["seeded"] = n, False
    _state["checked"] = 0.0
    if n is not None:
        _apply(n, rescan=True)


def hold_for_seed():
    """Called by `set_random_seed`: keep the thread count fixed at the usable cores from now
    on (OpenBLAS's sums differ in their last bits between thread counts), unless the user fixed
    one; `set_blas_threads(None)` returns to choosing by load."""
    _state["seeded"], _state["checked"] = True, 0.0


def blas_threads():
    """The BLAS thread count numkeras last set (None before it set any)."""
    return _state["applied"]


def refresh(during_fit=False):
    """Choose and apply the thread count now (during fit: at most once a second)."""
    now = time.monotonic()
    if during_fit and now - _state["checked"] < REFRESH_SECONDS:
        return _state["applied"]
    _state["checked"] = now
    n = _state["fixed"]
    if n is None:
        n = env_threads()
        if n == "external":
            return _state["applied"]
    if n is None and _state["seeded"]:
        n = usable_cores()
    if n is None:
        sample = _state["sample"]
        if (
            sample is not None
            and now - sample[0] < MIN_WINDOW_SECONDS
            and _state["applied"] is not None
        ):
            return _state["applied"]  # too soon after the last look to measure anything
        load, _state["sample"] = other_load(sample)
        n = choose_threads(usable_cores(), load)
    if n != _state["applied"]:
        _apply(n, rescan=True)
    return n


@contextlib.contextmanager
def one_thread():
    """Run the block's products on one BLAS thread, then go back: for small GEMMs in a Python
    loop (an RNN's step after step) a second thread costs more to wake and join than it saves,
    and with other processes busy it can cost many times the product. Always one, whatever the
    load, so the results do not depend on it. Left alone where the environment fixes the count."""
    previous = _state["applied"] or refresh()
    if previous is None or previous == 1:
        yield
        return
    _apply(1)
    try:
        yield
    finally:
        _apply(previous)


def runs_alone(m, k, n, dtype):
    """Whether `matmul` runs an (m, k) @ (k, n) product of `dtype` on one BLAS thread: a small
    float32 GEMM (not a GEMV) that OpenBLAS would thread. The shape and dtype alone decide,
    never the load or the thread count."""
    return (
        dtype.char == "f"
        and m > 1
        and n > 1
        and OPENBLAS_SERIAL_MACS < m * k * n <= SMALL_PRODUCT_MACS
    )


def matmul(a, b):
    """`a @ b` of 2-D arrays, on one BLAS thread where `runs_alone` says so (then back to the
    count numkeras set); untouched where numkeras set no count or set one."""
    threads = _state["applied"]
    if (
        threads is None
        or threads == 1
        or a.ndim != 2
        or b.ndim != 2
        or not runs_alone(a.shape[0], a.shape[1], b.shape[1], a.dtype)
    ):
        return a @ b
    quick = _state["quick"]
    quick(1)
    try:
        return a @ b
    finally:
        quick(threads)


def _apply(n, rescan=False):
    """Set the BLAS thread count: threadpoolctl if installed, else OpenBLAS's own setter.
    `rescan` looks for the BLAS libraries loaded since the last look (a later `import scipy`
    brings its own); quick switches (`one_thread`'s) call the setters of the OpenBLAS found
    then through ctypes."""
    if not _state["spin_set"]:
        _state["spin_set"] = True
        shorten_idle_spin()
    if rescan or _state["setter"] is None:
        functions = _openblas_functions()
        _state["setter"] = _find_setter(functions)
        _state["quick"] = _setter_of(functions) if functions else _state["setter"]
        _state["setter"](n)
    else:
        _state["quick"](n)
    _state["applied"] = n


def _find_setter(functions):
    """threadpoolctl's setter for every BLAS loaded, else OpenBLAS's own `functions`."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return _setter_of(functions)
    controller = ThreadpoolController()
    return lambda n: controller.limit(limits=n, user_api="blas")


def _openblas_libraries():
    """Every OpenBLAS this process loaded (found in /proc/self/maps), opened with ctypes."""
    import numpy  # noqa: F401  (loads NumPy's BLAS)

    try:
        with open("/proc/self/maps") as f:
            paths = {ln.split()[-1] for ln in f if "openblas" in ln.lower() and "/" in ln}
    except OSError:
        paths = set()
    libraries = []
    for path in sorted(paths):
        try:
            libraries.append(ctypes.CDLL(path))
        except OSError:
            continue
    return libraries


def shorten_idle_spin():
    """Have every loaded OpenBLAS's idle workers sleep after 2**4 cycles instead of spinning
    ~0.1 s: OpenBLAS re-reads OPENBLAS_THREAD_TIMEOUT (set only for that read) and restarts its
    workers, which take the new value. Left alone where the user set the variable. Returns how
    many libraries it changed."""
    if os.environ.get("OPENBLAS_THREAD_TIMEOUT", "").strip():
        return 0
    changed = 0
    for lib in _openblas_libraries():
        read_env = getattr(lib, "openblas_read_env", None)
        shutdown = getattr(lib, "blas_thread_shutdown_", None)
        if read_env is None or shutdown is None:
            continue
        os.environ["OPENBLAS_THREAD_TIMEOUT"] = IDLE_SPIN
        try:
            read_env()
        finally:
            del os.environ["OPENBLAS_THREAD_TIMEOUT"]
        shutdown()  # the workers start again on the next call, with the new spin
        changed += 1
    return changed


def _openblas_functions():
    """`openblas_set_num_threads` (by whichever name) of every OpenBLAS this process loaded."""
    functions = []
    for lib in _openblas_libraries():
        for name in OPENBLAS_SETTERS:
            function = getattr(lib, name, None)
            if function is not None:
                function.argtypes = [ctypes.c_int]
                functions.append(function)
                break
    return functions


def _setter_of(functions):
    """A setter calling each of `functions` (one that does nothing where there are none)."""

    def set_all(n):
        for function in functions:
            function(n)

    return set_all
