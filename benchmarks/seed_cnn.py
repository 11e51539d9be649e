"""The tutorial CNN in numkeras, TensorFlow-Keras and PyTorch, side by side on this machine.

Each run is a fresh subprocess that imports one framework, trains the tutorial CNN (54,000
MNIST images after `validation_split=0.1`, batch 128, Adam) for `--epochs` epochs, evaluates it
and times inference. Runs alternate between frameworks (`--repeats` rounds), so background load
hits all of them alike, and the table shows medians. Frameworks that are not installed are
skipped. Ratios are numkeras's figure over each peer's (below 1: numkeras is faster/smaller).

    python benchmarks/seed_cnn.py [--epochs 1] [--repeats 3] [--frameworks numkeras,torch]
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MNIST = ROOT / "numkeras" / "datasets" / "data" / "mnist.npz"
STEPS = 422


def load(np):
    with np.load(MNIST) as f:
        x_train, y_train = f["x_train"], f["y_train"]
        x_test, y_test = f["x_test"], f["y_test"]
    x_train = (x_train.astype("float32") / 255)[..., None]
    x_test = (x_test.astype("float32") / 255)[..., None]
    return x_train, y_train, x_test, y_test


def median_seconds(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run_keras_like(keras, layers, epochs, on_epoch=None):
    """Train the tutorial model the way the tutorial does; returns per-epoch times and more."""
    import numpy as np

    x_train, y_train, x_test, y_test = load(np)
    y_train = keras.utils.to_categorical(y_train, 10)
    y_test_cat = keras.utils.to_categorical(y_test, 10)
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
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
    times = []

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.start)
            if on_epoch:
                on_epoch(sum(times), lambda: model.evaluate(x_test, y_test_cat, verbose=0)[1])

    model.fit(
        x_train,
        y_train,
        batch_size=128,
        epochs=epochs,
        validation_split=0.1,
        verbose=0,
        callbacks=[Timer()],
    )
    accuracy = model.evaluate(x_test, y_test_cat, verbose=0)[1]
    return {
        "epoch_s": times,
        "accuracy": accuracy,
        "predict_10k_s": median_seconds(lambda: model.predict(x_test, verbose=0), 3),
        "predict_1_ms": 1000 * median_seconds(lambda: model.predict(x_test[:1], verbose=0), 30),
    }


def run_torch(epochs, on_epoch=None):
    import numpy as np
    import torch
    from torch import nn

    torch.manual_seed(0)
    x_train, y_train, x_test, y_test = load(np)
    split = int(len(x_train) * 0.9)
    x = torch.from_numpy(x_train[:split]).permute(0, 3, 1, 2).contiguous()
    y = torch.from_numpy(y_train[:split].astype("int64"))
    xt = torch.from_numpy(x_test).permute(0, 3, 1, 2).contiguous()
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Dropout(0.5),
        nn.Linear(1600, 10),
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()

    def predict(images):
        model.eval()
        with torch.no_grad():
            return torch.cat([model(b) for b in images.split(32)])

    def accuracy():
        return float((predict(xt).argmax(1).numpy() == y_test).mean())

    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        model.train()
        for idx in torch.randperm(len(x)).split(128):
            optimizer.zero_grad()
            loss_fn(model(x[idx]), y[idx]).backward()
            optimizer.step()
        times.append(time.perf_counter() - start)
        if on_epoch:
            on_epoch(sum(times), accuracy)
    return {
        "epoch_s": times,
        "accuracy": accuracy(),
        "predict_10k_s": median_seconds(lambda: predict(xt), 3),
        "predict_1_ms": 1000 * median_seconds(lambda: predict(xt[:1]), 30),
    }


def import_framework(name):
    """Import one framework and return (keras, layers) or None for PyTorch."""
    if name == "numkeras":
        sys.path.insert(0, str(ROOT))
        import numkeras as keras
        from numkeras import layers

        return keras, layers
    if name == "tensorflow":
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        os.environ["KERAS_BACKEND"] = "tensorflow"
        from tensorflow import keras
        from tensorflow.keras import layers

        return keras, layers
    import torch  # noqa: F401

    return None


def worker(name, epochs):
    start = time.perf_counter()
    frameworks = import_framework(name)
    import_s = time.perf_counter() - start
    result = run_torch(epochs) if frameworks is None else run_keras_like(*frameworks, epochs)
    result.update(
        name=name,
        import_s=import_s,
        peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )
    print(json.dumps(result))


def run_all(script, names, extra_args, repeats):
    """Alternate subprocess runs of each framework; returns {name: [result, ...]}."""
    results = {}
    for _ in range(repeats):
        for name in names:
            proc = subprocess.run(
                [sys.executable, script, "--worker", name, *extra_args],
                capture_output=True,
                text=True,
            )
            lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
            if proc.returncode or not lines:
                reason = (proc.stderr.strip().splitlines() or ["failed"])[-1]
                print(f"{name}: skipped ({reason})", file=sys.stderr)
                continue
            results.setdefault(name, []).append(json.loads(lines[-1]))
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--frameworks", default="numkeras,tensorflow,torch")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.epochs)
    results = run_all(
        __file__, args.frameworks.split(","), ["--epochs", str(args.epochs)], args.repeats
    )
    if not results:
        return 1

    def med(name, key):
        values = [min(r[key]) if isinstance(r[key], list) else r[key] for r in results[name]]
        return statistics.median(values)

    columns = [
        ("s/epoch", "epoch_s", "{:.2f}"),
        ("ms/step", None, "{:.1f}"),
        ("test acc", "accuracy", "{:.4f}"),
        ("peak RSS MB", "peak_mb", "{:.0f}"),
        ("import s", "import_s", "{:.2f}"),
        ("predict 1 ms", "predict_1_ms", "{:.2f}"),
        ("predict 10k s", "predict_10k_s", "{:.3f}"),
    ]
    settings = {k: v for k, v in os.environ.items() if k.startswith(("OPENBLAS", "OMP", "MALLOC"))}
    print(
        f"\nTutorial CNN, {args.epochs} epoch(s) of {STEPS} steps of 128, medians of "
        f"{args.repeats} alternating runs, {os.cpu_count()} cores, BLAS/allocator settings "
        f"{settings or 'none'}\n"
    )
    print("| framework | " + " | ".join(c[0] for c in columns) + " | epoch time ratio |")
    print("|---" * (len(columns) + 2) + "|")
    ours = med("numkeras", "epoch_s") if "numkeras" in results else None
    for name in results:
        epoch = med(name, "epoch_s")
        cells = [
            fmt.format(epoch / STEPS * 1000 if key is None else med(name, key))
            for _, key, fmt in columns
        ]
        ratio = f"{ours / epoch:.2f}" if ours else "-"
        print(f"| {name} | " + " | ".join(cells) + f" | {ratio} |")
    if ours:
        print("\nRatios of numkeras to each peer (below 1 means numkeras is faster or smaller):")
        for name in results:
            if name != "numkeras":
                parts = [
                    f"{label} {med('numkeras', key) / med(name, key):.2f}"
                    for label, key, _ in columns
                    if key not in (None, "accuracy")
                ]
                print(f"  vs {name}: " + ", ".join(parts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
