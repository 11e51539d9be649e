"""Running a kernel's independent tasks on the cores numkeras gives the BLAS.

A kernel that splits its work into cache-sized blocks makes many small GEMMs, and OpenBLAS's
own threads gain little on those (every call wakes and joins them, and on a loaded machine a
call waits for its slowest thread). So such a kernel hands its tasks to a pool of Python
threads, as many as the BLAS threads numkeras chose (`numkeras.config.blas_threads()`), with
OpenBLAS held to one thread while they run; NumPy releases the GIL in its copies and GEMMs.
A task's result must depend on the task alone, so values are the same for any thread count.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

from numkeras.backend import blas_threads

_pool = {"executor": None, "size": 0}
_inside = threading.local()  # set on the pool's threads: a task's own `run` calls stay serial


def workers():
    """How many threads `run` uses: the BLAS threads numkeras set (1 before it set any, or
    when the environment fixes the BLAS's own threads)."""
    return blas_threads.blas_threads() or 1


def _executor(size):
    if _pool["size"] != size:
        if _pool["executor"] is not None:
            _pool["executor"].shutdown()
        _pool["executor"] = ThreadPoolExecutor(size, thread_name_prefix="numkeras-kernel")
        _pool["size"] = size
    return _pool["executor"]


def _on_pool(task):
    _inside.active = True
    try:
        task()
    finally:
        _inside.active = False


def run(tasks):
    """Call every task (a function of no arguments); with more than one worker they run on the
    pool, the BLAS single-threaded meanwhile (a task that calls `run` runs those tasks itself,
    in order). Returns when all are done; re-raises the first error."""
    size = workers()
    if min(size, len(tasks)) <= 1 or getattr(_inside, "active", False):
        for task in tasks:
            task()
        return
    executor = _executor(size)
    with blas_threads.one_thread():
        futures = [executor.submit(_on_pool, task) for task in tasks]
        for future in futures:
            future.result()
