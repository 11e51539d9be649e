"""Everyday Keras models, the same program on numkeras, TensorFlow-Keras and Keras 3 on torch.

Each workload (issue 16's seven plus the tutorial CNN) is one Keras program, written once
against the `keras` and `layers` modules it is given, trained with `fit` on the same random
data. Every (framework, workload) run is a fresh subprocess; rounds alternate between
frameworks so background load hits all of them alike. A run times each step by the
`on_train_batch_end` clock after one warm-up epoch; the table shows the median over steps
and rounds, numkeras's time over TensorFlow-Keras's, and their geometric mean.

    python benchmarks/zoo.py [--repeats 2] [--steps 8] [--only lstm,gru] [--frameworks ...]
    python benchmarks/zoo.py --quick            # tiny shapes, numkeras only (a smoke test)
    python benchmarks/zoo.py --profile resnet   # cProfile of numkeras training that workload

OpenBLAS tuning variables (OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE) are removed from the
subprocesses' environment, so every framework runs the kernels OpenBLAS picks itself; the
kernel and thread count numkeras's NumPy uses are printed first.
"""

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FRAMEWORKS = ("numkeras", "tensorflow", "torch")
UNSET = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def mlp(keras, layers, s):
    return keras.Sequential(
        [
            keras.Input((784,)),
            layers.Dense(s(512), activation="relu"),
            layers.Dropout(0.2),
            layers.Dense(s(512), activation="relu"),
            layers.Dropout(0.2),
            layers.Dense(10, activation="softmax"),
        ]
    )


def resnet(keras, layers, s):
    inputs = keras.Input((s(32), s(32), 3))
    x = layers.Conv2D(s(32), 3, padding="same", use_bias=False)(inputs)
    x = layers.Activation("relu")(layers.BatchNormalization()(x))
    for _ in range(2):
        y = layers.Conv2D(s(32), 3, padding="same", use_bias=False)(x)
        y = layers.Activation("relu")(layers.BatchNormalization()(y))
        y = layers.Conv2D(s(32), 3, padding="same", use_bias=False)(y)
        y = layers.BatchNormalization()(y)
        x = layers.Activation("relu")(layers.Add()([x, y]))
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, layers.Dense(10, activation="softmax")(x))


def recurrent(cell):
    def build(keras, layers, s):
        return keras.Sequential(
            [
                keras.Input((s(100),), "int32"),
                layers.Embedding(10000, s(64)),
                getattr(layers, cell)(s(64)),
                layers.Dense(1, activation="sigmoid"),
            ]
        )

    return build


def transformer(keras, layers, s):
    inputs = keras.Input((s(64),), "int32")
    x = layers.Embedding(10000, s(128))(inputs)
    a = layers.MultiHeadAttention(num_heads=4, key_dim=s(32))(x, x)
    x = layers.LayerNormalization()(layers.Add()([x, a]))
    f = layers.Dense(s(256), activation="relu")(x)
    f = layers.Dense(s(128))(f)
    x = layers.LayerNormalization()(layers.Add()([x, f]))
    x = layers.GlobalAveragePooling1D()(x)
    return keras.Model(inputs, layers.Dense(2, activation="softmax")(x))


def conv1d(keras, layers, s):
    return keras.Sequential(
        [
            keras.Input((s(500), 3)),
            layers.Conv1D(s(64), 7, activation="relu"),
            layers.Conv1D(s(64), 7),
            layers.BatchNormalization(),
            layers.Activation("relu"),
            layers.GlobalAveragePooling1D(),
            layers.Dense(5, activation="softmax"),
        ]
    )


def autoencoder(keras, layers, s):
    return keras.Sequential(
        [
            keras.Input((s(28), s(28), 1)),
            layers.Conv2D(s(32), 3, activation="relu", padding="same"),
            layers.MaxPooling2D(2, padding="same"),
            layers.Conv2D(s(32), 3, activation="relu", padding="same"),
            layers.MaxPooling2D(2, padding="same"),
            layers.Conv2DTranspose(s(32), 3, strides=2, activation="relu", padding="same"),
            layers.Conv2DTranspose(s(32), 3, strides=2, activation="relu", padding="same"),
            layers.Conv2D(1, 3, activation="sigmoid", padding="same"),
        ]
    )


def tutorial_cnn(keras, layers, s):
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(s(32), 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(s(64), 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(10, activation="softmax"),
        ]
    )


