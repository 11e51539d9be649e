"""Running a kernel's independent tasks on the cores numkeras gives the BLAS.

A kernel that splits its work into cache-sized blocks makes many small GEMMs, and OpenBLAS's
own threads gain little on those (every call wakes and joins them, and on a loaded machine a
call waits for its slowest thread). So such a kernel hands its tasks to the calling thread and
a pool of Python threads, as many in all as the BLAS threads numkeras chose
(`numkeras.config.blas_threads()`), with OpenBLAS held to one thread while they run; NumPy
releases the GIL in its copies and GEMMs.
A task's result must depend on the task alone, so values are the same for any thread count.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

from numkeras.backend import blas_threads

_pool = {"executor": None, "size": 0}
_inside = threading.local()  # set on threads running tasks: a task's own `run` calls stay serial


def workers():
    """How many threads `run` uses: the BLAS threads numkeras set (1 before it set any, or
    when the environment fixes the BLAS's own threads)."""
    return blas_threads.blas_threads() or 1


def in_task():
    """Whether the calling thread is running one of `run`'s tasks (its own `run` calls, and
    other work that would take a second core, stay serial there)."""
    return getattr(_inside, "active", False)


def _executor(size):
    if _pool["size"] != size:
        if _pool["executor"] is not None:
            _pool["executor"].shutdown()
        _pool["executor"] = ThreadPoolExecutor(size, thread_name_prefix="numkeras-kernel")
        _pool["size"] = size
    return _pool["executor"]


def _serve(take, errors, finished):
    """Run tasks from `take` until none is left, noting each error with its task's index and
    calling `finished()` after each."""
    _inside.active = True
    try:
        while (item := take()) is not None:
            index, task = item
            try:
                task()
            except BaseException as error:  # noqa: BLE001  (re-raised by `run`)
                errors.append((index, error))
            finally:
                finished()
    finally:
        _inside.active = False


def run(tasks):
    """Call every task (a function of no arguments); with more than one worker the calling
    thread and the pool's threads take the tasks in order, each the next one left as it gets
    free, the BLAS single-threaded meanwhile (a task that calls `run` runs those tasks itself,
    in order). The caller starts at once, so a pool thread that wakes late costs no idle core;
    and many small tasks spread evenly whatever a thread's delay. Returns when all are done,
    without waiting for a pool thread that took none (one that wakes after the caller ran
    them all finds none left); re-raises the error of the first task (in order) that failed."""
    size = min(workers(), len(tasks))
    if size <= 1 or in_task():
        for task in tasks:
            task()
        return
    executor = _executor(workers() - 1)
    queue, lock, errors = iter(enumerate(tasks)), threading.Lock(), []
    left, done = [len(tasks)], threading.Event()

    def take():
        with lock:
            return next(queue, None)

    def finished():
        with lock:
            left[0] -= 1
            if not left[0]:
                done.set()

    with blas_threads.one_thread():
        for _ in range(size - 1):
            executor.submit(_serve, take, errors, finished)
        _serve(take, errors, finished)
        done.wait()
    if errors:
        raise min(errors, key=lambda item: item[0])[1]


def even_slices(n, size):
    """Slices cutting range(n) into pieces of at most `size` items, evened out (sizes within
    one) and, where there are several, an even number of them (at most n): two kernel threads
    then share them equally, where pieces of `size` and a short last one could leave one
    thread a whole piece more work."""
    count = -(-n // max(1, size))
    count = min(n, count + count % 2) if count > 1 else count
    bounds = [n * i // count for i in range(count + 1)]
    return [slice(a, b) for a, b in zip(bounds, bounds[1:])]


def guided_slices(n, size, least=1):
    """Slices cutting range(n) into pieces of at most `size` items, each at most a quarter of
    the items left from its start (but at least `least`), so that they shrink toward the end:
    threads taking them in order finish within a small piece of each other however late one
    of them starts or however slowly it runs beside other processes, where equal pieces left
    one thread waiting up to a whole piece for the other. The pieces depend on `n`, `size`
    and `least` only, so sums by piece are the same for any thread count."""
    bounds = [0]
    while bounds[-1] < n:
        rest = n - bounds[-1]
        bounds.append(bounds[-1] + min(rest, max(1, size), max(least, -(-rest // 4))))
    return [slice(a, b) for a, b in zip(bounds, bounds[1:])]
