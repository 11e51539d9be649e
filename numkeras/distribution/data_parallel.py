"""The mechanics of data-parallel training: what each process does in fit/evaluate/predict.

Every process runs the same script on the same data. For each global batch of B rows,
process r takes rows [offset_r, offset_r + n_r) (B split as evenly as possible, the first
processes taking one more), and gathers only those. The global gradient is

    g = (1/B) sum_i grad l_i = sum_r (n_r / B) g_r,    g_r = (1/n_r) sum_{i in r} grad l_i,

so each process puts n_r * g_r and n_r in one flat float32 buffer, one Allreduce sums it, and
dividing by the summed n gives a single process's gradient up to summation order. Metric
states (totals, counts, confusion matrices) are sums, so summing them gives the global
metrics. The changes the forward pass makes to non-trainable weights of trainable layers
(BatchNormalization's moving statistics) ride along in the same buffer, weighted by n_r.
"""

import collections
import contextlib

import numpy as np

from numkeras import random as random_lib
from numkeras.tree import flatten, map_structure

Shard = collections.namedtuple("Shard", "offset rows total local")


def split_rows(total, size, rank):
    """(offset, rows) of process `rank`'s share of `total` rows."""
    base, extra = divmod(total, size)
    return rank * base + min(rank, extra), base + (rank < extra)


class Replica:
    """One process's part in data-parallel training; `numkeras.distribution.current()`."""

    def __init__(self, comm, auto_shard_dataset=True):
        self.comm, self.rank, self.size = comm, comm.rank, comm.size
        self.auto_shard_dataset = auto_shard_dataset
        self.steps = 0
        self._shard = None  # the share of the batch just handed out, until its step runs
        self._rows = None  # this process's rows in the step under way (gradient weight)
        self._moving = None  # (variable, value before the step) for the step under way
        self._predicted = []
        self._gradient_buffer = None  # (key, flat float32 buffer, views), reused
        self._metric_buffer = None

    # --- data ----------------------------------------------------------------------------
    def shard(self, start, stop):
        """This process's rows of the global batch [start, stop). A process with no rows
        (a last batch smaller than the number of processes) runs the batch's first row with
        weight 0, so its random generators advance exactly as the others'."""
        if not self.auto_shard_dataset:
            return start, stop
        offset, rows = split_rows(stop - start, self.size, self.rank)
        offset = offset if rows else 0
        self._shard = Shard(offset, rows, stop - start, max(rows, 1))
        return start + offset, start + offset + self._shard.local

    def shard_batch(self, batch):
        """This process's rows of a batch that a generator or PyDataset yielded whole."""
        if not self.auto_shard_dataset:
            return batch
        lo, hi = self.shard(0, len(flatten(batch[0])[0]))
        return tuple(
            None if part is None else map_structure(lambda a: a[lo:hi], part) for part in batch
        )

    # --- steps ----------------------------------------------------------------------------
    def step_function(self, model, step, kind):
        """`step` (train_step, test_step or predict_step) run on this process's rows, with
        global logs; for "train", first make every process start from process 0's state."""
        if kind == "train":
            self.broadcast_state(model)
        if kind == "predict":
            self._predicted = []
        moving = _moving_weights(model) if model.built else None

        def run(batch):
            shard, self._shard = self._shard, None
            rows = _rows(batch) if shard is None else shard.rows
            if kind == "predict":
                self._predicted.append(shard)
                return step(batch)
            saved = _metric_values(model) if rows == 0 else None
            if kind == "train":
                self._rows = rows
                weights = moving if moving is not None else _moving_weights(model)
                self._moving = [(v, v.data.copy()) for v in weights]
            rows_drawn = (
                contextlib.nullcontext()
                if shard is None
                else random_lib.sharded_rows(shard.offset, shard.local, shard.total)
            )
            try:
                with rows_drawn:
                    logs = step(batch)
            finally:
                self._rows = self._moving = None
            if saved is not None:  # the stand-in row must not count
                _set_metric_values(model, saved)
            self.steps += kind == "train"
            return self.global_logs(model, logs)

        return run

    def reduce_gradients(self, grads, variables):
        """Every process's gradients, weighted by its rows, summed in one Allreduce of a
        flat float32 buffer (made once per list of variables) and divided by the rows."""
        moving, self._moving = self._moving or [], None
        rows = 1 if self._rows is None else self._rows
        key = tuple(map(id, variables)) + tuple(id(v) for v, _ in moving)
        if self._gradient_buffer is None or self._gradient_buffer[0] != key:
            shapes = [g.shape for g in grads] + [v.shape for v, _ in moving]
            self._gradient_buffer = (key, *_flat_buffer(shapes))
        _, flat, views = self._gradient_buffer
        for g, view in zip(grads, views):
            np.multiply(g, rows, out=view)
        for (v, before), view in zip(moving, views[len(grads) :]):
            np.multiply(v.data - before, rows, out=view)
        flat[-1] = rows
        self.comm.allreduce_(flat, "gradient Allreduce")
        if flat[-1] == 0:
            raise RuntimeError("No process had rows in this batch.")
        np.divide(flat, flat[-1], out=flat)
        for (v, before), view in zip(moving, views[len(grads) :]):
            v.assign(before + view)
        return [
            view if view.dtype == g.dtype else view.astype(g.dtype) for g, view in zip(grads, views)
        ]

    def global_logs(self, model, logs):
        """`logs` with the compiled metrics' values over all processes: the metric states
        are summed (Allreduce), read, then put back to this process's own."""
        from numkeras.models.step_io import pythonify_logs

        variables = _metric_variables(model)
        if not variables or not isinstance(logs, dict):
            return logs
        logs = pythonify_logs(logs)  # nested dicts (a metrics container's) flattened
        local = [v.data for v in variables]
        total = sum(a.size for a in local)
        if self._metric_buffer is None or self._metric_buffer.size != total:
            self._metric_buffer = np.empty(total, np.float64)
        buffer = self._metric_buffer
        np.concatenate([a.ravel() for a in local], out=buffer)
        self.comm.allreduce_(buffer, "metrics Allreduce")
        position = 0
        for v, a in zip(variables, local):
            v.data = buffer[position : position + a.size].reshape(a.shape).astype(a.dtype)
            position += a.size
        try:
            result = model.get_metrics_result()
        finally:
            for v, a in zip(variables, local):
                v.data = a
        return {k: result.get(k, value) for k, value in logs.items()}

    # --- start of fit, end of predict ---------------------------------------------------------
    def broadcast_state(self, model):
        """Process 0's weights, optimizer variables, random generator states and initial
        epoch (BackupAndRestore restores them there), on every process."""
        optimizer = getattr(model, "optimizer", None)
        if model.built and optimizer is not None and not optimizer.built:
            optimizer.build(model.trainable_weights)  # so that its slots can be broadcast
        variables = list(model.weights) + list(optimizer.variables if optimizer else [])
        state = None
        if self.rank == 0:
            rng = random_lib.get_generator_states(random_lib.seed_generators(model))
            state = {
                "values": [v.data for v in variables],
                "rng": rng,
                "initial_epoch": getattr(model, "_initial_epoch", None),
            }
        state = self.comm.bcast_object(state)
        if self.rank == 0:
            return
        shapes = [tuple(v.shape) for v in variables]
        received = [tuple(np.shape(a)) for a in state["values"]]
        if shapes != received:
            raise ValueError(
                f"Process 0's model has variables of shapes {received}, this "
                f"process's {shapes}: every process must build the same model."
            )
        for v, value in zip(variables, state["values"]):
            v.assign(value)
        random_lib.set_generator_states(state["rng"], random_lib.seed_generators(model))
        model._initial_epoch = state["initial_epoch"]

    def gather_outputs(self, outputs):
        """predict's per-batch outputs of this process's rows -> the whole batches', on
        every process (one Allgatherv per output)."""
        shards, self._predicted = self._predicted, []
        if not outputs or any(s is None for s in shards):
            return outputs
        leaves = [flatten(o) for o in outputs]
        totals = [s.total for s in shards]
        rows = np.array(
            [[split_rows(t, self.size, r)[1] for t in totals] for r in range(self.size)]
        )  # (process, batch)
        # row of the gathered array (grouped by process, then batch) for each global row
        start = np.concatenate([[0], np.cumsum(rows.ravel())[:-1]]).reshape(rows.shape)
        order = np.concatenate(
            [
                np.arange(start[r, b], start[r, b] + rows[r, b])
                for b in range(len(totals))
                for r in range(self.size)
            ]
        )
        gathered = []
        for j in range(len(leaves[0])):
            local = np.concatenate([batch[j][: s.rows] for batch, s in zip(leaves, shards)])
            row_bytes = int(np.prod(local.shape[1:])) * local.itemsize
            all_rows = self.comm.allgatherv_bytes(
                np.ascontiguousarray(local).view(np.uint8).ravel(), rows.sum(1) * row_bytes
            )
            whole = all_rows.view(local.dtype).reshape((-1,) + local.shape[1:])[order]
            gathered.append(np.split(whole, np.cumsum(totals)[:-1]))
        return [_rebuild(output, [g[b] for g in gathered]) for b, output in enumerate(outputs)]


