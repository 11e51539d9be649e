"""Keras 3's weights file (`model.weights.h5`, `*.weights.h5`) read and written with h5py.

Every layer and the optimizer store their own variables at `<path>/vars/0, 1, ...`. Paths
follow Keras's walk of the model: `layers` first for Sequential and functional models, then
the other attributes holding layers (sorted, `_private` last) and `optimizer`, under which
a wrapping optimizer also stores its `inner_optimizer` or its `optimizers`. Inside a list
a layer is named by its snake-cased class (`conv2d`, `conv2d_1`, ...), not by `layer.name`.
h5py is imported inside the functions, so `import numkeras` doesn't need it.
"""

import io
import warnings

import numpy as np

from numkeras.backend.naming import to_snake_case
from numkeras.saving.serialization import base_classes
from numkeras.tree import flatten

__all__ = ["walk", "weights_to_bytes", "save_weights", "load_weights"]


# --- the walk ---------------------------------------------------------------------------------
def walk(model):
    """(path, object) for the model and everything with variables in it, in Keras's order."""
    yield from _walk(model, "", set())


def _saveable(obj):
    return isinstance(obj, base_classes("Layer", "Optimizer"))


def _walk(obj, path, visited):
    if id(obj) in visited:
        return
    visited.add(id(obj))
    yield path, obj
    for name, child in _children(obj):
        child_path = f"{path}/{name}" if path else name
        if _saveable(child):
            yield from _walk(child, child_path, visited)
        elif isinstance(child, (list, tuple, dict)):
            yield from _walk_container(child, child_path, visited)


def _walk_container(container, path, visited):
    used = {}
    for item in container.values() if isinstance(container, dict) else container:
        if _saveable(item):
            # Keras names the entry after its own class (`_keras_class` where ours differs)
            name = getattr(type(item), "_keras_class", type(item).__name__)
            yield from _walk(item, f"{path}/{_unique(to_snake_case(name), used)}", visited)
        elif isinstance(item, (list, tuple, dict)):
            yield from _walk_container(item, f"{path}/{_unique('container', used)}", visited)


def _unique(name, used):
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


def _children(obj):
    Layer, Model, Sequential, Functional, Optimizer = base_classes(
        "Layer", "Model", "Sequential", "Functional", "Optimizer"
    )
    if isinstance(obj, Optimizer):  # wrappers: Keras also stores each inner optimizer's own
        return [
            (name, getattr(obj, name))
            for name in ("inner_optimizer", "optimizers")
            if any(map(_saveable, flatten(getattr(obj, name, None))))
        ]
    attrs = {}
    if isinstance(obj, Layer):
        for name, value in obj._tracked:
            if getattr(obj, name, None) is value and any(map(_saveable, flatten(value))):
                attrs[name] = value
    if isinstance(obj, Model):
        attrs["layers"] = obj.layers
        if getattr(obj, "optimizer", None) is not None:
            attrs["optimizer"] = obj.optimizer
    children = sorted(
        attrs.items(), key=lambda item: "~" + item[0] if item[0][0] == "_" else item[0]
    )
    if isinstance(obj, (Sequential, Functional)):
        children.insert(0, ("layers", obj.layers))
    return children


def _own_variables(obj):
    (Optimizer,) = base_classes("Optimizer")
    return list(obj.variables) if isinstance(obj, Optimizer) else list(obj._own_variables)


def _custom_store(obj):
    """True when a layer class defines its own `save_own_variables`/`load_own_variables`."""
    (Layer,) = base_classes("Layer")
    method = getattr(type(obj), "load_own_variables", None)
    return (
        isinstance(obj, Layer)
        and method is not None
        and method is not getattr(Layer, "load_own_variables", None)
    )


# --- writing ------------------------------------------------------------------------------------
def weights_to_bytes(model):
    buffer = io.BytesIO()
    save_weights(model, buffer)
    return buffer.getvalue()


def save_weights(model, target):
    """Write the weights (and optimizer state) of `model` to `target`, a path or file object."""
    import h5py

    with h5py.File(target, "w") as f:
        for path, obj in walk(model):
            group = f.require_group(f"{path}/vars" if path else "vars")
            group.attrs["name"] = str(obj.name)
            if _custom_store(obj):
                store = {}
                obj.save_own_variables(store)
                values = [(k, np.asarray(v)) for k, v in store.items()]
            else:
                values = [(str(i), v.numpy()) for i, v in enumerate(_own_variables(obj))]
            for key, value in values:
                group.create_dataset(key, data=value)


# --- reading ------------------------------------------------------------------------------------
def load_weights(model, source, skip_mismatch=False):
    """Load `source` (a path or file object in Keras 3's layout) into `model`.

    Every count and shape is checked, and every array read, before any variable changes, so
    a bad file leaves the model as it was. Mismatches raise ValueError; with `skip_mismatch`
    they warn and skip.
    """
    import h5py

    with h5py.File(source, "r") as f:
        plan, used = [], set()
        for path, obj in walk(model):
            vars_path = f"{path}/vars" if path else "vars"
            datasets = _datasets(f, vars_path)
            used.add(vars_path)
            step = _plan(model, obj, path or "(model)", datasets, skip_mismatch)
            if step is not None:
                plan.append(step)
        _check_unused(f, used, model, skip_mismatch)
        # read every array (a corrupt chunk fails here) before the first assignment
        values = [
            (obj, {key: ds[()] for key, ds in pairs})
            if _custom_store(obj)
            else (obj, [(v, np.asarray(ds[()], v.data.dtype)) for v, ds in pairs])
            for obj, pairs in plan
        ]
    for obj, read in values:
        if _custom_store(obj):
            obj.load_own_variables(read)
            continue
        for variable, value in read:
            variable.assign(value)


