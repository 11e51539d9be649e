"""Where a zoo workload's training step goes, op by op, and how much of it one core runs alone.

For every recorded op of a step: its forward time (from the previous op's output to its own)
and its VJP time, each with the part spent outside numkeras's kernel threads
(`kernels.threads.run`), which a second core cannot share; "between VJPs" is the reverse
pass's own work (the adds of a tensor's gradients from its several users), "after the
VJPs" the optimizer and the rest of the step. Medians over the steps after a warm-up
epoch, in ms. Run it with one and two threads and compare: an op whose time does not halve
has a large serial part, or parallel parts that do not scale (the GIL, memory, imbalance).

    NUMKERAS_BLAS_THREADS=1 python benchmarks/op_times.py resnet
    NUMKERAS_BLAS_THREADS=2 python benchmarks/op_times.py resnet [--steps 8] [--top 30]
"""

import argparse
import collections
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # zoo.py beside this script
import zoo  # noqa: E402


class OpClock:
    """Per-step times of each op's forward and VJP (each op named by its kind and its rank
    among the step's ops of that kind), with the time inside the kernel threads apart."""

    def __init__(self, tensor_class, threads):
        self.on, self.step, self.steps = False, collections.Counter(), []
        self.last, self.inside, self.depth, self.counts = 0.0, 0.0, 0, collections.Counter()
        self._wrap_tensor(tensor_class)
        self._wrap_run(threads)

    def _wrap_run(self, threads):
        run = threads.run

        def timed_run(tasks):
            if self.depth:  # a task's own run: counted in its caller's
                return run(tasks)
            self.depth, start = 1, time.perf_counter()
            try:
                return run(tasks)
            finally:
                self.inside += time.perf_counter() - start
                self.depth = 0

        threads.run = timed_run

    def _note(self, key, seconds):
        self.step[key] += seconds
        self.step[key + " serial"] += seconds - self.inside
        self.inside = 0.0

    def _wrap_tensor(self, tensor_class):
        init, clock = tensor_class.__init__, self

        def timed_init(tensor, data, parents=(), vjp=None, op=None):
            if clock.on and vjp is not None:
                clock.counts[op] += 1
                name = f"{op}#{clock.counts[op]}"
                clock._note("F " + name, time.perf_counter() - clock.last)
                vjp = clock._timed_vjp(vjp, name)
            init(tensor, data, parents, vjp, op)
            clock.last = time.perf_counter()

        tensor_class.__init__ = timed_init

    def _timed_vjp(self, vjp, name):
        def timed(g):
            start = time.perf_counter()
            self._note("between VJPs", start - self.last)
            result = vjp(g)
            self.last = time.perf_counter()
            self._note("B " + name, self.last - start)
            return result

        return timed

    def begin(self):
        self.step, self.counts, self.inside = collections.Counter(), collections.Counter(), 0.0
        self.last = time.perf_counter()

    def end(self):
        if self.on:
            self._note("after the VJPs", time.perf_counter() - self.last)
            self.steps.append(self.step)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("workload", choices=sorted(zoo.WORKLOADS))
    parser.add_argument("--steps", type=int, default=8, help="steps per epoch (3 epochs)")
    parser.add_argument("--top", type=int, default=30, help="rows printed, largest first")
    args = parser.parse_args()
    keras, layers = zoo.import_framework("numkeras")
    from numkeras.engine.tensor import Tensor
    from numkeras.kernels import threads

    clock = OpClock(Tensor, threads)
    _, build, batch, targets = zoo.WORKLOADS[args.workload]
    keras.utils.set_random_seed(0)
    specs = []

    class Recorder:  # the program's `keras`, noting the input it declares (as zoo.py does)
        def __getattr__(self, name):
            return getattr(keras, name)

        def Input(self, shape, dtype="float32"):
            specs.append((shape, dtype))
            return keras.Input(shape, dtype=dtype)

    model = build(Recorder(), layers, lambda n: n)
    x, y, loss = zoo.make_data(np, specs[0], batch, targets, args.steps)
    model.compile(optimizer="adam", loss=loss)
    steps = []

    class Steps(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            clock.on = epoch > 0

        def on_train_batch_begin(self, batch, logs=None):
            clock.begin()
            self.start = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            clock.end()
            if clock.on:
                steps.append(time.perf_counter() - self.start)

    model.fit(x, y, batch_size=batch, epochs=3, verbose=0, shuffle=False, callbacks=[Steps()])
    keys = {key for step in clock.steps for key in step if not key.endswith(" serial")}
    rows = [
        [key]
        + [1000 * statistics.median(s[key + part] for s in clock.steps) for part in ("", " serial")]
        for key in keys
    ]
    rows.sort(key=lambda row: -row[1])
    count = threads.workers()
    print(f"{args.workload}: {count} thread(s), ms, medians of {len(steps)} steps")
    print(f"{'op':36s} {'time':>8s} {'serial':>8s}")
    for name, total, serial in rows[: args.top]:
        print(f"{name:36s} {total:8.2f} {serial:8.2f}")
    total, serial = sum(row[1] for row in rows), sum(row[2] for row in rows)
    print(f"{'all ops (sum of medians)':36s} {total:8.2f} {serial:8.2f}")
    print(f"{'step':36s} {1000 * statistics.median(steps):8.2f}")


if __name__ == "__main__":
    main()
