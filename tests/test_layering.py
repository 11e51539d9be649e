"""The package's layering, read from the source with `ast`: no module imports one above it.

From the ground up (each tier may import only the tiers below it; a package may import itself):

0. `tree`, `backend`, `kernels`, `_api_exclusions`: nested structures, the process's settings
   (dtype policies and where messages go among them), the pure NumPy kernels (im2col, pooling
   windows) and the API census's table of excluded names, needing nothing above them.
1. `config` and `dtype_policies` (the public faces of those settings); `engine`: tensors, the
   tape and the ops with their VJPs.
2. `ops` (the public op namespace over the engine) and `random` (seeded generators).
3. `activations`, `initializers`, `constraints`, `regularizers`, and the bases other pieces
   name: `metrics.metric` (layers track metrics) and Keras-object serialization
   (`saving.serialization`, `saving.object_registration`, `saving.compile_config`), which layers
   and constraints use for nested configs, as Keras's `serialization_lib` sits below its layers.
4. `layers`.
5. `losses` and `optimizers`, which work on layers' outputs and variables.
6. `metrics`, which may wrap losses.
7. `callbacks`, `utils` and `saving.atomic` (what a trainer calls back and writes with).
8. `models`: the trainer (`fit`, `evaluate`, `predict`) over all of the above.
9. `saving` (files of models), `distribution`, `datasets`, `wrappers` (scikit-learn
   estimators): they build, drive or feed models.
10. `web`, `cli`: the programs.

A module's tier is that of its longest listed prefix. Imports inside functions count too: a
lazy import is a dependency all the same. `KNOWN` lists the upward imports that remain, each with
why; the test fails on a new one and on one that has gone (so the list only shrinks).
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "numkeras"
TIERS = [
    ["tree", "backend", "kernels", "_api_exclusions"],
    ["config", "engine", "dtype_policies"],
    ["ops", "random"],
    [
        "activations",
        "initializers",
        "constraints",
        "regularizers",
        "metrics.metric",
        "saving.serialization",
        "saving.object_registration",
        "saving.compile_config",
    ],
    ["layers"],
    ["losses", "optimizers"],
    ["metrics"],
    ["callbacks", "utils", "saving.atomic", "mixed_precision"],
    ["models"],
    ["saving", "distribution", "datasets", "preprocessing", "wrappers"],
    ["web", "cli", "__main__"],
]
TIER = {f"numkeras.{name}": i for i, names in enumerate(TIERS) for name in names}
_SAVING = "Model's save/load/config methods hand over to numkeras.saving when called, as Keras's do"
_REGISTRY = "deserializing names the built-in classes (Model, Sequential, Functional, Layer, ...)"
_DISTRIBUTION = "the trainer asks distribution.current() for its sharding and step wrapping"
KNOWN = {
    ("numkeras.models", "numkeras.saving.keras_file"): "keras.models.load_model, re-exported",
    ("numkeras.models", "numkeras.saving.model_config"): "keras.models.clone_model, re-exported",
    ("numkeras.models.functional", "numkeras.saving"): _SAVING,
    ("numkeras.models.functional", "numkeras.saving.model_config"): _SAVING,
    ("numkeras.models.model", "numkeras.distribution"): _DISTRIBUTION,
    ("numkeras.models.model_saving", "numkeras.saving"): _SAVING,
    ("numkeras.models.sequential", "numkeras.saving"): _SAVING,
    ("numkeras.saving.serialization", "numkeras.layers"): _REGISTRY,
    ("numkeras.saving.serialization", "numkeras.layers.keras_tensor"): _REGISTRY,
    ("numkeras.saving.serialization", "numkeras.models"): _REGISTRY,
    ("numkeras.saving.serialization", "numkeras.models.functional"): _REGISTRY,
    ("numkeras.saving.serialization", "numkeras.models.sequential"): _REGISTRY,
    ("numkeras.saving.serialization", "numkeras.optimizers"): _REGISTRY,
    ("numkeras.utils.plotting", "numkeras.models.functional"): "plot_model draws a graph's nodes",
    ("numkeras.utils.dot_graph", "numkeras.models.functional"): "model_to_dot: a graph's nodes",
    ("numkeras.utils.dot_graph", "numkeras.models.sequential"): "model_to_dot: a stack's layers",
}


def tier(module):
    """The tier of a dotted module name (None for the package's face, numkeras/__init__.py)."""
    parts = module.split(".")
    for end in range(len(parts), 1, -1):
        if ".".join(parts[:end]) in TIER:
            return TIER[".".join(parts[:end])]
    return None


def module_name(path):
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(tree):
    """(line, module) of each import of numkeras; `from numkeras import x` is numkeras.x."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "numkeras":
                yield from ((node.lineno, f"numkeras.{alias.name}") for alias in node.names)
            else:
                yield node.lineno, node.module


def upward_imports():
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        source = module_name(path)
        if tier(source) is None:
            continue
        for line, target in imported_modules(ast.parse(path.read_text(encoding="utf-8"))):
            if target.startswith("numkeras.") and (tier(target) or 0) > tier(source):
                found.setdefault((source, target), []).append(line)
    return found


def test_every_module_has_a_tier():
    untiered = [
        module_name(p)
        for p in ROOT.rglob("*.py")
        if tier(module_name(p)) is None and module_name(p) != "numkeras"
    ]
    assert untiered == []


def test_no_module_imports_one_above_it():
    found = upward_imports()
    new = {edge: lines for edge, lines in found.items() if edge not in KNOWN}
    gone = sorted(edge for edge in KNOWN if edge not in found)
    assert not new, "upward imports (module -> module: lines):\n" + "\n".join(
        f"{a} -> {b}: {lines}" for (a, b), lines in sorted(new.items())
    )
    assert not gone, f"no longer imported, remove from KNOWN: {gone}"
