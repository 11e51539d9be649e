"""Package-level promises: light imports, the public namespaces, the command."""

import subprocess
import sys


def test_import_pulls_in_neither_h5py_nor_matplotlib_nor_torch():
    code = (
        "import sys, numkeras; "
        "print(sorted(m for m in ('h5py', 'matplotlib', 'torch', 'tensorflow', 'keras') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_keras_module_layout():
    import numkeras

    for name in (
        "models",
        "layers",
        "optimizers",
        "losses",
        "metrics",
        "callbacks",
        "datasets",
        "utils",
        "ops",
        "random",
        "backend",
        "initializers",
        "activations",
    ):
        assert hasattr(numkeras, name), name
    from numkeras import Input, Model, Sequential  # noqa: F401
    from numkeras.layers import Convolution2D, Dense, Dropout, Flatten, MaxPooling2D  # noqa: F401
    from numkeras.utils import to_categorical  # noqa: F401
