"""The `.keras` file, as Keras 3 writes it: an uncompressed zip of `metadata.json`,
`config.json` (the model's config with its compile config) and `model.weights.h5`.

Files are written atomically; loading checks everything and raises `ValueError` naming the
file and what is wrong (`FileNotFoundError` when it doesn't exist).
"""

import datetime
import io
import json
import os
import sys
import tempfile
import zipfile

from numkeras.layers import stored_shapes
from numkeras.saving import atomic, h5_store
from numkeras.saving.serialization import (
    KERAS_VERSION,
    base_classes,
    deserialize_keras_object,
    serialize_keras_object,
)

__all__ = ["save_model", "load_model", "save_weights", "load_weights", "KERAS_VERSION"]

_CONFIG, _METADATA, _WEIGHTS = "config.json", "metadata.json", "model.weights.h5"
_ASSETS = "assets"
_MAX_EXPANSION = 100  # Keras writes members uncompressed; far more than this is a zip bomb


def save_model(model, filepath, overwrite=True, zipped=None, **kwargs):
    """Save `model` to `.keras` (zip, or a directory with `zipped=False`) or legacy `.h5`."""
    path = os.fspath(filepath)
    include_optimizer = kwargs.pop("include_optimizer", True)
    if kwargs:
        raise ValueError(f"The following argument(s) are not supported: {sorted(kwargs)}.")
    if path.endswith((".h5", ".hdf5")):
        from numkeras.saving import legacy_h5

        if _may_write(path, overwrite):
            legacy_h5.save_model(model, path, include_optimizer=include_optimizer)
        return
    if not path.endswith(".keras"):
        raise ValueError(
            "Invalid filepath extension for saving. Please add either a `.keras` extension "
            "for the native Keras format (recommended) or a `.h5` extension. Use "
            f"`model.export(filepath)` if you want to export a SavedModel. Received: "
            f"filepath={path}"
        )
    if not _may_write(path, overwrite):
        return
    members = _members(model)
    if zipped is False:
        atomic.write_folder(path, members)
        return
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:  # ZIP_STORED, as Keras
        for name, data in members.items():
            zf.writestr(name, data)
    atomic.write_bytes(path, buffer.getvalue())


def _members(model):
    metadata = {
        "keras_version": KERAS_VERSION,
        "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
    }
    return {
        _METADATA: json.dumps(metadata).encode(),
        _CONFIG: json.dumps(serialize_keras_object(model)).encode(),
        _WEIGHTS: h5_store.weights_to_bytes(model),
        **_assets(model),
    }


def _assets(model):
    """{"assets/<path>/<file>": bytes} from every object's `save_assets(dir_path)` (an
    adapted lookup's vocabulary.txt), at the object's path in the weights walk, as Keras."""
    members = {}
    for path, obj in h5_store.walk(model):
        if not hasattr(obj, "save_assets"):
            continue
        with tempfile.TemporaryDirectory() as folder:
            obj.save_assets(folder)
            for name in sorted(os.listdir(folder)):
                with open(os.path.join(folder, name), "rb") as f:
                    members[f"{_ASSETS}/{path}/{name}" if path else f"{_ASSETS}/{name}"] = f.read()
    return members


def _load_assets(model, assets):
    """Hand each object with `load_assets` a folder holding its files from the archive."""
    for path, obj in h5_store.walk(model):
        prefix = f"{_ASSETS}/{path}/" if path else f"{_ASSETS}/"
        files = {k[len(prefix) :]: v for k, v in assets.items() if k.startswith(prefix)}
        files = {k: v for k, v in files.items() if k and "/" not in k}
        if not files or not hasattr(obj, "load_assets"):
            continue
        with tempfile.TemporaryDirectory() as folder:
            for name, data in files.items():
                with open(os.path.join(folder, name), "wb") as f:
                    f.write(data)
            obj.load_assets(folder)


