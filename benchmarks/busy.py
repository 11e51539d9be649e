"""The tutorial CNN on a busy machine: two trainings at once, and one beside a CPU-bound process.

Each training is `zoo.py`'s tutorial workload in its own subprocess (the same program, random
data, ms/step medians after a warm-up epoch; numkeras chooses its BLAS threads by load, as
unseeded programs do). The figures are ratios to one training alone
(issue 16's targets: two at once <= 2.2x solo each, beside a busy process <= 2.5x).

    python benchmarks/busy.py [--framework numkeras] [--steps 20] [--epochs 3]
"""

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ZOO = Path(__file__).resolve().parent / "zoo.py"
SPIN = "while True: pass"


def start(framework, steps, epochs):
    return subprocess.Popen(
        [
            sys.executable,
            str(ZOO),
            "--worker",
            "tutorial",
            "--framework",
            framework,
            "--steps",
            str(steps),
            "--epochs",
            str(epochs),
            "--auto-threads",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )


def median_ms(proc):
    out, _ = proc.communicate()
    lines = [ln for ln in out.splitlines() if ln.startswith("{")]
    if proc.returncode or not lines:
        raise SystemExit(f"a training failed (exit {proc.returncode})")
    return statistics.median(json.loads(lines[-1])["ms"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--framework", default="numkeras", choices=["numkeras", "tensorflow", "torch"]
    )
    parser.add_argument("--steps", type=int, default=20, help="steps per epoch")
    parser.add_argument("--epochs", type=int, default=3, help="epochs, the first is warm-up")
    args = parser.parse_args()
    settings = (args.framework, args.steps, args.epochs)

    solo = median_ms(start(*settings))
    pair = [start(*settings), start(*settings)]
    together = [median_ms(p) for p in pair]
    spinner = subprocess.Popen([sys.executable, "-c", SPIN])
    try:
        beside = median_ms(start(*settings))
    finally:
        spinner.kill()
        spinner.wait()

    print(f"Tutorial CNN on {args.framework}, batch 128, ms/step (median)\n")
    print("| run | ms/step | ratio to solo |")
    print("|---|---|---|")
    print(f"| solo | {solo:.1f} | 1.00 |")
    for i, ms in enumerate(together, 1):
        print(f"| two at once, training {i} | {ms:.1f} | {ms / solo:.2f} |")
    print(f"| beside a CPU-bound process | {beside:.1f} | {beside / solo:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