# name: (description, builder, batch, targets: "classes:n", "binary" or "image")
WORKLOADS = {
    "mlp": ("MLP 784-512-512-10, dropout", mlp, 128, "classes:10"),
    "resnet": (
        "CIFAR-shaped ResNet, conv same + BN + relu + add, 2 blocks",
        resnet,
        64,
        "classes:10",
    ),
    "lstm": ("Embedding(10000, 64) + LSTM(64), seq 100", recurrent("LSTM"), 64, "binary"),
    "gru": ("Embedding(10000, 64) + GRU(64), seq 100", recurrent("GRU"), 64, "binary"),
    "transformer": (
        "Transformer block, MHA 4x32, LayerNorm, FFN 256, seq 64",
        transformer,
        32,
        "classes:2",
    ),
    "conv1d": ("Conv1D(64, 7) x2 + BatchNorm + GAP, length 500", conv1d, 64, "classes:5"),
    "autoencoder": (
        "conv autoencoder, same pads + Conv2DTranspose stride 2",
        autoencoder,
        128,
        "image",
    ),
    "tutorial": ("tutorial CNN (MNIST-shaped)", tutorial_cnn, 128, "classes:10"),
}


def import_framework(name):
    """(keras, layers) for one framework, imported only in its own subprocess."""
    if name == "numkeras":
        sys.path.insert(0, str(ROOT))
        import numkeras as keras
        from numkeras import layers

        return keras, layers
    os.environ["KERAS_BACKEND"] = name
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if name == "tensorflow":
        from tensorflow import keras
        from tensorflow.keras import layers

        return keras, layers
    import keras
    from keras import layers

    return keras, layers


def make_data(np, spec, batch, targets, steps):
    """Seeded random inputs of the model's input (shape, dtype), targets of the model's kind."""
    rng = np.random.default_rng(0)
    n = batch * steps
    shape, dtype = spec
    x = (
        rng.integers(0, 10000, (n,) + shape).astype("int32")
        if "int" in dtype
        else rng.random((n,) + shape, dtype="float32")
    )
    if targets == "binary":
        y = rng.integers(0, 2, (n, 1)).astype("float32")
    elif targets == "image":
        y = x
    else:
        y = rng.integers(0, int(targets.split(":")[1]), n)
    loss = {"binary": "binary_crossentropy", "image": "binary_crossentropy"}.get(
        targets, "sparse_categorical_crossentropy"
    )
    return x, y, loss


