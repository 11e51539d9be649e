"""KerasFileEditor: inspect and edit the weights in a `.keras` or `.weights.h5` file without
building the model (Keras's `keras.saving.KerasFileEditor`), then save a `.weights.h5`."""

import io
import json
import math
import os
import zipfile

import numpy as np

from numkeras.saving import h5_store
from numkeras.saving.atomic import write_bytes

__all__ = ["KerasFileEditor"]

_MAX_BYTES = 1 << 32  # a dataset larger than 4 GiB is refused, as Keras refuses it


class KerasFileEditor:
    """The weights of a saved model as nested dicts (`weights_dict`: object path parts down to
    `{"0": array, "1": array}`), with the edits Keras's editor offers.

    Args:
        filepath: a `.keras` or `.weights.h5` file.

    Attributes: `weights_dict`; `config` and `metadata` (from a `.keras` file, else None);
    `object_metadata`, the stored attributes (such as the object's name) by path.
    """

    def __init__(self, filepath):
        self.filepath = str(filepath)
        self.metadata = self.config = self.model = None
        import h5py

        if self.filepath.endswith(".keras"):
            with zipfile.ZipFile(self.filepath, "r") as zf:
                self.config = json.loads(zf.read("config.json"))
                self.metadata = json.loads(zf.read("metadata.json"))
                data = zf.read("model.weights.h5")
            source = io.BytesIO(data)
        elif self.filepath.endswith(".weights.h5"):
            source = self.filepath
        else:
            raise ValueError(
                "Invalid filename: expected a `.keras` `.weights.h5` extension. "
                f"Received: filepath={self.filepath}"
            )
        with h5py.File(source, "r") as f:
            self.weights_dict, self.object_metadata = _read_group(f, {}, "")
        print(f"Keras model file '{self.filepath}'")
        if self.metadata is not None:
            print(
                f"Saved with Keras {self.metadata.get('keras_version')} - date: "
                f"{self.metadata.get('date_saved')}"
            )

    # --- reading --------------------------------------------------------------------------
    def summary(self):
        """Print the weights' tree: objects (with their stored names) and arrays' shapes."""
        print("Weights structure")
        for line in _tree_lines(self.weights_dict, self.object_metadata, "  ", ""):
            print(line)

    def compare(self, reference_model):
        """Print every difference between the file's weights and `reference_model`'s (objects
        or weights missing on either side, shape mismatches); returns
        `{"status": "success" | "error", "error_count": n, "match_count": m}`."""
        print("Running comparison")
        reference = _weight_spec(reference_model)
        checked = set()
        errors, matches = _compare(
            self.weights_dict, reference, "", "saved file", "reference model", checked
        )
        errors += _compare(
            reference, self.weights_dict, "", "reference model", "saved file", checked
        )[0]
        print("─────────────────────")
        if errors == 0:
            print("Comparison successful: saved file is compatible with the reference model")
            print(f"    Found {matches} matching weight{'' if matches == 1 else 's'}")
        else:
            print(
                f"Found {errors} error{'' if errors == 1 else 's'}: saved file is not "
                "compatible with the reference model"
            )
        return {
            "status": "success" if errors == 0 else "error",
            "error_count": errors,
            "match_count": matches,
        }

    # --- edits ----------------------------------------------------------------------------
    def rename_object(self, object_name, new_name):
        """Rename an object (a layer, say) given by name or path ("dense_2",
        "layers/dense_2")."""

        def rename(parent, name, target):
            parent[target] = parent.pop(name)

        self._edit_object(rename, object_name, new_name)

    def delete_object(self, object_name):
        """Remove an object given by name or path."""
        self._edit_object(lambda parent, name, target: parent.pop(name), object_name)

    def add_object(self, object_path, weights):
        """Add an object at `object_path` with `weights` ({"0": array, ...})."""
        _check_weights(weights)
        *parents, leaf = object_path.split("/")
        node = self.weights_dict
        for part in parents:
            if part not in node:
                raise ValueError(f"Path '{'/'.join(parents)}' not found in model.")
            node = node[part]
        node[leaf] = weights

    def delete_weight(self, object_name, weight_name):
        """Remove one weight (such as "0") from an object given by name or path."""

        def delete(parent, name, target):
            if weight_name not in parent[name]:
                raise ValueError(
                    f"Weight {weight_name} not found in object {object_name}. Weights found: "
                    f"{list(parent[name].keys())}"
                )
            parent[name].pop(weight_name)

        self._edit_object(delete, object_name)

    def add_weights(self, object_name, weights):
        """Add weights ({"2": array, ...}) to an existing object given by name or path."""
        _check_weights(weights)
        self._edit_object(lambda parent, name, target: parent[name].update(weights), object_name)

    def save(self, filepath):
        """Write the edited weights to a `.weights.h5` file (atomically)."""
        filepath = str(filepath)
        if not filepath.endswith(".weights.h5"):
            raise ValueError(
                "Invalid `filepath` argument: expected a `.weights.h5` extension. "
                f"Received: filepath={filepath}"
            )
        import h5py

        buffer = io.BytesIO()
        with h5py.File(buffer, "w") as f:
            _write_group(f, self.weights_dict, "")
        write_bytes(filepath, buffer.getvalue())

    def resave_weights(self, filepath):
        self.save(filepath)

    def _edit_object(self, edit, source_name, target_name=None):
        """Apply `edit(parent_dict, name, target_name)` at a path, or at the one object of
        that name anywhere in the tree."""
        if target_name is not None and "/" in target_name:
            raise ValueError(
                "Argument `target_name` should be a leaf name, not a full path name. "
                f"Received: target_name='{target_name}'"
            )
        if "/" in source_name:
            *parents, leaf = source_name.split("/")
            node = self.weights_dict
            for part in parents:
                if part not in node:
                    raise ValueError(f"Path '{source_name}' not found in model.")
                node = node[part]
            if leaf not in node:
                raise ValueError(f"Path '{source_name}' not found in model.")
            edit(node, leaf, target_name)
            return
        parents = _parents_of(self.weights_dict, source_name)
        if len(parents) > 1:
            raise ValueError(
                f"Name '{source_name}' occurs more than once in the model; try passing a "
                "complete path"
            )
        if not parents:
            raise ValueError(
                f"Source name '{source_name}' does not appear in the model. Use "
                "`editor.summary()` to list all objects."
            )
        edit(parents[0], source_name, target_name)