def _plan(model, obj, where, datasets, skip_mismatch):
    """[(variable, dataset)] for one object after checking counts and shapes."""
    (Optimizer,) = base_classes("Optimizer")
    if _custom_store(obj):
        return obj, sorted(datasets.items())
    if isinstance(obj, Optimizer):
        return _plan_optimizer(model, obj, datasets)
    variables = _own_variables(obj)
    problem = None
    if len(datasets) != len(variables) or set(datasets) != {str(i) for i in range(len(variables))}:
        problem = (
            f"layer '{obj.name}' (stored at '{where}') expects {len(variables)} "
            f"variables {[v.name for v in variables]}, but the file has "
            f"{len(datasets)} there"
        )
    else:
        for i, variable in enumerate(variables):
            shape = datasets[str(i)].shape
            if tuple(shape) != tuple(variable.shape):
                problem = (
                    f"layer '{obj.name}' (stored at '{where}'): variable '{variable.name}'"
                    f" has shape {tuple(variable.shape)}, but the file has shape "
                    f"{tuple(shape)}"
                )
                break
    if problem is None:
        return obj, [(v, datasets[str(i)]) for i, v in enumerate(variables)]
    if not skip_mismatch:
        raise ValueError(problem + ".")
    warnings.warn(f"Skipping loading {problem}.", stacklevel=4)
    return None


def _plan_optimizer(model, optimizer, datasets):
    if not datasets:  # saved without an optimizer: nothing to restore
        return None
    if not optimizer.built and len(datasets) > len(optimizer.variables) and model.built:
        optimizer.build(model.trainable_weights)  # so that saved slots have somewhere to go
    variables = optimizer.variables
    count = len(datasets)
    if (
        count < len(variables)
        and "0" in datasets
        and datasets["0"].shape == ()
        and int(datasets["0"][()]) == 0
    ):
        variables = variables[:count]  # saved before its first step: the slots are zeros
    shapes_match = count == len(variables) and all(
        str(i) in datasets and tuple(datasets[str(i)].shape) == tuple(v.shape)
        for i, v in enumerate(variables)
    )
    if not shapes_match:
        warnings.warn(
            f"Skipping variable loading for optimizer '{optimizer.name}', because it has "
            f"{len(optimizer.variables)} variables whereas the saved optimizer has {count} "
            "variables (or their shapes differ).",
            stacklevel=4,
        )
        return None
    return optimizer, [(v, datasets[str(i)]) for i, v in enumerate(variables)]


def _check_unused(f, used, model, skip_mismatch):
    """Weights in the file that no part of the model took mean the file is for another model."""
    import h5py

    extra = []

    def visit(name, obj):
        if (
            isinstance(obj, h5py.Group)
            and name.split("/")[-1] == "vars"
            and len(obj)
            and name not in used
            and name.split("/")[0] != "optimizer"
        ):
            extra.append(name)

    f.visititems(visit)
    if extra:
        message = (
            f"the file has weights at {sorted(extra)} that no layer of model "
            f"'{model.name}' uses: it was saved from a different architecture"
        )
        if not skip_mismatch:
            raise ValueError(message + ".")
        warnings.warn(f"Ignoring weights: {message}.", stacklevel=3)


def dataset_shapes(group):
    """The shapes of every dataset under `group` (an open h5py File or Group), unread."""
    import h5py

    shapes = []
    group.visititems(
        lambda _, obj: shapes.append(obj.shape) if isinstance(obj, h5py.Dataset) else None
    )
    return shapes


def _datasets(f, path):
    """{key: Dataset} of the group at `path` ({} if absent), refusing links out of the file."""
    import h5py

    group = safe_get(f, path)
    if group is None:
        return {}
    if not isinstance(group, h5py.Group):
        raise ValueError(f"'{path}' is not a group.")
    return {key: check_dataset(safe_get(group, key), f"{path}/{key}") for key in group}


def safe_get(group, path):
    """The object at `path` under `group`, or None; soft and external links are refused, so
    a file can't make us read another file."""
    import h5py

    for part in path.split("/"):
        if not part:
            continue
        if not isinstance(group, h5py.Group):
            raise ValueError(f"'{path}': '{group.name}' is not a group.")
        link = group.get(part, getlink=True)
        if link is None:
            return None
        if not isinstance(link, h5py.HardLink):
            raise ValueError(
                f"'{path}' goes through a {type(link).__name__}; only plain "
                "groups and datasets are read."
            )
        group = group[part]
    return group


def check_dataset(ds, where):
    """`ds` if it is a plain numeric dataset stored inside the file, else ValueError."""
    import h5py

    if not isinstance(ds, h5py.Dataset):
        raise ValueError(f"'{where}' is not a dataset.")
    if ds.external or ds.is_virtual:
        raise ValueError(f"'{where}' stores its data outside the file; refusing it.")
    if ds.dtype.kind not in "biuf" or ds.dtype.names is not None:
        raise ValueError(f"'{where}' has dtype {ds.dtype}, not a numeric array.")
    return ds