def _may_write(path, overwrite):
    """Keras asks before replacing a file when overwrite=False; without a terminal, refuse."""
    if overwrite or not os.path.exists(path):
        return True
    if not sys.stdin or not sys.stdin.isatty():
        raise FileExistsError(f"{path} already exists and overwrite=False.")
    answer = ""
    while answer not in ("y", "n"):
        answer = input(f"[WARNING] {path} already exists - overwrite? [y/n]").strip().lower()
    return answer == "y"


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a model saved by numkeras or Keras 3 (`.keras`, or legacy Keras 2/3 `.h5`)."""
    path = _existing(filepath)
    if path.endswith((".h5", ".hdf5")):
        from numkeras.saving import legacy_h5

        return legacy_h5.load_model(path, custom_objects, compile)
    if not path.endswith(".keras"):
        raise ValueError(
            f"File format not supported: filepath={path}. numkeras (like Keras 3) loads "
            "`.keras` files and legacy `.h5` files."
        )
    try:
        if os.path.isdir(path):
            config, weights = (_read(os.path.join(path, name)) for name in (_CONFIG, _WEIGHTS))
            assets = _read_assets_folder(path)
        else:
            config, weights, assets = _read_archive(path)
        return _model_from(config, weights, custom_objects, compile, assets)
    except Exception as e:  # a file that does not fit is said so here, without the chain
        cause = None if isinstance(e, (ValueError, KeyError, OSError)) else e
        raise ValueError(f"Cannot load model from '{path}': {e}") from cause


def _existing(filepath):
    if not isinstance(filepath, (str, os.PathLike)):
        raise TypeError(
            "`filepath` must be a path (a str or os.PathLike) to a .keras, "
            f".weights.h5 or .h5 file, received {filepath!r} of type "
            f"{type(filepath).__name__}."
        )
    path = os.fspath(filepath)
    if not os.path.exists(path):
        near = [
            path + ext for ext in (".keras", ".weights.h5", ".h5") if os.path.isfile(path + ext)
        ]
        hint = f" Did you mean '{near[0]}'?" if near else ""
        raise FileNotFoundError(f"No such file: '{path}'.{hint}")
    return path


def _read(path):
    if not os.path.exists(path):
        raise ValueError(f"missing {os.path.basename(path)}")
    with open(path, "rb") as f:
        return f.read()


def _read_assets_folder(path):
    assets = {}
    for root, _, files in os.walk(os.path.join(path, _ASSETS)):
        for name in files:
            full = os.path.join(root, name)
            assets[os.path.relpath(full, path).replace(os.sep, "/")] = _read(full)
    return assets


def _read_archive(path):
    """(config.json bytes, model.weights.h5 bytes, {assets/... name: bytes}) from a
    `.keras` zip."""
    try:
        with open(path, "rb") as f:
            zf = zipfile.ZipFile(io.BytesIO(f.read()))
        names = zf.namelist()
        if _CONFIG not in names:
            raise ValueError(f"the archive has no {_CONFIG} (it holds {names[:10]})")
        if _WEIGHTS not in names:
            extra = " (numkeras does not read .npz weights)" if "model.weights.npz" in names else ""
            raise ValueError(f"the archive has no {_WEIGHTS}{extra}")
        config, weights = _member(zf, _CONFIG), _member(zf, _WEIGHTS)
        bad = zf.testzip()  # every member's CRC, metadata.json included
        if bad is not None:
            raise ValueError(f"member {bad} is corrupted (CRC mismatch)")
        assets = {
            n: _member(zf, n) for n in names if n.startswith(f"{_ASSETS}/") and not n.endswith("/")
        }
        return config, weights, assets
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError) as e:
        raise ValueError(f"not a valid .keras zip archive ({e})") from e


def _member(zf, name):
    info = zf.getinfo(name)
    if info.file_size > (1 << 20) and info.file_size > _MAX_EXPANSION * info.compress_size:
        raise ValueError(
            f"member {name} claims {info.file_size} bytes from {info.compress_size} stored; "
            "refusing a likely zip bomb"
        )
    return zf.read(name)  # checks the CRC, so flipped bytes are caught


def _model_from(config_json, weights, custom_objects, compile, assets=None):
    loadable = base_classes("Model", "FeatureSpace")  # Keras saves a FeatureSpace alone
    try:
        config = json.loads(config_json)
    except (ValueError, UnicodeDecodeError) as e:
        raise ValueError(f"{_CONFIG} is not valid JSON ({e})") from e
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"{_CONFIG} does not hold a model config")
    if not compile:
        config = {**config, "compile_config": None}
    with stored_shapes.expecting(_stored_shapes(weights)):  # no weight the file can't fill
        model = deserialize_keras_object(config, custom_objects)
    if not isinstance(model, loadable):
        raise ValueError(f"{_CONFIG} describes a {type(model).__name__}, not a model")
    try:
        h5_store.load_weights(model, io.BytesIO(weights))
    except Exception as e:
        raise ValueError(f"{_WEIGHTS}: {e}") from e
    _load_assets(model, assets or {})
    return model


def _stored_shapes(weights):
    import h5py

    try:
        with h5py.File(io.BytesIO(weights), "r") as f:
            return h5_store.dataset_shapes(f)
    except OSError as e:
        raise ValueError(f"{_WEIGHTS} is not a readable HDF5 file ({e})") from e


def save_weights(model, filepath, overwrite=True):
    """Write the weights (and optimizer state) in Keras 3's `.weights.h5` layout."""
    path = os.fspath(filepath)
    if not path.endswith(".weights.h5"):
        raise ValueError(f"The filename must end in `.weights.h5`. Received: filepath={path}")
    if _may_write(path, overwrite):
        atomic.write_bytes(path, h5_store.weights_to_bytes(model))


def load_weights(model, filepath, skip_mismatch=False, **kwargs):
    """Load weights from `.weights.h5`, from a `.keras` file, or from a legacy `.h5` file
    (by position, or by layer name with `by_name=True`)."""
    path = _existing(filepath)
    by_name = kwargs.pop("by_name", False)
    if kwargs:
        raise ValueError(f"Invalid keyword arguments: {sorted(kwargs)}.")
    if not path.endswith((".keras", ".h5", ".hdf5")):
        raise ValueError(
            f"File format not supported: filepath={path}. Keras 3 only supports V3 `.keras` "
            "and `.weights.h5` files, or legacy V1/V2 `.h5` files."
        )
    try:
        if path.endswith(".keras"):
            h5_store.load_weights(model, io.BytesIO(_read_archive(path)[1]), skip_mismatch)
        elif path.endswith(".weights.h5"):
            h5_store.load_weights(model, io.BytesIO(_read(path)), skip_mismatch)
        else:
            from numkeras.saving import legacy_h5

            legacy_h5.load_weights(model, path, skip_mismatch=skip_mismatch, by_name=by_name)
    except Exception as e:  # a file that does not fit is said so here, without the chain
        cause = None if isinstance(e, (ValueError, KeyError, OSError)) else e
        raise ValueError(f"Cannot load weights from '{path}': {e}") from cause
