"""Custom objects: `register_keras_serializable`, `custom_objects` scopes and lookups.

Deserialization finds a config's class or function here first (by its registered name
`"package>Name"`, then by its class name), before numkeras's built-ins.
"""
import contextlib
import inspect
import threading

__all__ = ["register_keras_serializable", "get_registered_name", "get_registered_object",
           "custom_object_scope"]

_GLOBAL_CUSTOM_OBJECTS = {}  # "package>Name" -> class or function
_GLOBAL_CUSTOM_NAMES = {}  # class or function -> "package>Name"
_scope = threading.local()


def register_keras_serializable(package="Custom", name=None):
    """Decorator: make a class or function loadable by its name `"package>Name"`.

    >>> @register_keras_serializable(package="Demo")
    ... def double(x):
    ...     return 2 * x
    >>> get_registered_name(double), get_registered_object("Demo>double") is double
    ('Demo>double', True)
    """
    def decorator(obj):
        registered = f"{package}>{name or obj.__name__}"
        if inspect.isclass(obj) and not hasattr(obj, "get_config"):
            raise ValueError(
                f"Cannot register {obj.__name__}: classes must implement `get_config()`."
            )
        _GLOBAL_CUSTOM_OBJECTS[registered] = obj
        _GLOBAL_CUSTOM_NAMES[obj] = registered
        return obj

    return decorator


def get_registered_name(obj):
    """`"package>Name"` for a registered object, else its `__name__`."""
    return _GLOBAL_CUSTOM_NAMES.get(obj, getattr(obj, "__name__", None))


def get_registered_object(name, custom_objects=None, module_objects=None, suffix=False):
    """The object for `name` in `custom_objects`, the active scope, the registry, or
    `module_objects`, in that order; None if it's nowhere. With `suffix`, a bare name also
    matches one registered `"package>name"`."""
    tables = (custom_objects, getattr(_scope, "custom_objects", None), _GLOBAL_CUSTOM_OBJECTS,
              module_objects)
    for table in tables:
        if table and name in table:
            return table[name]
    if suffix:
        matches = {id(obj): obj for table in tables if table for key, obj in table.items()
                   if key.endswith(f">{name}")}
        if len(matches) == 1:
            return next(iter(matches.values()))
    return None


@contextlib.contextmanager
def custom_object_scope(custom_objects=None):
    """Within the block, deserialization also finds `custom_objects` (nested loads too)."""
    saved = getattr(_scope, "custom_objects", None)
    _scope.custom_objects = {**(saved or {}), **(custom_objects or {})}
    try:
        yield
    finally:
        _scope.custom_objects = saved
