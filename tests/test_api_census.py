"""The API census: each public Keras 3 name is in numkeras, excluded with a reason, or listed to do.

Keras's names are read from the installed Keras (the torch backend), namespace by namespace and
for the public members of a few built objects. A name lands in one of three places:
numkeras has it, `numkeras/_api_exclusions.py` says why it never will, or
`tests/api_census_missing.txt` lists it as still to do. The tests keep the to-do list honest
both ways: a Keras name in none of the three fails, and so does a listed name numkeras now has.

    python tests/test_api_census.py                  # the markdown coverage table
    python tests/test_api_census.py --write-missing  # regenerate the to-do list
"""

import importlib
import os
import sys
from pathlib import Path

import numpy as np
import pytest

MISSING_FILE = Path(__file__).with_name("api_census_missing.txt")
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


def read_missing():
    if not MISSING_FILE.exists():
        return []
    lines = MISSING_FILE.read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def still_missing(groups, excluded):
    return [
        n for names in groups.values() for n, present in names if not present and n not in excluded
    ]


def write_missing(groups, excluded):
    names = still_missing(groups, excluded)
    header = (
        "# Public Keras names numkeras does not have yet (the to-do list of issue 14).\n"
        "# Regenerate with `python tests/test_api_census.py --write-missing`.\n"
    )
    MISSING_FILE.write_text(header + "".join(n + "\n" for n in names))
    return names


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


def test_every_keras_name_is_present_excluded_or_listed(groups, capsys):
    excluded, listed = _exclusions(), set(read_missing())
    with capsys.disabled():
        print(f"\nAPI census against Keras {_keras().__version__}:\n{table(groups, excluded)}")
    unaccounted = [n for n in still_missing(groups, excluded) if n not in listed]
    assert not unaccounted, (
        f"{len(unaccounted)} Keras names are neither in numkeras, excluded, nor in "
        f"{MISSING_FILE.name}: {unaccounted[:40]}. Implement them, or regenerate the list with "
        "`python tests/test_api_census.py --write-missing`."
    )


def test_missing_list_names_really_are_missing(groups):
    excluded = _exclusions()
    missing = set(still_missing(groups, excluded))
    stale = [n for n in read_missing() if n not in missing]
    assert not stale, (
        f"{len(stale)} names in {MISSING_FILE.name} are now in numkeras (or excluded, or not "
        f"Keras names): {stale[:40]}. Regenerate the list: "
        "`python tests/test_api_census.py --write-missing`."
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
    found = census()
    if "--write-missing" in sys.argv:
        written = write_missing(found, _exclusions())
        print(f"wrote {len(written)} names to {MISSING_FILE}")
    print(table(found, _exclusions()))
