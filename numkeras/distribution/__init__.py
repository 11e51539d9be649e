"""`numkeras.distribution`: data-parallel training over MPI processes, with Keras 3's names.

    numkeras.distribution.set_distribution(numkeras.distribution.DataParallel())
    model.fit(x, y, batch_size=128)   # run as: mpiexec -n 4 python train.py

mpi4py (the `numkeras[mpi]` extra) is imported only when this API is used.
"""

from numkeras.distribution.distribution_lib import (
    DataParallel,
    DeviceMesh,
    current,
    distribution,
    get_device_count,
    initialize,
    list_devices,
    set_distribution,
)

__all__ = [
    "DataParallel",
    "DeviceMesh",
    "distribution",
    "get_device_count",
    "initialize",
    "list_devices",
    "set_distribution",
]


__all__ = [
    "DataParallel",
    "DeviceMesh",
    "distribution",
    "get_device_count",
    "initialize",
    "list_devices",
    "set_distribution",
]


def step_function(model, kind):
    """`model.train_step`, `test_step` or `predict_step` (`kind`: "train", "test",
    "predict"); under data parallelism, wrapped to run on this process's rows and return
    global logs (for "train", process 0's state is first broadcast)."""
    step = getattr(model, f"{kind}_step")
    replica = current()
    return step if replica is None else replica.step_function(model, step, kind)


def gather_outputs(outputs):
    """predict's per-batch outputs; under data parallelism, every process's rows gathered."""
    replica = current()
    return outputs if replica is None else replica.gather_outputs(outputs)
