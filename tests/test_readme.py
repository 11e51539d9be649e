"""The README's first code block is the whole tutorial program, and it runs."""

import os
import re

import numpy as np

from numkeras.datasets import mnist

README = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "README.md")


def first_python_block():
    with open(README, encoding="utf-8") as fh:
        return re.search(r"```python\n(.*?)```", fh.read(), re.S).group(1)


def test_readme_tutorial_program_runs(monkeypatch, tmp_path, capsys):
    """Run as printed, on 256 training and 50 test digits for one epoch instead of ten."""
    code = first_python_block()
    assert "..." not in code  # the whole program, nothing left out
    assert code.count("epochs=10") == 1
    (x, y), (xt, yt) = mnist.load_data()
    monkeypatch.setattr(
        mnist, "load_data", lambda *a, **k: ((x[:256], y[:256]), (xt[:50], yt[:50]))
    )
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(code.replace("epochs=10", "epochs=1"), README, "exec"), namespace)
    assert namespace["model"].count_params() == 34826  # the tutorial CNN
    out = capsys.readouterr().out
    assert "Total params: 34,826" in out and "Test loss" in out and "Labels:" in out
    assert re.search(r"2/2 ━+ .* - val_accuracy: ", out)  # 230 samples of 128: two steps
    assert 0 <= namespace["accuracy"] <= 1 and np.isfinite(namespace["loss"])
    assert (tmp_path / "mnist_cnn.keras").exists()
