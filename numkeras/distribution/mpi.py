"""MPI collectives with a deadline, so that a process that died or hangs stops the job.

A blocking `MPI_Allreduce` waits forever for a process that will never arrive. Every
collective here is started non-blocking (`Iallreduce`, `Ibcast`, ...) and polled until a
deadline; past it, the process prints which operation timed out and calls
`MPI_COMM_WORLD.Abort`, which makes `mpiexec` (or `srun`) end every process with a non-zero
exit code. mpi4py is imported only when a `Communicator` is made.
"""

import os
import pickle
import sys
import time

import numpy as np

_yield = getattr(os, "sched_yield", lambda: None)
INSTALL_HINT = "pip install 'numkeras[mpi]'  (mpi4py and the mpich wheel, which has mpiexec)"

# Set by the MPI launchers (MPICH/Intel MPI hydra and PMI-1/2 under SLURM, Open MPI, PMIx).
_LAUNCHER_SIZE = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS")


def launched_size():
    """How many processes the MPI launcher started, read from its environment; 1 if none."""
    for key in _LAUNCHER_SIZE:
        if os.environ.get(key, "").isdigit():
            return int(os.environ[key])
    return 1


def import_mpi():
    try:
        from mpi4py import MPI
    except ImportError as error:
        message = f"Data-parallel training over MPI needs mpi4py: {INSTALL_HINT}."
        raise ImportError(message) from error
    return MPI


class Communicator:
    """`MPI.COMM_WORLD` with collectives that give up after `timeout` seconds.

    `wait_seconds` adds up the time spent inside collectives (the benchmark reports it).
    """

    def __init__(self, timeout):
        self.MPI = import_mpi()
        self.comm = self.MPI.COMM_WORLD
        self.rank, self.size = self.comm.Get_rank(), self.comm.Get_size()
        self.timeout = float(timeout)
        self.wait_seconds = 0.0

    def abort(self, message, code=1):
        sys.stderr.write(
            f"numkeras.distribution: process {self.rank} of {self.size}: {message}\n"
            "Stopping all processes (MPI_Abort).\n"
        )
        sys.stderr.flush()
        # the launcher forwards our stderr through a pipe; aborting at once can tear the job
        # down before it has (the message was lost in about 1 run in 5): give it a moment
        time.sleep(0.5)
        self.comm.Abort(code)
        os._exit(code)  # Abort may return while the launcher tears the job down

    def _wait(self, request, what):
        start = time.perf_counter()
        deadline = start + self.timeout
        while True:
            try:
                if request.Test():
                    break
            except self.MPI.Exception as error:  # a peer's connection broke
                self.abort(f"{what} failed: {error}")
            now = time.perf_counter()
            if now > deadline:
                self.abort(
                    f"{what} did not complete within {self.timeout:g} s: another "
                    "process has died, hangs, or is not running the same steps."
                )
            if now - start < 0.002:  # spin briefly, yielding to any process on this core
                _yield()
            else:  # a slower process (checkpoint, validation): nap
                time.sleep(0.0005)
        self.wait_seconds += time.perf_counter() - start

    def allreduce_(self, buffer, what="Allreduce"):
        """Sum `buffer` over all processes, in place."""
        self._wait(self.comm.Iallreduce(self.MPI.IN_PLACE, buffer, op=self.MPI.SUM), what)
        return buffer

    def bcast_object(self, value, root=0):
        """Process `root`'s picklable `value`, on every process."""
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL) if self.rank == root else b""
        size = np.array([len(data)], np.int64)
        self._wait(self.comm.Ibcast(size, root=root), "Bcast")
        payload = (
            np.frombuffer(data, np.uint8).copy()
            if self.rank == root
            else np.empty(int(size[0]), np.uint8)
        )
        self._wait(self.comm.Ibcast(payload, root=root), "Bcast")
        return value if self.rank == root else pickle.loads(payload.tobytes())

    def allgatherv_bytes(self, local, counts):
        """Every process's `local` uint8 array (`counts[r]` bytes from process r), in rank
        order."""
        counts = np.asarray(counts, np.int64)
        displs = np.concatenate([[0], np.cumsum(counts)[:-1]])
        out = np.empty(int(counts.sum()), np.uint8)
        self._wait(
            self.comm.Iallgatherv(local, [out, counts.tolist(), displs.tolist(), self.MPI.BYTE]),
            "Allgatherv",
        )
        return out
