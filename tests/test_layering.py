"""The package's layering, read from the source with `ast`: no module imports one above it.

From the ground up (each tier may import only the tiers below it; a package may import itself):

0. `tree`, `backend`, `kernels`, `_api_exclusions`: nested structures, the process's settings
   (dtype policies and where messages go among them), the pure NumPy kernels (im2col, pooling
   windows) and the API census's table of excluded names, needing nothing above them.
1. `config` and `dtype_policies` (the public faces of those settings); `engine`: tensors, the
   tape and the ops with their VJPs.
2. `ops` (the public op namespace over the engine), `random` (seeded generators) and
   `stateless_scope` (Keras's StatelessScope and SymbolicScope over variables).
3. `activations`, `initializers`, `constraints`, `regularizers`, and the bases other pieces
   name: `metrics.metric` (layers track metrics) and Keras-object serialization
   (`saving.serialization`, `saving.object_registration`, `saving.compile_config`), which layers
   and constraints use for nested configs, as Keras's `serialization_lib` sits below its layers.
4. `layers`.
5. `losses` and `optimizers`, which work on layers' outputs and variables.
6. `metrics`, which may wrap losses.
7. `callbacks`, `utils`, `saving.atomic` and the file formats (`saving.keras_file`,
   `saving.h5_store`, `saving.legacy_h5`): what a trainer calls back and writes with. The
   formats name Layer, Model and Optimizer through `saving.serialization.base_classes`, which
   those classes register into when defined. And `visualization` (images drawn and plotted,
   with `utils`' matplotlib helpers).
8. `models`: the trainer (`fit`, `evaluate`, `predict`) over all of the above, and the
   Functional/Sequential configs (`models.model_config`, as Keras keeps them in `models`).
9. `saving` (its public face), `distribution` (which hands the trainer its replica through
   `models.replica`), `datasets`, `applications` (the ImageNet architectures and their weight
   files), `distillation` (a model over a teacher and a student), `wrappers` (scikit-learn
   estimators): they build, drive or feed models.
10. `web`, `cli`: the programs.

A module's tier is that of its longest listed prefix. Imports inside functions count too: a
lazy import is a dependency all the same. The test fails on any upward import not in `KNOWN`
(an accepted exception with its reason; there are none left) and on a `KNOWN` one that has gone.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "numkeras"
TIERS = [
    ["tree", "backend", "kernels", "_api_exclusions"],
    ["config", "engine", "dtype_policies"],
    ["ops", "random", "stateless_scope"],
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
    [
        "callbacks",
        "utils",
        "saving.atomic",
        "saving.keras_file",
        "saving.h5_store",
        "saving.legacy_h5",
        "mixed_precision",
        "visualization",
    ],
    ["models"],
    [
        "saving",
        "distribution",
        "datasets",
        "preprocessing",
        "applications",
        "distillation",
        "wrappers",
    ],
    ["web", "cli", "__main__"],
]
TIER = {f"numkeras.{name}": i for i, names in enumerate(TIERS) for name in names}
KNOWN = {}  # none left: every package imports only those below it (issue 17)


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
            for alias in node.names:  # `from numkeras.saving import atomic` is that module
                name = f"{node.module}.{alias.name}"
                yield node.lineno, name if _is_module(name) else node.module


def _is_module(dotted):
    path = ROOT.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


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


def test_engine_stays_small():
    """The engine holds tensors, the tape and the primitive ops only (issue 17: at most 1,500
    lines); the neural-network ops built on it live in `numkeras.ops.layer_ops`."""
    lines = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in ROOT.glob("engine/*.py"))
    assert lines <= 1500, f"numkeras/engine has {lines} lines"
