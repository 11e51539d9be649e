"""Objects <-> Keras 3 config dicts: `{"module", "class_name", "config", "registered_name"}`.

Loading instantiates only numkeras's own classes (found by their Keras class name in a fixed
set of numkeras namespaces), classes registered with `register_keras_serializable`, and
`custom_objects`. Module names read from a file are never imported, and nothing is unpickled
or executed, so a crafted config can't run code: it can only fail with a `ValueError`.
"""

import importlib
import inspect
import types

import numpy as np

from numkeras.engine import autodiff
from numkeras.ops.keras_tensor import KerasTensor
from numkeras.saving.object_registration import (
    custom_object_scope,
    get_registered_name,
    get_registered_object,
)
from numkeras.tree import map_structure

__all__ = [
    "KERAS_VERSION",
    "serialize_keras_object",
    "deserialize_keras_object",
    "dtype_policy",
]

KERAS_VERSION = "3.15.1"  # the Keras release whose file formats numkeras writes

# The Keras namespaces a config's `module` can name, and where numkeras keeps each one.
_NAMESPACES = {
    "layers": "numkeras.layers",
    "models": "numkeras.models",
    "initializers": "numkeras.initializers",
    "regularizers": "numkeras.regularizers",
    "constraints": "numkeras.constraints",
    "optimizers": "numkeras.optimizers",
    "schedules": "numkeras.optimizers.schedules",
    "losses": "numkeras.losses",
    "metrics": "numkeras.metrics",
    "activations": "numkeras.activations",
    "ops": "numkeras.ops",
    "utils": "numkeras.utils",
    "feature_space": "numkeras.utils.feature_space",  # FeatureSpace's Feature, Cross, ...
    "distillation": "numkeras.distillation",
}
FEATURE_SPACE_MODULE = "keras.src.layers.preprocessing.feature_space"
_FUNCTION_NAMESPACES = ("activations", "losses", "metrics", "ops")
_OPTIMIZER_IGNORED = {"jit_compile", "is_legacy_optimizer"}  # Keras 2.11+ optimizer configs
_LAYER_KWARGS = {"input_shape", "input_dim", "batch_size", "batch_input_shape", "autocast"}
_DTYPE_POLICIES = {"DTypePolicy", "FloatDTypePolicy", "Policy"}

# The base classes Keras's formats treat specially (Layer, InputLayer, Model, Sequential,
# Functional, Optimizer): their packages, above this one, register them when defined.
_BASES = {}


def register_base_classes(**classes):
    """Called by `numkeras.layers`, `models` and `optimizers` with their base classes."""
    _BASES.update(classes)


def base_classes(*names):
    """The registered base classes named, for isinstance checks below their packages."""
    return tuple(_BASES[name] for name in names)


# --- serialize ------------------------------------------------------------------------------
def dtype_policy(name):
    """A dtype as Keras 3 writes it in layer configs."""
    return {
        "module": "keras",
        "class_name": "DTypePolicy",
        "config": {"name": name},
        "registered_name": None,
    }


def serialize_keras_object(obj):
    """The JSON-ready config of `obj`: layers, models, optimizers, losses, metrics,
    initializers, functions, NumPy values and plain containers."""
    if obj is None or isinstance(obj, (str, bool, int, float)):
        return obj
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return {
            "class_name": "__numpy__",
            "config": {"value": obj.tolist(), "dtype": obj.dtype.name},
        }
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(x) for x in obj]
    if isinstance(obj, dict):
        return {str(k): serialize_keras_object(v) for k, v in obj.items()}
    if isinstance(obj, slice):  # an indexing op's key, as Keras writes it
        return {
            "class_name": "__slice__",
            "config": {
                "start": serialize_keras_object(obj.start),
                "stop": serialize_keras_object(obj.stop),
                "step": serialize_keras_object(obj.step),
            },
        }
    if obj is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if isinstance(obj, KerasTensor):
        history = obj._keras_history
        return {
            "class_name": "__keras_tensor__",
            "config": {
                "shape": list(obj.shape),
                "dtype": obj.dtype,
                "keras_history": [history[0].name, history[1], history[2]] if history else None,
            },
        }
    if isinstance(obj, (types.FunctionType, types.BuiltinFunctionType)):
        return _serialize_function(obj)
    if not hasattr(obj, "get_config"):
        raise ValueError(
            f"Cannot serialize {obj!r} of type {type(obj).__name__}: it has no get_config()."
        )
    cls = type(obj)
    module = _builtin_modules().get(cls)
    config = {
        "module": module or cls.__module__,
        "class_name": cls.__name__,
        "config": serialize_keras_object(obj.get_config()),
        "registered_name": None if module else get_registered_name(cls),
    }
    if module == FEATURE_SPACE_MODULE:  # Keras's unexported classes carry their own name
        config["registered_name"] = cls.__name__
    _add_layer_fields(obj, config)
    return config


