"""Keras 3's `keras.distribution` API for data parallelism over MPI processes.

A "device" is one process started by `mpiexec` (or `srun`): `cpu:0` ... `cpu:K-1`.
"""

import contextlib
import sys

import numpy as np

from numkeras.backend import process
from numkeras.distribution import mpi
from numkeras.models.replica import set_replica
from numkeras.optimizers.base_optimizer import set_gradient_reduction

DEFAULT_BATCH_DIM_NAME = "batch"
_state = {"distribution": None, "replica": None, "world": None}


def _world():
    """(process id, number of processes): from MPI when mpi4py is installed, else (0, 1)."""
    if _state["world"] is None:
        try:
            comm = mpi.import_mpi().COMM_WORLD
            _state["world"] = (comm.Get_rank(), comm.Get_size())
        except ImportError:
            if mpi.launched_size() > 1:
                raise
            _state["world"] = (0, 1)
    return _state["world"]


def list_devices(device_type=None):
    """The devices training can use: one `"cpu:i"` per MPI process (`["cpu:0"]` alone).

    Args:
        device_type: None or `"cpu"`; other types have no devices here.
    """
    if device_type not in (None, "cpu"):
        return []
    return [f"cpu:{i}" for i in range(_world()[1])]


def get_device_count(device_type=None):
    """The number of devices `list_devices(device_type)` returns."""
    return len(list_devices(device_type))


def initialize(job_addresses=None, num_processes=None, process_id=None):
    """Start MPI and check the process layout. `mpiexec`/`srun` supplies the addresses, so
    `job_addresses` is not used; `num_processes` and `process_id`, if given, must match
    what the launcher started."""
    rank, size = _world()
    for name, given, actual in (
        ("num_processes", num_processes, size),
        ("process_id", process_id, rank),
    ):
        if given is not None and int(given) != actual:
            raise ValueError(
                f"initialize: {name}={given}, but MPI started this process with {name}={actual}."
            )


class DeviceMesh:
    """A grid of devices with named axes (data parallelism uses a 1-D one).

    Args:
        shape: the mesh shape, e.g. `(4,)`.
        axis_names: one name per axis, e.g. `["batch"]`.
        devices: the devices, `list_devices()` by default.

    >>> DeviceMesh((2,), ["batch"], devices=["cpu:0", "cpu:1"])
    <DeviceMesh shape=(2,), axis_names=['batch']>
    """

    def __init__(self, shape, axis_names, devices=None):
        shape, axis_names = tuple(shape), list(axis_names)
        devices = np.array(list_devices() if devices is None else devices)
        if len(shape) != len(axis_names):
            raise ValueError(
                f"Shape and axis_names cannot be mismatched. Received: "
                f"shape={shape}, axis_names={axis_names}"
            )
        if int(np.prod(shape)) != devices.size:
            raise ValueError(f"Shape {shape} does not match the number of devices {devices.size}.")
        self.shape, self.axis_names, self.devices = shape, axis_names, devices.reshape(shape)

    def __repr__(self):
        return f"<DeviceMesh shape={self.shape}, axis_names={self.axis_names}>"


