"""Operations: what a node of the symbolic graph calls, and `numkeras.ops` on KerasTensors.

Every public `numkeras.ops` function is wrapped once (`wrap_namespace`): given concrete values
it runs as before; given a KerasTensor anywhere in its arguments it records an `Operation`
node instead, as Keras's ops do. The output's shape and dtype come from running the function
itself on small placeholder arrays, twice with different sizes for the unknown (None) axes,
so the axes that follow them come out None: no per-op shape rules.
"""

import functools
import inspect

import numpy as np

from numkeras.backend.naming import auto_name
from numkeras.engine import autodiff
from numkeras.engine.tensor import Tensor
from numkeras.ops.keras_tensor import KerasTensor, Node
from numkeras.tree import flatten, map_structure

__all__ = [
    "Operation",
    "FunctionOperation",
    "any_symbolic",
    "get_item",
    "get_op_class",
    "op_class",
    "output_spec",
    "symbolic",
    "wrap_namespace",
]

_PLACEHOLDER_SIZES = (2, 3)  # two sizes for None axes: an output axis that differs is None


class Operation:
    """A callable that records a node when called on KerasTensors (base of graph ops)."""

    def __init__(self, name=None):
        if name is not None and (not isinstance(name, str) or "/" in name):
            raise ValueError(
                "Argument `name` must be a string and cannot contain character "
                f"`/`. Received: name={name} (of type {type(name)})"
            )
        self.name = name or auto_name(type(self).__name__)
        self._inbound_nodes = []
        self._outbound_nodes = []

    def __call__(self, *args, **kwargs):
        if _symbolic(args, kwargs):
            return self.symbolic_call(*args, **kwargs)
        return self.call(*args, **kwargs)

    def call(self, *args, **kwargs):
        raise NotImplementedError

    def symbolic_call(self, *args, **kwargs):
        outputs = self.compute_output_spec(*args, **kwargs)
        Node(self, args, kwargs, outputs)
        return outputs

    def compute_output_spec(self, *args, **kwargs):
        return output_spec(self.call, args, kwargs)

    # --- as Keras: the first call's inputs and outputs -----------------------------------
    @property
    def input(self):
        return self._node_attribute(0, "input_tensors", "input")

    @property
    def output(self):
        return self._node_attribute(0, "output_tensors", "output")

    def _node_attribute(self, node_index, attr, attr_name):
        if not self._inbound_nodes:
            raise AttributeError(
                f"The layer {self.name} has never been called and thus has no defined {attr_name}."
            )
        if len(self._inbound_nodes) <= node_index:
            raise ValueError(
                f"Asked to get {attr_name} at node {node_index}, but the operation has only "
                f"{len(self._inbound_nodes)} inbound nodes."
            )
        values = getattr(self._inbound_nodes[node_index], attr)
        return values[0] if isinstance(values, list) and len(values) == 1 else values

    def get_config(self):
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<Operation name={self.name}>"


class FunctionOperation(Operation):
    """One symbolic call of a `numkeras.ops` function: its non-tensor settings (axis,
    keepdims, ...) are the config, as Keras's `Mean(axis, keepdims)`; tensors are the call's
    arguments."""

    function = None  # set on each op's subclass by `op_class`

    def __init__(self, name=None, **config):
        super().__init__(name=name)
        self._config = config

    def call(self, *args, **kwargs):
        return type(self).function(*args, **kwargs, **self._config)

    def get_config(self):
        return {"name": self.name, **self._config}


_op_classes = {}
# the module of Keras's op classes, which `.keras` files name: by the numkeras module an op
# lives in (`numkeras.ops.<module>` maps to Keras's own), with Keras's few exceptions
_KERAS_CORE = {
    "cast",
    "convert_to_tensor",
    "stop_gradient",
    "unstack",
    "cond",
    "scatter",
    "slice",
    "slice_update",
    "while_loop",
    "fori_loop",
    "map",
    "scan",
    "switch",
}
_KERAS_MATH = {
    "logsumexp",
    "rsqrt",
    "erf",
    "erfinv",
    "logdet",
    "segment_sum",
    "segment_max",
    "top_k",
    "in_top_k",
    "extract_sequences",
    "fft",
    "fft2",
    "rfft",
    "irfft",
    "stft",
    "istft",
    "qr",
    "solve",
}


def keras_module(name):
    """The Keras module whose class the op `name` serializes as (`keras.src.ops.nn`)."""
    if name in _KERAS_CORE:
        return "keras.src.ops.core"
    if name in _KERAS_MATH:
        return "keras.src.ops.math"
    import numkeras.ops

    for submodule in ("nn", "linalg"):  # Keras's submodules, as numkeras.ops views them
        if name in dir(getattr(numkeras.ops, submodule)):
            return f"keras.src.ops.{submodule}"
    return "keras.src.ops.numpy"


def op_class(fn, name=None):
    """The Operation class for op function `fn`, named as Keras names it (`Mean`, `Add`)."""
    name = name or fn.__name__
    cls = _op_classes.get(name)
    if cls is None:
        cls = type(
            _class_name(name),
            (FunctionOperation,),
            {
                "function": staticmethod(fn),
                "__doc__": f"The `{name}` op in a symbolic graph.",
                "__module__": __name__,
                "keras_module": keras_module(name),
            },
        )
        _op_classes[name] = cls
    return cls


def get_op_class(class_name):
    """The op class Keras's configs call `class_name` (`"Concatenate"`), or None."""
    import numkeras.ops

    for name in numkeras.ops.__all__:
        fn = getattr(getattr(numkeras.ops, name), "__wrapped_op__", None)
        if fn is not None and _class_name(name) == class_name:
            return op_class(fn, name)
    if class_name == "GetItem":
        return op_class(_getitem, "get_item")
    return None