def _serialize_function(fn):
    if fn.__name__ == "<lambda>":
        raise ValueError(
            "Cannot save a lambda: numkeras never loads Python bytecode. Use a named function "
            "decorated with @numkeras.saving.register_keras_serializable() instead."
        )
    for namespace in _FUNCTION_NAMESPACES:
        module = _namespace(namespace)
        if any(getattr(module, name, None) is fn for name in module.__all__):
            return {
                "module": f"keras.{namespace}",
                "class_name": "function",
                "config": fn.__name__,
                "registered_name": fn.__name__,
            }
    name = get_registered_name(fn)
    return {
        "module": fn.__module__,
        "class_name": "function",
        "config": name,
        "registered_name": name,
    }


def _add_layer_fields(obj, config):
    """Keras's extras for layers: a DTypePolicy dict, `build_config`, `compile_config`."""
    Layer, InputLayer, Model, Sequential, Functional = base_classes(
        "Layer", "InputLayer", "Model", "Sequential", "Functional"
    )
    if not isinstance(obj, Layer) or isinstance(obj, InputLayer):
        return
    inner = config["config"]
    if isinstance(inner.get("dtype"), str):
        inner["dtype"] = dtype_policy(inner["dtype"])
    if type(obj).get_build_config is not Layer.get_build_config:  # its own format
        if obj.built:
            config["build_config"] = serialize_keras_object(obj.get_build_config())
        return
    if isinstance(obj, Sequential):
        shape = obj._input_batch_shape if obj.built else None
    else:
        shape = getattr(obj, "_build_shape", None) if obj.built else None
    shapes = getattr(obj, "_build_shapes_dict", None) if obj.built else None
    if shapes is not None:  # built from several inputs' shapes (MultiHeadAttention)
        config["build_config"] = {"shapes_dict": serialize_keras_object(shapes)}
    elif shape is not None or isinstance(obj, Functional):
        config["build_config"] = {"input_shape": serialize_keras_object(shape)}
    if isinstance(obj, Model) and obj.compiled:
        config["compile_config"] = obj.get_compile_config()


# --- deserialize ----------------------------------------------------------------------------
def deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs):
    """Rebuild what `serialize_keras_object` (or Keras 3) wrote; plain values pass through.

    `safe_mode` (and Keras's other keyword arguments) are accepted for compatibility;
    numkeras is always safe: it refuses lambdas' bytecode either way.
    """
    with custom_object_scope(custom_objects):
        return _deserialize(config)


def _deserialize(config, namespaces=None):
    if config is None or isinstance(config, (str, bool, int, float)):
        return config
    if isinstance(config, (list, tuple)):
        return [_deserialize(x, namespaces) for x in config]
    if not isinstance(config, dict):
        raise ValueError(f"Cannot deserialize {config!r} of type {type(config).__name__}.")
    if "class_name" not in config:
        return {k: _deserialize(v, namespaces) for k, v in config.items()}
    class_name, inner = config["class_name"], config.get("config")
    if not isinstance(class_name, str):
        raise ValueError(f"Invalid class_name {class_name!r} in config {_short(config)}.")
    special = _SPECIAL.get(class_name)
    if special is not None:
        return special(inner if inner is not None else {})
    if class_name in _DTYPE_POLICIES:
        return inner.get("name", "float32") if isinstance(inner, dict) else "float32"
    if class_name == "function":
        return _resolve(config, "function", namespaces)
    cls = _resolve(config, "class", namespaces)
    if not inspect.isclass(cls):
        return cls  # a registered function under a class-style config
    return _instantiate(cls, inner if inner is not None else {}, config)