class DataParallel:
    """Data parallelism: every process holds the whole model and trains on its slice of each
    global batch; gradients are averaged over all processes with MPI.

    Launched as `mpiexec -n K python train.py`, a script that calls
    `set_distribution(DataParallel())` before `fit` trains one model: the global `batch_size`
    is split across the K processes, process 0's weights and optimizer state are broadcast
    when `fit` starts, each step's gradients are summed in one Allreduce, the metrics shown
    are global, only process 0 prints the progress bar and writes files, and `evaluate` and
    `predict` run sharded and return the full results on every process. Run without a
    launcher, the script trains in one process as if no distribution were set.

    Args:
        device_mesh: a 1-D `DeviceMesh` over `list_devices()`, or None.
        devices: a list of devices (the number of processes), or None for all.
        auto_shard_dataset: split each batch across processes. False if every process
            already reads its own part of the data: each process then trains on its own
            batches (the same number on every process), gradients averaged weighted by
            batch size.
        timeout: seconds a collective operation may wait for the other processes before
            the whole job is stopped with an error (a process died or hangs).

    >>> strategy = DataParallel()  # in a single process: nothing to distribute
    >>> strategy.num_processes, strategy.process_id, strategy.batch_dim_name
    (1, 0, 'batch')
    """

    def __init__(self, device_mesh=None, devices=None, auto_shard_dataset=True, timeout=120.0):
        rank, size = _world()
        if device_mesh is None:
            devices = list_devices() if devices is None else list(devices)
            device_mesh = DeviceMesh((len(devices),), [DEFAULT_BATCH_DIM_NAME], devices)
        elif not isinstance(device_mesh, DeviceMesh):
            raise ValueError(
                f"Expect `mesh` to be an instance of `DeviceMesh`. Received: "
                f"mesh={device_mesh} (of type {type(device_mesh)})"
            )
        if device_mesh.devices.size != size:
            raise ValueError(
                f"DataParallel needs one device per process: {size} processes, "
                f"but the mesh has {device_mesh.devices.size} devices."
            )
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            raise ValueError(f"`timeout` must be a positive number of seconds, got {timeout!r}.")
        self._device_mesh, self._process_id, self._num_processes = device_mesh, rank, size
        self._batch_dim_name = device_mesh.axis_names[0]
        self.auto_shard_dataset, self.timeout = auto_shard_dataset, float(timeout)
        self._replica = None

    @property
    def device_mesh(self):
        return self._device_mesh

    @property
    def batch_dim_name(self):
        return self._batch_dim_name

    @property
    def num_processes(self):
        return self._num_processes

    @property
    def process_id(self):
        """This process's rank, 0 ... num_processes - 1; process 0 prints and writes files."""
        return self._process_id

    @property
    def num_model_replicas(self):
        return self._num_processes

    @property
    def data_shard_id(self):
        return self._process_id

    def distribute_dataset(self, dataset):
        """The dataset unchanged: `fit`, `evaluate` and `predict` shard each batch."""
        return dataset

    @contextlib.contextmanager
    def scope(self):
        """Make this the current distribution inside a `with` block."""
        previous = distribution()
        set_distribution(self)
        try:
            yield
        finally:
            set_distribution(previous)

    def replica(self):
        """The training hooks (`data_parallel.Replica`), made on first use; None in one
        process."""
        if self._num_processes == 1:
            return None
        if self._replica is None:
            from numkeras.distribution.data_parallel import Replica

            communicator = mpi.Communicator(self.timeout)
            self._replica = Replica(communicator, self.auto_shard_dataset)
            _abort_on_uncaught_exceptions(communicator)
        return self._replica

    def __repr__(self):
        return (
            f"<DataParallel device_mesh={self._device_mesh}, "
            f"process {self._process_id} of {self._num_processes}>"
        )


def distribution():
    """The current distribution, or None."""
    return _state["distribution"]


def set_distribution(value):
    """Set the global distribution (a `DataParallel`, or None to train in one process)."""
    if value is not None and not isinstance(value, DataParallel):
        raise ValueError(f"Expected a DataParallel distribution or None, got {value!r}.")
    _state["distribution"] = value
    replica = _state["replica"] = None if value is None else value.replica()
    # what differs in data-parallel training, handed to those it concerns
    process.set_chief(replica is None or replica.rank == 0)
    set_gradient_reduction(None if replica is None else replica.reduce_gradients)
    set_replica(replica)  # the trainer's batches, steps and predictions


def current():
    """The `Replica` that fit/evaluate/predict/optimizers call into, or None when training
    runs in a single process (then nothing changes)."""
    return _state["replica"]


def _abort_on_uncaught_exceptions(communicator):
    """An error that ends one process ends them all at once (as `python -m mpi4py` does),
    instead of leaving the others waiting until the timeout."""
    previous = sys.excepthook

    def hook(kind, value, traceback):
        previous(kind, value, traceback)
        communicator.abort(f"uncaught {kind.__name__}.")

    sys.excepthook = hook
