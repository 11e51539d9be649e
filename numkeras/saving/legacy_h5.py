"""Legacy `.h5` files: whole models and weights from Keras 2 / tf.keras and Keras 3's
legacy writer.

Root attributes hold `model_config` and `training_config` (JSON). `model_weights/` lists
`layer_names`; each layer group lists `weight_names`, the datasets' paths inside it:
`dense/kernel:0` (Keras 2) or `sequential/dense/kernel` (Keras 3). Weights are matched to the
model's layers by position (or by layer name with `by_name=True`), as Keras does.
"""

import io
import json
import warnings

import numpy as np

from numkeras.layers import stored_shapes
from numkeras.saving import atomic
from numkeras.saving.compile_config import compile_config, compile_from_config
from numkeras.saving.h5_store import check_dataset, dataset_shapes, safe_get
from numkeras.saving.object_registration import custom_object_scope
from numkeras.saving.serialization import KERAS_VERSION, deserialize_keras_object

__all__ = ["save_model", "load_model", "load_weights"]

_ATTR_LIMIT = 64000  # HDF5 object headers hold 64 KiB; longer lists are split, as Keras does


def save_model(model, path, include_optimizer=True):
    """Write `model` as Keras 3's legacy writer does (readable by Keras 2 and 3)."""
    import h5py

    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        f.attrs["keras_version"] = KERAS_VERSION
        f.attrs["backend"] = "numpy"
        f.attrs["model_config"] = json.dumps(
            {"class_name": type(model).__name__, "config": model.get_config()}
        )
        weights = f.create_group("model_weights")
        weights.attrs["keras_version"] = KERAS_VERSION
        weights.attrs["backend"] = "numpy"
        _write_names(weights, "layer_names", [layer.name for layer in model.layers])
        for layer in model.layers:
            _write_weights(weights.create_group(layer.name), _legacy_weights(layer))
        _write_weights(weights.create_group("top_level_model_weights"), [])
        if include_optimizer and getattr(model, "compiled", False):
            config = compile_config(model)
            optimizer = config.pop("optimizer")
            config["optimizer_config"] = {
                "class_name": optimizer["class_name"],
                "config": optimizer["config"],
            }
            f.attrs["training_config"] = json.dumps(config)
            _write_weights(f.create_group("optimizer_weights"), model.optimizer.variables)
    atomic.write_bytes(path, buffer.getvalue())


def _legacy_weights(layer):
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


def _write_weights(group, variables):
    names, seen = [], set()
    for variable in variables:
        name = getattr(variable, "path", None) or variable.name
        base, i = name, 0
        while name in seen:
            i += 1
            name = f"{base}_{i}"
        seen.add(name)
        names.append(name)
        group.create_dataset(name, data=variable.numpy())
    _write_names(group, "weight_names", names)


