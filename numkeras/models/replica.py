"""The data-parallel replica the trainer runs under: `numkeras.distribution` sets it (this
process's rank, its rows of each batch, the gradient reduction); None in a single process,
where nothing changes."""

_state = {"replica": None}


def set_replica(replica):
    """Train, evaluate and predict under `replica` (None: one process takes whole batches)."""
    _state["replica"] = replica


def current():
    return _state["replica"]


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
