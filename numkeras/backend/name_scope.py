"""Name scopes: the "sequential/dense" prefix of layer and variable paths, as Keras's."""

import threading

__all__ = ["current_path", "name_scope"]

_stack = threading.local()


def _scopes():
    if not hasattr(_stack, "scopes"):
        _stack.scopes = []
    return _stack.scopes


class name_scope:
    """A context manager that adds `name` to the path of what is created inside it.

    Args:
        name: the scope's name (a string without "/").
        caller: the object opening it; reopening the innermost scope of the same caller and
            name adds nothing (a layer's `build` calling its own `add_weight`).
        deduplicate: whether that reopening is skipped.
        override_parent: an absolute path that replaces the enclosing scopes' (by default
            the path the caller was first opened under, so a layer keeps its parent).

    >>> with name_scope("outer"):
    ...     with name_scope("inner"):
    ...         current_path()
    'outer/inner'
    """

    def __init__(self, name, caller=None, deduplicate=True, override_parent=None):
        if not isinstance(name, str) or "/" in name:
            raise ValueError(
                "Argument `name` must be a string and cannot contain character `/`. "
                f"Received: name={name}"
            )
        self.name, self.caller, self.deduplicate = name, caller, deduplicate
        if override_parent is None and deduplicate:
            override_parent = getattr(caller, "_parent_path", None)
        self.override_parent = override_parent
        self._pushed = False

    def __enter__(self):
        scopes = _scopes()
        if self.deduplicate and scopes and self.caller is not None:
            top = scopes[-1]
            if top.caller is self.caller and top.name == self.name:
                return self
        scopes.append(self)
        self._pushed = True
        return self

    def __exit__(self, *exc):
        if self._pushed:
            _scopes().pop()
            self._pushed = False


def current_path():
    """The enclosing scopes' names joined by "/" ("" outside any scope)."""
    parts = []
    for scope in _scopes():
        if scope.override_parent is not None:
            parts = [p for p in scope.override_parent.split("/") if p]
        parts.append(scope.name)
    return "/".join(parts)