def _check_weights(weights):
    if not isinstance(weights, dict):
        raise ValueError(
            "Argument `weights` should be a dict where keys are weight names (usually '0', "
            f"'1', etc.) and values are NumPy arrays. Received: type(weights)={type(weights)}"
        )


def _parents_of(tree, name):
    found = [tree] if name in tree else []
    for value in tree.values():
        if isinstance(value, dict):
            found += _parents_of(value, name)
    return found


def _read_group(group, metadata, path):
    """(nested dict of arrays, {path: attributes}) from an h5 group; `vars` groups are
    flattened into their owner, links and external or virtual datasets refused."""
    import h5py

    if group.attrs:
        metadata[path] = dict(group.attrs.items())
    out = {}
    for key in group.keys():
        link = group.get(key, getclass=True, getlink=True)
        if link in (h5py.ExternalLink, h5py.SoftLink):
            raise ValueError(f"Not allowed: H5 file with {link.__name__}")
        value, child = group[key], f"{path}/{key}"
        if isinstance(value, h5py.Group):
            if len(value) == 0:
                continue
            if "vars" in value.keys():
                value = value["vars"]
                if len(value) == 0:
                    continue
            out[key], metadata = _read_group(value, metadata, child)
        elif isinstance(value, h5py.Dataset):
            if value.external or value.is_virtual:
                raise ValueError(
                    f"Not allowed: H5 file with an external or virtual Dataset {child}"
                )
            if math.prod(value.shape) * value.dtype.itemsize > _MAX_BYTES:
                raise ValueError(f"HDF5 dataset too large to load safely ({child}).")
            out[key] = value[()]
    return out, metadata


def _write_group(f, tree, path):
    arrays = {k: v for k, v in tree.items() if not isinstance(v, dict)}
    for name, value in tree.items():
        if isinstance(value, dict) and value:
            _write_group(f, value, f"{path}/{name}" if path else name)
    if arrays:
        group = f.require_group(f"{path}/vars" if path else "vars")
        for name, value in arrays.items():
            group.create_dataset(name, data=np.asarray(value))


def _weight_spec(model):
    """The model's weights as the file would hold them: nested dicts of arrays."""
    spec = {}
    for path, obj in h5_store.walk(model):
        store = {}
        if hasattr(obj, "save_own_variables"):
            obj.save_own_variables(store)
        else:  # an optimizer
            store = {str(i): v.numpy() for i, v in enumerate(obj.variables)}
        if not store:
            continue
        node = spec
        for part in path.split("/") if path else []:
            node = node.setdefault(part, {})
        node.update({k: np.asarray(store[k]) for k in sorted(store)})
    return spec


def _compare(target, reference, path, target_name, ref_name, checked, errors=0, matches=0):
    """(errors, matches) as Keras counts them: a nested object starts from the running counts
    and its totals are added to them (so Keras's `match_count` counts earlier weights again;
    kept, so the returned numbers are Keras's)."""
    for key, ref in reference.items():
        inner = f"{path}/{key}"
        if inner in checked:
            continue
        if key not in target:
            errors += 1
            checked.add(inner)
            kind = "Object" if isinstance(ref, dict) else "Weight"
            print(f"...{kind} {inner} present in {ref_name}, missing from {target_name}")
            if isinstance(ref, dict):
                print(f"    In {ref_name}, {inner} contains the following keys: {list(ref)}")
        elif isinstance(ref, dict):
            e, m = _compare(
                target[key], ref, inner, target_name, ref_name, checked, errors, matches
            )
            errors, matches = errors + e, matches + m
        elif np.shape(target[key]) != np.shape(ref):
            errors += 1
            checked.add(inner)
            print(
                f"...Weight shape mismatch for {inner}\n    In {ref_name}: "
                f"shape={np.shape(ref)}\n    In {target_name}: shape={np.shape(target[key])}"
            )
        else:
            matches += 1
    return errors, matches


def _tree_lines(tree, metadata, prefix, path, first=True):
    lines = []
    for i, (key, value) in enumerate(tree.items()):
        inner = os.path.join(path, key)
        last = i == len(tree) - 1
        connector = "> " if first else ("└─ " if last else "├─ ")
        first = False
        if isinstance(value, dict):
            label = f"{prefix}{connector}{key}"
            name = metadata.get("/" + inner, metadata.get(inner, {})).get("name")
            lines.append(label + (f" ('{name}')" if name is not None else ""))
            lines += _tree_lines(
                value, metadata, prefix + ("    " if last else "│   "), inner, first=False
            )
        else:
            lines.append(f"{prefix}{connector}{key}: shape={value.shape}, dtype={value.dtype}")
    return lines
