"""benchmarks/op_times.py still runs and names each op's forward and VJP (how the
per-op thread scaling claims get reproduced)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "op_times.py"


def test_every_op_of_the_step_has_a_forward_and_a_vjp_row():
    env = dict(os.environ, NUMKERAS_BLAS_THREADS="1")
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "mlp", "--steps", "2", "--top", "100"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        env=env,
    ).stdout
    rows = {line[:36].strip(): line[36:].split() for line in out.splitlines()[2:]}
    for name in ("F dense#1", "B dense#1", "F dense#3", "B dense#3", "between VJPs", "step"):
        assert name in rows, out
    assert all(len(values) == 2 for name, values in rows.items() if name != "step"), out
    assert "mlp: 1 thread(s)" in out.splitlines()[0], out