def _rows(batch):
    """The number of rows in a batch packed as a step receives it."""
    from numkeras.models.data import unpack_x_y_sample_weight

    return len(flatten(unpack_x_y_sample_weight(batch)[0])[0])


def _rebuild(structure, leaves):
    leaves = iter(leaves)
    return map_structure(lambda _: next(leaves), structure)


def _flat_buffer(shapes):
    """One float32 buffer for all the arrays (plus a slot for the row count), and views."""
    sizes = [int(np.prod(s)) for s in shapes]
    flat = np.empty(sum(sizes) + 1, np.float32)
    bounds = np.cumsum([0] + sizes)
    return flat, [flat[a:b].reshape(s) for a, b, s in zip(bounds[:-1], bounds[1:], shapes)]


def _moving_weights(model):
    """Non-trainable float weights of trainable layers: those the forward pass may update
    (BatchNormalization's moving mean and variance). Frozen layers are left out."""
    found, seen = [], set()

    def visit(layer):
        if not layer.trainable or id(layer) in seen:
            return
        seen.add(id(layer))
        found.extend(
            v for v in layer._own_variables if not v.trainable and v.data.dtype.kind == "f"
        )
        for sub in layer._layers:
            visit(sub)

    visit(model)
    return found


def _metric_variables(model):
    variables = []
    for metric in model.metrics:
        inner = getattr(metric, "metrics", None)  # CompileMetrics: [(output index, metric)]
        for m in [m for _, m in inner or []] if hasattr(metric, "entries") else [metric]:
            variables.extend(getattr(m, "variables", []))
    return variables


def _metric_values(model):
    return [(v, v.data.copy()) for v in _metric_variables(model)]


def _set_metric_values(model, saved):
    known = {id(v) for v, _ in saved}
    for v, value in saved:
        v.data = value
    for v in _metric_variables(model):  # created during the step (built lazily): zeroed
        if id(v) not in known:
            v.data = np.zeros_like(v.data)