def _instantiate(cls, inner, config):
    Layer, Model = base_classes("Layer", "Model")
    if not isinstance(inner, dict):
        raise ValueError(f"The config of {cls.__name__} must be a dict, got {_short(inner)}.")
    inner = dict(inner)
    builtin = cls in _builtin_modules()
    if builtin and not issubclass(cls, Model):
        # built-ins get their nested objects (initializers, ...) as instances
        inner = {k: _deserialize(v) for k, v in inner.items()}
        inner = _drop_unsupported(cls, inner)
        if isinstance(inner.get("fn"), str):  # Mean{Metric,Loss}Wrapper's function by name
            inner["fn"] = _resolve(
                {"class_name": "function", "config": inner["fn"]}, "function", ["metrics", "losses"]
            )
    if isinstance(inner.get("dtype"), dict):
        inner["dtype"] = _deserialize(inner["dtype"])
    try:
        obj = cls.from_config(inner)
    except TypeError as e:
        raise ValueError(f"Could not rebuild {cls.__name__} from its config: {e}") from e
    build = config.get("build_config") or {}
    own_format = getattr(type(obj), "build_from_config", None) is not Layer.build_from_config
    if isinstance(obj, Layer) and build and own_format:
        obj.build_from_config(build)  # a layer's own format (FeatureSpace: one per feature)
    shape = _shape(build.get("input_shape"))
    if isinstance(obj, Layer) and shape is not None and not obj.built:
        _build(obj, shape)
    shapes = build.get("shapes_dict")
    if isinstance(obj, Layer) and isinstance(shapes, dict) and not obj.built:
        obj.build(**{name: _shape(s) for name, s in shapes.items()})  # Keras's build_from_config
        obj.built = True
    if isinstance(obj, Model) and config.get("compile_config"):
        obj.compile_from_config(config["compile_config"])
    return obj


def _build(layer, shape):
    """Keras's `build_from_config`: subclassed models build by running once on zeros."""
    Model, Sequential, Functional = base_classes("Model", "Sequential", "Functional")
    if isinstance(layer, Sequential):
        layer.build(shape)
    elif isinstance(layer, Model) and not isinstance(layer, Functional):
        leaves = _shape_leaves(shape)
        with autodiff.no_grad():
            layer(map_structure(lambda s: np.zeros([d or 1 for d in s.dims], "float32"), leaves))
    else:
        layer._maybe_build(shape)
    layer.built = True


def _shape_leaves(shape):
    """Shapes as opaque leaves (tuples are also structures to `map_structure`)."""
    if isinstance(shape, tuple):
        return _Shape(shape)
    if isinstance(shape, dict):
        return {k: _shape_leaves(v) for k, v in shape.items()}
    return [_shape_leaves(s) for s in shape]


class _Shape:
    def __init__(self, dims):
        self.dims = dims


def _drop_unsupported(cls, config):
    """Drop keys numkeras's class doesn't take when their value only turns a feature off
    (`"quantization_config": null`); other unknown keys still reach the class and fail."""
    (Optimizer,) = base_classes("Optimizer")
    accepted = _init_params(cls)
    ignored = _OPTIMIZER_IGNORED if issubclass(cls, Optimizer) else set()
    return {k: v for k, v in config.items() if k in accepted or not (_is_off(v) or k in ignored)}


def _is_off(value):
    return value is None or value is False or (isinstance(value, dict) and not value)


