"""Keras's op submodules (`ops.numpy`, `ops.nn`, `ops.linalg`) as views of `numkeras.ops`."""

import importlib


def view(module_name, names):
    """A module `__getattr__` and `__dir__` that resolve `names` in `numkeras.ops`."""
    wanted = frozenset(names)

    def getattr_(name):
        if name in wanted:
            ops = importlib.import_module("numkeras.ops")
            if hasattr(ops, name):
                return getattr(ops, name)
        raise AttributeError(f"module {module_name!r} has no attribute {name!r}")

    def dir_():
        ops = importlib.import_module("numkeras.ops")
        return sorted(n for n in wanted if hasattr(ops, n))

    return getattr_, dir_
