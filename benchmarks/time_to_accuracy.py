"""Seconds of training until the tutorial CNN first reaches 0.99 test accuracy, per framework.

Test accuracy is evaluated at the end of each epoch (evaluation time is not counted). Each
framework runs in its own subprocess, with the same data and model as benchmarks/seed_cnn.py.

    python benchmarks/time_to_accuracy.py [--target 0.99] [--max-epochs 15]
"""

import argparse
import json
import sys

import seed_cnn


class Reached(Exception):
    """Raised from the epoch hook to stop training once the target is met."""


def worker(name, target, max_epochs):
    reached = {}

    def on_epoch(elapsed, accuracy):
        if "seconds" not in reached:
            value = accuracy()
            if value >= target:
                reached.update(seconds=elapsed, accuracy=value)
                raise Reached

    frameworks = seed_cnn.import_framework(name)
    try:
        if frameworks is None:
            seed_cnn.run_torch(max_epochs, on_epoch)
        else:
            seed_cnn.run_keras_like(*frameworks, max_epochs, on_epoch)
    except Reached:
        pass
    print(json.dumps({"name": name, **reached}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=float, default=0.99)
    parser.add_argument("--max-epochs", type=int, default=15)
    parser.add_argument("--frameworks", default="numkeras,tensorflow,torch")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.target, args.max_epochs)
    results = seed_cnn.run_all(
        __file__,
        args.frameworks.split(","),
        ["--target", str(args.target), "--max-epochs", str(args.max_epochs)],
        1,
    )
    print(f"\n| framework | seconds to {args.target} test accuracy | accuracy then |")
    print("|---|---|---|")
    for name, runs in results.items():
        r = runs[0]
        if "seconds" in r:
            print(f"| {name} | {r['seconds']:.1f} | {r['accuracy']:.4f} |")
        else:
            print(f"| {name} | not reached in {args.max_epochs} epochs | - |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