def run_workload(framework, workload, steps, epochs, quick, auto_threads=False):
    """Train one workload; the per-step milliseconds after the first (warm-up) epoch. With
    `auto_threads`, numkeras chooses its BLAS threads by load even though the run is seeded."""
    import numpy as np

    keras, layers = import_framework(framework)
    _, build, batch, targets = WORKLOADS[workload]
    scale = (lambda n: max(4, n // 8)) if quick else (lambda n: n)
    batch = 8 if quick else batch
    keras.utils.set_random_seed(0)
    if auto_threads and framework == "numkeras":
        keras.config.set_blas_threads(None)
    specs = []

    class Recorder:  # the program's `keras`, noting the input it declares
        def __getattr__(self, name):
            return getattr(keras, name)

        def Input(self, shape, dtype="float32"):
            specs.append((shape, dtype))
            return keras.Input(shape, dtype=dtype)

    model = build(Recorder(), layers, scale)
    x, y, loss = make_data(np, specs[0], batch, targets, steps)
    model.compile(optimizer="adam", loss=loss)
    ends = []

    class Clock(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            ends.append([time.perf_counter()])

        def on_train_batch_end(self, batch, logs=None):
            ends[-1].append(time.perf_counter())

    model.fit(x, y, batch_size=batch, epochs=epochs, verbose=0, shuffle=False, callbacks=[Clock()])
    return [1000 * (b - a) for epoch in ends[1:] for a, b in zip(epoch, epoch[1:])]


def blas_report():
    """The BLAS libraries NumPy loaded, with their kernel (architecture) and thread count."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed"
    import numpy  # noqa: F401  (loads its BLAS)

    return (
        "; ".join(
            f"{i.get('internal_api')} {i.get('version')} kernel "
            f"{i.get('architecture', '?')}, {i.get('num_threads')} threads"
            for i in threadpool_info()
            if i.get("user_api") == "blas"
        )
        or "none found"
    )


def worker(args):
    if args.report_blas:
        sys.path.insert(0, str(ROOT))
        import numkeras  # noqa: F401  (its BLAS thread choice applies)

        print(json.dumps({"blas": blas_report()}))
        return 0
    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        run_workload("numkeras", args.worker, args.steps, args.epochs, args.quick)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
        return 0
    times = run_workload(
        args.framework, args.worker, args.steps, args.epochs, args.quick, args.auto_threads
    )
    print(json.dumps({"ms": times}))
    return 0


def subprocess_env():
    """This environment without the OpenBLAS tuning variables (only for the subprocesses)."""
    return {k: v for k, v in os.environ.items() if k not in UNSET}


def run(extra):
    proc = subprocess.run(
        [sys.executable, __file__, *extra], capture_output=True, text=True, env=subprocess_env()
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode or not lines:
        reason = (proc.stderr.strip().splitlines() or ["failed"])[-1]
        return None, reason
    return json.loads(lines[-1]), None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2, help="alternating rounds")
    parser.add_argument("--steps", type=int, default=8, help="steps per epoch")
    parser.add_argument("--epochs", type=int, default=3, help="epochs, the first is warm-up")
    parser.add_argument("--only", default=",".join(WORKLOADS), help="comma-separated workloads")
    parser.add_argument("--frameworks", default=",".join(FRAMEWORKS))
    parser.add_argument(
        "--quick", action="store_true", help="tiny shapes, 2 epochs of 2 steps, numkeras only"
    )
    parser.add_argument(
        "--profile", metavar="WORKLOAD", help="print numkeras's cProfile for one workload"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--framework", help=argparse.SUPPRESS)
    parser.add_argument("--report-blas", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--auto-threads", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.frameworks, args.repeats, args.steps, args.epochs = "numkeras", 1, 2, 2
    if args.worker or args.report_blas:
        return worker(args)
    flags = ["--steps", str(args.steps), "--epochs", str(args.epochs)] + (
        ["--quick"] if args.quick else []
    )
    if args.profile:
        proc = subprocess.run(
            [sys.executable, __file__, "--worker", args.profile, "--profile", args.profile, *flags],
            env=subprocess_env(),
        )
        return proc.returncode
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workloads {unknown}; choose from {list(WORKLOADS)}")
    frameworks = args.frameworks.split(",")
    blas, _ = run(["--report-blas"])
    print(
        f"numkeras's BLAS: {blas['blas'] if blas else 'unknown'}; {os.cpu_count()} cores; "
        f"unset for the runs: {', '.join(UNSET)}"
    )
    times, skipped = {}, {}
    for _ in range(args.repeats):
        for name in names:
            for framework in frameworks:
                result, reason = run(["--worker", name, "--framework", framework, *flags])
                if result is None:
                    skipped[framework, name] = reason
                else:
                    times.setdefault((framework, name), []).extend(result["ms"])
    for (framework, name), reason in skipped.items():
        print(f"{framework} {name}: skipped ({reason})", file=sys.stderr)
    print_table(names, frameworks, times, args)
    return 0 if times else 1


def print_table(names, frameworks, times, args):
    median = {key: statistics.median(v) for key, v in times.items() if v}
    print(
        f"\nTraining ms/step, medians of {args.repeats} alternating run(s) x "
        f"{args.epochs - 1} timed epoch(s) x {args.steps} steps{' (quick shapes)' * args.quick}"
        "\n"
    )
    print("| workload (batch) | " + " | ".join(frameworks) + " | numkeras / TF |")
    print("|---" * (len(frameworks) + 2) + "|")
    ratios = []
    for name in names:
        description, _, batch, _ = WORKLOADS[name]
        cells = [f"{median[f, name]:.1f}" if (f, name) in median else "-" for f in frameworks]
        ratio = "-"
        if ("numkeras", name) in median and ("tensorflow", name) in median:
            ratios.append(median["numkeras", name] / median["tensorflow", name])
            ratio = f"{ratios[-1]:.2f}"
        shown = 8 if args.quick else batch
        print(f"| {name}: {description} ({shown}) | " + " | ".join(cells) + f" | {ratio} |")
    if ratios:
        mean = math.exp(sum(map(math.log, ratios)) / len(ratios))
        print(f"\nGeometric mean of numkeras / TensorFlow-Keras: {mean:.2f}")


if __name__ == "__main__":
    sys.exit(main())
