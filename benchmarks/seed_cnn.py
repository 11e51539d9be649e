"""The tutorial CNN trained for one epoch in numkeras, TensorFlow-Keras and PyTorch, side by side.

Each framework runs in its own subprocess, one after the other, on the same MNIST arrays
(54,000 training images after `validation_split=0.1`, batch 128, Adam), and reports seconds per
epoch, ms per step, test accuracy, import time and peak memory. Frameworks that are not
installed are skipped. Ratios are numkeras's time over each peer's.

    python benchmarks/seed_cnn.py [--epochs 1] [--frameworks numkeras,tensorflow,torch]
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MNIST = ROOT / "numkeras" / "datasets" / "data" / "mnist.npz"


def load(np):
    with np.load(MNIST) as f:
        x_train, y_train = f["x_train"], f["y_train"]
        x_test, y_test = f["x_test"], f["y_test"]
    x_train = (x_train.astype("float32") / 255)[..., None]
    x_test = (x_test.astype("float32") / 255)[..., None]
    return x_train, y_train, x_test, y_test


def run_keras_like(keras, layers, epochs):
    import numpy as np

    x_train, y_train, x_test, y_test = load(np)
    y_train = keras.utils.to_categorical(y_train, 10)
    y_test = keras.utils.to_categorical(y_test, 10)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((28, 28, 1)), layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(2), layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Flatten(), layers.Dropout(0.5), layers.Dense(10, activation="softmax"),
    ])
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    times = []

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.start)

    model.fit(x_train, y_train, batch_size=128, epochs=epochs, validation_split=0.1, verbose=0,
              callbacks=[Timer()])
    accuracy = model.evaluate(x_test, y_test, verbose=0)[1]
    start = time.perf_counter()
    model.predict(x_test, verbose=0, batch_size=128)
    predict = time.perf_counter() - start
    return times, accuracy, predict


def run_torch(epochs):
    import numpy as np
    import torch
    from torch import nn

    torch.manual_seed(0)
    x_train, y_train, x_test, y_test = load(np)
    split = int(len(x_train) * 0.9)
    x = torch.from_numpy(x_train[:split]).permute(0, 3, 1, 2).contiguous()
    y = torch.from_numpy(y_train[:split].astype("int64"))
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
        nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.5), nn.Linear(1600, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        model.train()
        for idx in torch.randperm(len(x)).split(128):
            optimizer.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            optimizer.step()
        times.append(time.perf_counter() - start)
    model.eval()
    xt = torch.from_numpy(x_test).permute(0, 3, 1, 2).contiguous()
    start = time.perf_counter()
    with torch.no_grad():
        logits = torch.cat([model(b) for b in xt.split(128)])
    predict = time.perf_counter() - start
    accuracy = float((logits.argmax(1).numpy() == y_test).mean())
    return times, accuracy, predict


def worker(name, epochs):
    start = time.perf_counter()
    if name == "numkeras":
        sys.path.insert(0, str(ROOT))
        import numkeras as keras
        from numkeras import layers
    elif name == "tensorflow":
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        os.environ["KERAS_BACKEND"] = "tensorflow"
        from tensorflow import keras
        from tensorflow.keras import layers
    else:
        import torch  # noqa: F401
    import_s = time.perf_counter() - start
    if name == "torch":
        times, accuracy, predict = run_torch(epochs)
    else:
        times, accuracy, predict = run_keras_like(keras, layers, epochs)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"name": name, "epoch_s": times, "accuracy": accuracy, "import_s": import_s,
                      "predict_10k_s": predict, "peak_mb": peak_mb}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--frameworks", default="numkeras,tensorflow,torch")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.epochs)
    results = []
    for name in args.frameworks.split(","):
        proc = subprocess.run([sys.executable, __file__, "--worker", name, "--epochs",
                               str(args.epochs)], capture_output=True, text=True)
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
        if proc.returncode or not lines:
            print(f"{name}: skipped ({(proc.stderr.strip().splitlines() or ['failed'])[-1]})")
            continue
        results.append(json.loads(lines[-1]))
    if not results:
        return 1
    ours = next((r for r in results if r["name"] == "numkeras"), None)
    print(f"\nTutorial CNN, {args.epochs} epoch(s), 422 steps of 128 per epoch, this machine "
          f"({os.cpu_count()} cores)")
    print(f"{'framework':<12}{'s/epoch':>9}{'ms/step':>9}{'test acc':>10}{'import s':>10}"
          f"{'predict 10k s':>15}{'peak MB':>9}{'numkeras/this':>15}")
    for r in results:
        epoch = min(r["epoch_s"])  # the best epoch; the first includes warm-up
        ratio = min(ours["epoch_s"]) / epoch if ours else float("nan")
        print(f"{r['name']:<12}{epoch:9.2f}{epoch / 422 * 1000:9.1f}{r['accuracy']:10.4f}"
              f"{r['import_s']:10.2f}{r['predict_10k_s']:15.3f}{r['peak_mb']:9.0f}{ratio:15.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
