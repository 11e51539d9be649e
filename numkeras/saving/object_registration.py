"""Custom objects: `register_keras_serializable`, `get_custom_objects`, `CustomObjectScope`
and lookups.

Deserialization finds a config's class or function here first (by its registered name
`"package>Name"`, then by its class name), before numkeras's built-ins.
"""

import inspect
import threading

__all__ = [
    "register_keras_serializable",
    "get_registered_name",
    "get_registered_object",
    "custom_object_scope",
    "CustomObjectScope",
    "get_custom_objects",
]

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
    tables = (
        custom_objects,
        getattr(_scope, "custom_objects", None),
        _GLOBAL_CUSTOM_OBJECTS,
        module_objects,
    )
    for table in tables:
        if table and name in table:
            return table[name]
    if suffix:
        matches = {
            id(obj): obj
            for table in tables
            if table
            for key, obj in table.items()
            if key.endswith(f">{name}")
        }
        if len(matches) == 1:
            return next(iter(matches.values()))
    return None


def get_custom_objects():
    """The live global dict of custom objects: registered ones, and any you add to it.

    >>> def cube(x):
    ...     return x ** 3
    >>> get_custom_objects()["cube"] = cube
    >>> get_registered_object("cube") is cube
    True
    >>> del get_custom_objects()["cube"]
    """
    return _GLOBAL_CUSTOM_OBJECTS


class CustomObjectScope:
    """Within `with CustomObjectScope({"name": obj}):` deserialization (`load_model`,
    `from_config`, the `get`/`deserialize` of each namespace) also finds these objects.
    Nested scopes add to the outer scope's objects."""

    def __init__(self, custom_objects=None):
        self.custom_objects = dict(custom_objects or {})
        self.backup = None

    def __enter__(self):
        self.backup = getattr(_scope, "custom_objects", None)
        _scope.custom_objects = {**(self.backup or {}), **self.custom_objects}
        return self

    def __exit__(self, *exc):
        _scope.custom_objects = self.backup


custom_object_scope = CustomObjectScope