def _class_name(name):
    return "".join(part.capitalize() for part in name.split("_"))


def symbolic(fn, name=None):
    """Wrap op function `fn` (`numkeras.ops.<name>`): on KerasTensors it records a node,
    otherwise it runs `fn`."""
    name = name or fn.__name__
    params = [
        p
        for p in inspect.signature(fn).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]
    names = [p.name for p in params]

    @functools.wraps(fn)
    def op(*args, **kwargs):
        if not _symbolic(args, kwargs):
            return fn(*args, **kwargs)
        call, config = _split_arguments(params, names, args, kwargs)
        tensors = {k: v for k, v in config.items() if _symbolic((), {k: v})}
        config = {k: v for k, v in config.items() if k not in tensors}
        return op_class(fn, name)(**config)(*call, **tensors)

    op.__wrapped_op__ = fn
    return op


def _split_arguments(params, names, args, kwargs):
    """Keras's split of an op's arguments: tensors and numbers in the leading parameters
    without defaults are call arguments; the rest (axis, keepdims, dtype, ...) are the
    operation's config, defaults included."""
    bound = dict(zip(names, args))
    bound.update(kwargs)
    call, config = [], {}
    for i, p in enumerate(params):
        leading = p.default is p.empty and p.kind != p.KEYWORD_ONLY
        if (
            leading
            and len(call) == i
            and p.name in bound
            and (i == 0 or _is_operand(bound[p.name]))
        ):
            call.append(bound.pop(p.name))
        elif p.name in bound:
            config[p.name] = bound.pop(p.name)
        elif p.default is not p.empty:
            config[p.name] = p.default
    config.update(bound)  # the op's own **kwargs
    return call, config


def _is_operand(value):
    return (
        _symbolic((value,), {})
        or isinstance(value, (int, float, complex, np.ndarray, np.generic, Tensor))
        and not isinstance(value, bool)
    )


def wrap_namespace(namespace, names):
    """Make each function in `names` of `namespace` (a module's globals) symbolic-aware;
    `shape` and `dtype` read a KerasTensor's own, as Keras's do."""
    for name in names:
        fn = namespace.get(name)
        if (
            not inspect.isfunction(fn)
            or hasattr(fn, "__wrapped_op__")
            or name in ("convert_to_numpy", "is_tensor")
        ):
            continue
        wrapped = _static(fn, name) if name in ("shape", "dtype") else symbolic(fn, name)
        # pickle finds the wrapper where it lives (numkeras.ops.<name>), not the engine's fn
        wrapped.__module__, wrapped.__qualname__ = namespace["__name__"], name
        namespace[name] = wrapped


def _static(fn, attribute):
    @functools.wraps(fn)
    def read(x):
        return getattr(x, attribute) if _symbolic((x,), {}) else fn(x)

    read.__wrapped_op__ = fn
    return read


def get_item(x, key):
    """`x[key]` on a KerasTensor: a `GetItem` node."""
    return op_class(_getitem, "get_item")()(x, key)


def _getitem(x, key):
    """`x[key]`; a key read back from a config as a list is the tuple it was written from."""
    from numkeras.engine.shape_ops import getitem

    return getitem(x, tuple(key) if isinstance(key, list) else key)


# --- output specs from placeholder runs -------------------------------------------------------
def output_spec(fn, args, kwargs):
    """KerasTensors shaped like `fn(*args, **kwargs)`'s outputs, found by running `fn` on
    placeholder arrays: None axes are given two sizes in turn, and output axes that change
    with them are None."""
    runs = []
    for size in _PLACEHOLDER_SIZES:

        def placeholder(value, size=size):
            if not isinstance(value, KerasTensor):
                return value
            return _placeholder(value, size)

        with autodiff.no_grad(), np.errstate(all="ignore"):
            out = fn(
                *map_structure(placeholder, list(args)), **map_structure(placeholder, dict(kwargs))
            )
        runs.append(out)
    leaves = [_leaves(out) for out in runs]

    def spec(first, second):
        shape = tuple(a if a == b else None for a, b in zip(np.shape(first), np.shape(second)))
        return KerasTensor(shape, _dtype_of(first))

    specs = iter([spec(a, b) for a, b in zip(*leaves)])
    return _rebuild(runs[0], specs)


def _placeholder(t, size):
    shape = tuple(size if d is None else d for d in t.shape)
    return Tensor(np.ones(shape, dtype=np.dtype(t.dtype)))


def _leaves(out):
    return [leaf for leaf in flatten(out) if _is_array(leaf)]


def _rebuild(out, specs):
    return map_structure(lambda leaf: next(specs) if _is_array(leaf) else leaf, out)


def _is_array(value):
    return isinstance(value, (Tensor, np.ndarray, np.generic))


def _dtype_of(value):
    return str(getattr(value, "dtype", np.asarray(value).dtype))


def any_symbolic(args, kwargs):
    """Whether a call's arguments hold a KerasTensor anywhere (the call is symbolic)."""
    return _symbolic(args, kwargs)


def _symbolic(args, kwargs):
    """Whether a KerasTensor is anywhere in the arguments (nested lists, tuples, dicts):
    cheap for plain tensors, as every eager op and layer call passes through here."""
    for value in (*args, *kwargs.values()):
        if isinstance(value, KerasTensor):
            return True
        if isinstance(value, (list, tuple)):
            if _symbolic(value, {}):
                return True
        elif isinstance(value, dict) and _symbolic((), value):
            return True
    return False
