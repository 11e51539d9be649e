"""Lambda: wrap a Python function as a layer."""

import base64
import inspect
import marshal
import types

from numkeras.layers.layer import Layer


class Lambda(Layer):
    """Calls `function(inputs, **arguments)`; for quick experiments in Sequential/functional models.

    `get_config` stores the function by name only (Keras 3's format for named functions), so
    `from_config` finds it again in `custom_objects`, `numkeras.activations` or `numkeras.ops`.
    It refuses Keras's serialized lambdas (Python bytecode) unless `safe_mode=False`.

    Args:
        function: the function; it may also take `mask` and `training` arguments.
        output_shape: the output shape without the batch axis, or a function of the full input
            shape; inferred by running the function when None.
        mask: a mask to return, or a function `(inputs, mask) -> mask`.
        arguments: keyword arguments passed to `function`.

    >>> import numpy as np
    >>> Lambda(lambda x: x ** 2)(np.array([1.0, 3.0], "float32")).numpy().tolist()
    [1.0, 9.0]
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise ValueError(f"Lambda: `function` must be callable, received {function!r}.")
        self.function, self.mask, self.arguments = function, mask, dict(arguments or {})
        self.supports_masking = mask is not None  # as Keras: without one, masks stop here
        if isinstance(output_shape, list):
            output_shape = tuple(output_shape)
        self._output_shape = output_shape
        try:
            params = inspect.signature(function).parameters
        except (TypeError, ValueError):  # some builtins have no signature
            params = {}
        self._wants = {name for name in ("mask", "training") if name in params}

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        kwargs.update({"mask": mask, "training": training})
        return self.function(
            inputs, **{k: v for k, v in kwargs.items() if k in self.arguments or k in self._wants}
        )

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        batch = input_shape[0][0] if isinstance(input_shape, list) else input_shape[0]
        return (batch,) + tuple(self._output_shape)

    def compute_mask(self, inputs, mask=None):
        return self.mask(inputs, mask) if callable(self.mask) else self.mask

    def get_config(self):
        config = {
            **super().get_config(),
            "function": _by_name(self.function),
            "arguments": self.arguments,
        }
        if self._output_shape is not None:
            config["output_shape"] = (
                _by_name(self._output_shape) if callable(self._output_shape) else self._output_shape
            )
        if self.mask is not None:
            config["mask"] = _by_name(self.mask) if callable(self.mask) else self.mask
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        config = dict(config)
        for key in ("function", "output_shape", "mask"):
            value = config.get(key)
            if isinstance(value, dict) or (key == "function" and isinstance(value, str)):
                config[key] = _resolve(value, custom_objects, safe_mode)
        return cls(**config)


def _by_name(fn):
    return {
        "module": getattr(fn, "__module__", None) or "builtins",
        "class_name": "function",
        "config": getattr(fn, "__name__", type(fn).__name__),
        "registered_name": "function",
    }


def _resolve(spec, custom_objects, safe_mode):
    """The function a config names (by name, or Keras's bytecode when safe_mode=False)."""
    if isinstance(spec, dict) and spec.get("class_name") == "__lambda__":
        if safe_mode is not False:
            raise ValueError(
                "Lambda: the config holds a Python lambda as bytecode, which could run arbitrary "
                "code. Pass safe_mode=False only if you trust its source, or use a named "
                "function and custom_objects."
            )
        return _load_bytecode(spec["config"])
    name = spec.get("config") if isinstance(spec, dict) else spec
    registered = spec.get("registered_name") if isinstance(spec, dict) else None
    for key in (registered, name):
        if custom_objects and key in custom_objects:
            return custom_objects[key]
    from numkeras import activations, ops

    if name in activations.__all__ and name not in ("get", "serialize", "deserialize"):
        return activations.get(name)
    if isinstance(name, str) and name in ops.__all__:
        return getattr(ops, name)
    raise ValueError(
        f"Lambda: cannot find the function {name!r}. Pass it as "
        f"custom_objects={{{name!r}: function}} to from_config (a lambda cannot be found by name)."
    )


def _load_bytecode(inner):
    code = marshal.loads(base64.b64decode(inner["code"].encode("ascii")))
    closure = inner.get("closure")
    cells = tuple(types.CellType(value) for value in closure) if closure else None
    defaults = tuple(inner["defaults"]) if inner.get("defaults") else None
    return types.FunctionType(code, {"__builtins__": __builtins__}, code.co_name, defaults, cells)
