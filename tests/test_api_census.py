"""The API census: each public Keras 3 name is in numkeras or excluded with a reason.

Keras's names are read from the installed Keras (the torch backend), namespace by namespace and
for the public members of a few built objects. Each must be in numkeras, or in
`numkeras/_api_exclusions.py` with the reason it never will be (backend-specific, quantization,
...); exclusions stay under 8% of Keras's names. A Keras release that adds a name fails the test
until numkeras has it (issue 14's rule: "not done yet" is not a reason).

    PYTHONPATH=. python tests/test_api_census.py     # the markdown coverage table
"""

import importlib
import os

import numpy as np
import pytest

MAX_EXCLUDED = 0.08  # exclusions stay under this share of Keras's names

# (label, module path under `keras` / `numkeras`); "" is the top-level package
NAMESPACES = [
    "",
    "ops",
    "ops.numpy",
    "ops.nn",
    "ops.linalg",
    "ops.image",
    "layers",
    "activations",
    "initializers",
    "regularizers",
    "constraints",
    "losses",
    "metrics",
    "optimizers",
    "optimizers.schedules",
    "callbacks",
    "utils",
    "saving",
    "models",
    "random",
    "config",
    "datasets",
    "tree",
    "backend",
]
PRIVATE = {"src"}  # keras.src is Keras's implementation package, not API


def _keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    return importlib.import_module("keras")


def _module(root, path):
    try:
        return importlib.import_module(root + ("." + path if path else ""))
    except ImportError:
        return None


def _objects(lib):
    """The built objects whose public members are counted, made the same way in both libraries."""
    inputs = lib.Input((3,))
    model = lib.Model(inputs, lib.layers.Dense(2)(inputs))
    sequential = lib.Sequential([lib.Input((3,)), lib.layers.Dense(2)])
    dense = lib.layers.Dense(2)
    dense.build((None, 3))
    return {
        "Model": model,
        "Sequential": sequential,
        "Dense": dense,
        "Metric": lib.metrics.Mean(),
        "Optimizer": lib.optimizers.Adam(),
        "Variable": lib.Variable(np.zeros(3, "float32")),
        "Loss": lib.losses.MeanSquaredError(),
        "Callback": lib.callbacks.Callback(),
        "KerasTensor": lib.Input((3,)),
    }


def _public(obj):
    return sorted({n for n in dir(obj) if not n.startswith("_") and n not in PRIVATE})


def _backend_inherited(obj):
    """Members a Keras object has only because the torch backend bases layers on torch.nn.Module.

    They are PyTorch's API (`cuda`, `state_dict`, `register_forward_hook`, ...), not Keras's, so
    the census leaves them out; Keras's own torch-layer members (`torch_params`) stay in.
    """
    import torch

    if not isinstance(obj, torch.nn.Module):
        return set()
    keras_defined = {
        n for cls in type(obj).__mro__ if cls.__module__.startswith("keras") for n in vars(cls)
    }
    return set(_public(torch.nn.Module())) - keras_defined


def _has(obj, name):
    if obj is None:
        return False
    if name in dir(obj):
        return True
    try:
        getattr(obj, name)
    except AttributeError:
        return False
    except Exception:  # a property that exists but cannot be read on this object
        return True
    return True


def census():
    """{group label: [(qualified name, present in numkeras)]} for every public Keras name."""
    keras = _keras()
    import numkeras

    groups = {}
    for path in NAMESPACES:
        theirs, ours = _module("keras", path), _module("numkeras", path)
        label = path or "keras"
        groups[label] = [(f"{label}.{n}", _has(ours, n)) for n in _public(theirs)]
    ours_objects = _objects(numkeras)
    for label, obj in _objects(keras).items():
        names = [n for n in _public(obj) if n not in _backend_inherited(obj)]
        groups[label] = [(f"{label}.{n}", _has(ours_objects[label], n)) for n in names]
    return groups


def _exclusions():
    from numkeras._api_exclusions import EXCLUDED

    return EXCLUDED


def still_missing(groups, excluded):
    return [
        n for names in groups.values() for n, present in names if not present and n not in excluded
    ]


def table(groups, excluded):
    """Markdown: per namespace, Keras's name count and how many numkeras has, excludes, lacks."""
    rows = [
        "| namespace | Keras names | present | excluded | missing | coverage |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    totals = [0, 0, 0, 0]
    for label, names in groups.items():
        present = sum(p for _, p in names)
        skipped = sum(not p and n in excluded for n, p in names)
        counts = [len(names), present, skipped, len(names) - present - skipped]
        totals = [t + c for t, c in zip(totals, counts)]
        rows.append(_row(label, counts))
    rows.append(_row("**total**", totals))
    return "\n".join(rows)


def _row(label, counts):
    total, present, skipped = counts[:3]
    share = 100 * (present + skipped) / total if total else 100.0
    return f"| {label} | " + " | ".join(str(c) for c in counts) + f" | {share:.0f}% |"


# --- tests --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def groups():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    pytest.importorskip("torch")
    pytest.importorskip("keras")
    return census()


def test_every_keras_name_is_present_or_excluded(groups, capsys):
    excluded = _exclusions()
    with capsys.disabled():
        print(f"\nAPI census against Keras {_keras().__version__}:\n{table(groups, excluded)}")
    missing = still_missing(groups, excluded)
    assert not missing, (
        f"{len(missing)} Keras names are neither in numkeras nor excluded: {missing[:40]}."
    )


def test_exclusions_are_keras_names_with_reasons_under_the_cap(groups):
    excluded = _exclusions()
    names = {n: p for group in groups.values() for n, p in group}
    unknown = [n for n in excluded if n not in names]
    assert not unknown, f"excluded names that Keras does not have: {unknown}"
    present = [n for n in excluded if names[n]]
    assert not present, f"excluded names numkeras has after all (drop them): {present}"
    vague = [n for n, why in excluded.items() if len(why.split()) < 2 or "not done" in why.lower()]
    assert not vague, f"exclusions need a reason in a few words: {vague}"
    assert len(excluded) < MAX_EXCLUDED * len(names), (
        f"{len(excluded)} exclusions are {len(excluded) / len(names):.1%} of Keras's "
        f"{len(names)} names; the cap is {MAX_EXCLUDED:.0%}."
    )


if __name__ == "__main__":
    print(table(census(), _exclusions()))
