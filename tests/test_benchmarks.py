"""The benchmark scripts still run (tiny settings): they are how speed claims get reproduced."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def run(script, *args):
    out = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return out.stdout


def test_step_profile_prints_every_part():
    out = run("step_profile.py", "--no-scaling", "--repeats", "2")
    for part in (
        "GEMM",
        "pooling",
        "col2im adds",
        "elementwise",
        "im2col",
        "optimizer",
        "rest",
        "Fixed cost per step",
    ):
        assert part in out, out


def test_ops_benchmark_runs_one_line():
    out = run("ops.py", "--only", "dense", "--repeats", "2")
    assert "dense 1600->10" in out, out


def test_zoo_quick_runs_every_workload_on_numkeras():
    out = run("zoo.py", "--quick")
    assert "numkeras's BLAS:" in out, out
    rows = [ln for ln in out.splitlines() if ln.startswith("| ") and "workload" not in ln]
    assert len(rows) == 8, out
    for row in rows:
        ms = row.split("|")[2].strip()
        assert float(ms) > 0, row  # "-" (a skipped workload) fails here
