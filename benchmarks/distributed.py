"""Data-parallel training speed: the tutorial CNN in 1 process and in K processes over MPI.

Each run is a fresh subprocess (`mpiexec -n K` for K > 1) with one BLAS thread per process
(OPENBLAS_NUM_THREADS=1), training the tutorial CNN (34,826 parameters, Adam) on MNIST with
a global batch of 128. Steps are timed after a warm-up. It reports steps per second, the time
per step spent inside collectives (gradient + metrics Allreduce, including waiting for the
slower process) and an isolated Allreduce of the 34,827-float gradient buffer. One process is
also timed at the per-process batches B/K for K up to 32: what a step of K processes computes.
It then projects ms/step for K processes on K nodes as that time plus a ring Allreduce over
two typical networks, for the global batch fixed and for the global batch growing with K.

    python benchmarks/distributed.py [--processes 1,2] [--steps 40] [--warmup 5]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GRADIENT_FLOATS = 34_826 + 1  # the parameters and the row count


def worker(batch_size, steps, warmup):
    import numpy as np

    import numkeras
    from numkeras import callbacks, layers
    from numkeras.distribution import DataParallel, current, set_distribution

    set_distribution(DataParallel())
    replica = current()
    with np.load(ROOT / "numkeras" / "datasets" / "data" / "mnist.npz") as f:
        rows = batch_size * (steps + warmup)
        x, y = f["x_train"][:rows], f["y_train"][:rows]
    x = (x.astype("float32") / 255)[..., None]
    y = numkeras.utils.to_categorical(y, 10)
    numkeras.utils.set_random_seed(0)
    model = numkeras.Sequential(
        [
            numkeras.Input((28, 28, 1)),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    marks = []

    class Clock(callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch + 1 in (warmup, warmup + steps):
                marks.append((time.perf_counter(), replica.comm.wait_seconds if replica else 0))

    model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0, callbacks=[Clock()])
    (t0, w0), (t1, w1) = marks
    result = {
        "step_ms": 1000 * (t1 - t0) / steps,
        "collective_ms": 1000 * (w1 - w0) / steps,
        "params": model.count_params(),
    }
    if replica is not None:  # the gradient Allreduce alone, both processes in step
        buffer = np.ones(GRADIENT_FLOATS, np.float32)
        for _ in range(20):
            replica.comm.allreduce_(buffer)
        start, repeats = time.perf_counter(), 500
        for _ in range(repeats):
            replica.comm.allreduce_(buffer)
        result["allreduce_us"] = 1e6 * (time.perf_counter() - start) / repeats
    if replica is None or replica.rank == 0:
        print(json.dumps(result))


def launch(processes, batch_size, steps, warmup):
    env = {
        **os.environ,
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONPATH": str(ROOT),
    }
    command = [
        sys.executable,
        __file__,
        "--worker",
        "--batch-size",
        str(batch_size),
        "--steps",
        str(steps),
        "--warmup",
        str(warmup),
    ]
    if processes > 1:
        mpiexec = shutil.which("mpiexec")
        if mpiexec is None:
            sys.exit("mpiexec not found: pip install 'numkeras[mpi]'")
        command = [mpiexec, "-n", str(processes)] + command
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


NETWORKS = {  # (bandwidth bytes/s, latency s) per link: typical figures, not measured here
    "10 GbE": (1.1e9, 30e-6),
    "InfiniBand HDR 200 Gb/s": (20e9, 2e-6),
}
SCALES = [1, 2, 4, 8, 16, 32]


def allreduce_ms(k, bandwidth, latency):
    """Ring Allreduce of the gradient buffer, plus the latency-bound metrics Allreduce."""
    if k == 1:
        return 0.0
    ring = 2 * (k - 1) / k * 4 * GRADIENT_FLOATS / bandwidth + 2 * (k - 1) * latency
    return 1000 * (ring + (k - 1).bit_length() * latency)


def median_run(rounds):
    return sorted(rounds, key=lambda r: r["step_ms"])[len(rounds) // 2]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", default="1,2")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.batch_size, args.steps, args.warmup)
    batch, counts = args.batch_size, [int(k) for k in args.processes.split(",")]
    load = os.getloadavg()[0]
    # (processes, global batch): the MPI runs, and one process at each per-process batch
    configs = [(k, batch) for k in counts] + [(1, -(-batch // k)) for k in SCALES if k > 1]
    rounds = {c: [] for c in configs}
    for _ in range(args.repeats):  # alternate, so background load hits all alike
        for k, b in configs:
            rounds[(k, b)].append(launch(k, b, args.steps, args.warmup))
    runs = {c: median_run(r) for c, r in rounds.items()}
    one = runs[(1, batch)]
    print(
        f"\nMeasured: tutorial CNN ({one['params']:,} parameters), global batch {batch}, "
        f"1 BLAS thread per process, median of {args.repeats} runs of {args.steps} steps, "
        f"load average {load:.1f} at the start\n"
    )
    print(
        "| processes | steps/s | ms/step | speed-up | in collectives, ms/step "
        "| isolated gradient Allreduce, µs |"
    )
    print("|---|---|---|---|---|---|")
    for k in counts:
        r = runs[(k, batch)]
        print(
            f"| {k} | {1000 / r['step_ms']:.1f} | {r['step_ms']:.1f} | "
            f"{one['step_ms'] / r['step_ms']:.2f} | {r['collective_ms']:.2f} | "
            f"{r.get('allreduce_us', 0):.0f} |"
        )
    print(
        "\nOne process, ms/step by batch: "
        + ", ".join(
            f"{b}: {r['step_ms']:.1f}"
            for (k, b), r in sorted(runs.items(), key=lambda c: -c[0][1])
            if k == 1
        )
    )
    compute = {k: runs[(1, -(-batch // k))]["step_ms"] for k in SCALES}
    print(
        "\nProjected, one process per node: ms/step = one process's step at batch B/K + "
        "Allreduces (samples/s in brackets)\n"
    )
    print("| network | global batch | " + " | ".join(f"K={k}" for k in SCALES) + " |")
    print("|---|---|" + "---|" * len(SCALES))
    for name, link in NETWORKS.items():
        for label, per_process in (
            (str(batch), compute),
            (f"{batch}*K", {k: one["step_ms"] for k in SCALES}),
        ):
            cells = []
            for k in SCALES:
                ms = per_process[k] + allreduce_ms(k, *link)
                rows = batch * (k if "K" in label else 1)
                cells.append(f"{ms:.1f} ({1000 * rows / ms:,.0f})")
            print(f"| {name} | {label} | " + " | ".join(cells) + " |")
    print(json.dumps({"runs": {f"{k}x{b}": r for (k, b), r in runs.items()}, "load": load}))


if __name__ == "__main__":
    sys.exit(main())