def _write_names(group, key, names):
    encoded = [n.encode("utf8") for n in names]
    chunks = max(1, -(-sum(len(n) + 1 for n in encoded) // _ATTR_LIMIT))
    if chunks == 1:
        group.attrs[key] = np.array(encoded)
        return
    for i, part in enumerate(np.array_split(np.array(encoded), chunks)):
        group.attrs[f"{key}{i}"] = part


def _read_names(group, key):
    if key in group.attrs:
        values = list(np.atleast_1d(group.attrs[key]))
    else:
        values, i = [], 0
        while f"{key}{i}" in group.attrs:
            values.extend(np.atleast_1d(group.attrs[f"{key}{i}"]))
            i += 1
    return [v.decode("utf8") if isinstance(v, bytes) else str(v) for v in values]


def _text(value):
    return value.decode("utf8") if isinstance(value, bytes) else str(value)


def load_model(path, custom_objects=None, compile=True):
    """A model from a legacy `.h5` file: its config, weights, and (with `compile`) its
    training config and optimizer state."""
    import h5py

    try:
        with open(path, "rb") as fh:
            data = fh.read()
        with h5py.File(io.BytesIO(data), "r") as f:
            if "model_config" not in f.attrs:
                raise ValueError(
                    "it has no model_config: it holds weights only; build the model and call "
                    "model.load_weights() instead"
                )
            config = json.loads(_text(f.attrs["model_config"]))
            group = _weights_group(f)
            with custom_object_scope(custom_objects):
                with stored_shapes.expecting(dataset_shapes(group)):  # before any allocation
                    model = deserialize_keras_object(config)
                _load_layers(model, group)
                if compile and "training_config" in f.attrs:
                    _compile(
                        model,
                        json.loads(_text(f.attrs["training_config"])),
                        safe_get(f, "optimizer_weights"),
                    )
        return model
    except Exception as e:
        raise ValueError(f"Cannot load model from '{path}': {e}") from e


def _compile(model, training_config, optimizer_group):
    try:
        compile_from_config(model, training_config)
    except Exception as e:  # Keras 2 metric configs may name classes numkeras doesn't have
        warnings.warn(
            f"Could not restore the training configuration ({e}); the model is "
            "returned uncompiled.",
            stacklevel=4,
        )
        return
    if optimizer_group is None:
        return
    names = _read_names(optimizer_group, "weight_names")
    datasets = [check_dataset(safe_get(optimizer_group, n), n) for n in names]
    optimizer = model.optimizer
    if not optimizer.built:
        optimizer.build(model.trainable_weights)
    variables = optimizer.variables
    if len(datasets) != len(variables) or any(
        tuple(d.shape) != tuple(v.shape) for d, v in zip(datasets, variables)
    ):
        warnings.warn(
            f"Error in loading the saved optimizer state: the file has {len(datasets)} "
            f"optimizer variables, '{optimizer.name}' has {len(variables)} (or shapes differ). "
            "Your model starts with a freshly initialized optimizer.",
            stacklevel=4,
        )
        return
    _assign_all(zip(variables, datasets))


def load_weights(model, path, skip_mismatch=False, by_name=False):
    """Load a legacy `.h5` (whole-model or weights-only) file's weights into `model`."""
    import h5py

    with open(path, "rb") as fh:
        data = fh.read()
    with h5py.File(io.BytesIO(data), "r") as f:
        keras3 = (
            "model_weights" not in f
            and "layer_names" not in f.attrs
            and ("layers" in f or "vars" in f)
        )
        if not keras3:
            _load_layers(model, _weights_group(f), skip_mismatch, by_name)
    if keras3:  # a Keras 3 weights file that was named `.h5`
        from numkeras.saving import h5_store

        h5_store.load_weights(model, io.BytesIO(data), skip_mismatch)


def _weights_group(f):
    group = safe_get(f, "model_weights")
    if group is None and "layer_names" not in f.attrs and "layer_names0" not in f.attrs:
        raise ValueError("it has neither model_weights nor layer_names: not a Keras H5 file")
    return f if group is None else group


def _saved_layers(group):
    """[(layer name, [datasets])] in the file's order."""
    layers = []
    for name in _read_names(group, "layer_names"):
        layer_group = safe_get(group, name)
        if layer_group is None:
            raise ValueError(f"layer_names lists '{name}', but there is no such group")
        datasets = [
            check_dataset(safe_get(layer_group, w), f"{name}/{w}")
            for w in _read_names(layer_group, "weight_names")
        ]
        layers.append((name, datasets))
    return layers


def _load_layers(model, group, skip_mismatch=False, by_name=False):
    saved = _saved_layers(group)
    if by_name:
        by_layer = dict(saved)
        pairs = [
            (layer, (layer.name, by_layer[layer.name]))
            for layer in model.layers
            if layer.name in by_layer
        ]
    else:
        layers = [layer for layer in model.layers if _legacy_weights(layer)]
        saved = [(name, datasets) for name, datasets in saved if datasets]
        if len(layers) != len(saved):
            raise ValueError(
                f"Layer count mismatch when loading weights from file. Model expected "
                f"{len(layers)} layers with weights, found {len(saved)} saved layers."
            )
        pairs = list(zip(layers, saved))
    plan = []
    for layer, (name, datasets) in pairs:
        variables = _legacy_weights(layer)
        problem = None
        if len(variables) != len(datasets):
            problem = (
                f"layer '{layer.name}' expects {len(variables)} weights, but the saved "
                f"layer '{name}' has {len(datasets)}"
            )
        else:
            for v, ds in zip(variables, datasets):
                if tuple(v.shape) != tuple(ds.shape):
                    problem = (
                        f"layer '{layer.name}': weight '{v.name}' has shape "
                        f"{tuple(v.shape)}, the saved layer '{name}' has "
                        f"{tuple(ds.shape)}"
                    )
                    break
        if problem is None:
            plan.extend(zip(variables, datasets))
        elif skip_mismatch:
            warnings.warn(f"Skipping loading weights: {problem}.", stacklevel=3)
        else:
            raise ValueError(problem + ".")
    _assign_all(plan)


def _assign_all(pairs):
    """Read every (variable, dataset) pair's array, then assign them: a corrupt dataset
    raises before the first variable changes."""
    values = [(variable, np.asarray(ds[()], variable.data.dtype)) for variable, ds in pairs]
    for variable, value in values:
        variable.assign(value)