def _init_params(cls):
    names = set(_LAYER_KWARGS) | {"decay", "lr"}
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        params = inspect.signature(init).parameters.values()
        names |= {p.name for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
        if not any(p.kind == p.VAR_KEYWORD for p in params):
            break
    return names


def _shape(value):
    """A JSON shape back as tuples: [null, 4] -> (None, 4); [[..], [..]] -> [(..), (..)]."""
    if value is None:
        return None
    if isinstance(value, list) and all(v is None or isinstance(v, int) for v in value):
        return tuple(value)
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    raise ValueError(f"Invalid shape {value!r} in build_config.")


def _numpy(inner):
    dtype = np.dtype(inner.get("dtype", "float32"))
    if dtype.kind not in "biuf":
        raise ValueError(f"Refusing to load a NumPy array of dtype {dtype} from a config.")
    return np.array(inner["value"], dtype=dtype)


def _lambda(inner):
    raise ValueError(
        "The config contains a Python lambda (Keras's `__lambda__`, stored as bytecode). "
        "numkeras never executes code from a file, even with safe_mode=False: rewrite it as a "
        "named function registered with @register_keras_serializable() and pass it in "
        "custom_objects."
    )


_SPECIAL = {
    "__numpy__": _numpy,
    "__tensor__": _numpy,
    "__bytes__": lambda inner: str(inner["value"]).encode("utf-8"),
    "__ellipsis__": lambda inner: Ellipsis,
    "__slice__": lambda inner: slice(
        *(_deserialize(inner.get(k)) for k in ("start", "stop", "step"))
    ),
    "__lambda__": _lambda,
    "__typespec__": lambda inner: _unknown("__typespec__", None, "TensorFlow type specs"),
}


# --- the whitelist ------------------------------------------------------------------------------
def _resolve(config, kind, namespaces=None):
    """The class or function a config names, from custom objects or numkeras built-ins."""
    class_name, module = config["class_name"], config.get("module")
    registered = config.get("registered_name")
    name = config.get("config") if kind == "function" else class_name
    if not isinstance(name, str):
        raise ValueError(f"Invalid function name {name!r} in config {_short(config)}.")
    for key in (registered, name):
        found = get_registered_object(key) if isinstance(key, str) else None
        if found is not None:
            return found
    found = _builtin(module, name, kind, namespaces)
    if found is None and kind == "function" and ">" not in name:
        # configs that name a registered function without its package ("twice", not
        # "Pkg>twice"), as Keras <= 3.6 and numkeras's Lambda write them
        found = get_registered_object(name, suffix=True)
    if found is None:
        _unknown(name, module, kind)
    return found


def _unknown(name, module, kind):
    raise ValueError(
        f"Unknown {kind} {name!r} (module {module!r}): numkeras only loads its own Keras "
        "classes and objects passed in `custom_objects=` or registered with "
        "@numkeras.saving.register_keras_serializable(); it never imports modules named "
        "in a file."
    )


def _builtin(module, name, kind, namespaces=None):
    for namespace in _namespaces_for(module, kind, namespaces):
        if namespace == "models" and name in ("Functional", "Model"):
            return _BASES["Functional"]
        mod = _namespace(namespace)
        obj = getattr(mod, name, None) if name in getattr(mod, "__all__", ()) else None
        if obj is None:
            continue
        if kind == "class" and obj in _builtin_modules() and hasattr(obj, "from_config"):
            return obj
        if (
            kind == "function"
            and namespace in _FUNCTION_NAMESPACES
            and callable(obj)
            and not inspect.isclass(obj)
        ):
            return obj
    return None


def _namespaces_for(module, kind, default):
    """The numkeras namespaces to search: the one a Keras module names, else all of them.
    Functions are looked up by name whatever module they claim (numkeras's own functions live
    in internal modules), but only among the whitelisted namespaces' public names."""
    everything = list(default or _NAMESPACES)
    if kind == "function":
        everything = [n for n in everything if n in _FUNCTION_NAMESPACES] or list(
            _FUNCTION_NAMESPACES
        )
    if not isinstance(module, str) or module == "builtins":
        return everything
    parts = module.split(".")
    if parts[0] != "keras":
        return everything if kind == "function" else []
    if module == "keras":
        return ["models"]
    if len(parts) > 2 and parts[1] == "src":
        parts = parts[1:]
    key = "schedules" if "schedules" in parts else parts[1]
    key = "feature_space" if parts[-1] == "feature_space" else key
    return [key] if key in _NAMESPACES else everything


def _namespace(key):
    return importlib.import_module(_NAMESPACES[key])


_builtin_cache = {}


def _builtin_modules():
    """{numkeras class: the Keras module it is saved under}, for every built-in class."""
    if not _builtin_cache:
        Sequential, Functional = base_classes("Sequential", "Functional")
        for key in _NAMESPACES:
            mod = _namespace(key)
            keras_module = {
                "schedules": "keras.optimizers.schedules",
                "feature_space": FEATURE_SPACE_MODULE,
            }.get(key, f"keras.{key}")
            for name in mod.__all__:
                obj = getattr(mod, name, None)
                if inspect.isclass(obj) and obj.__name__ == name:
                    _builtin_cache.setdefault(obj, keras_module)
        _builtin_cache[Sequential] = "keras"
        _builtin_cache[Functional] = "keras.src.models.functional"
    return _builtin_cache


def _short(value, limit=200):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
