"""Layer: the base of every layer and model (config, lazy build, weights, call)."""

import functools
import inspect
import threading
import warnings
import weakref

import numpy as np

from numkeras import initializers, regularizers
from numkeras.backend.config import floatx
from numkeras.backend.name_scope import current_path, name_scope
from numkeras.backend.naming import auto_name
from numkeras.backend.traceback_utils import checking_arguments
from numkeras.engine.tensor import Tensor, as_tensor
from numkeras.engine.variable import Variable
from numkeras.layers import mask_utils, stored_shapes
from numkeras.layers.input_spec import InputSpec, assert_input_compatibility
from numkeras.layers.keras_tensor import KerasTensor, Node, is_symbolic
from numkeras.metrics.metric import Metric
from numkeras.ops.operation import Operation, any_symbolic, output_spec
from numkeras.saving.serialization import register_base_classes
from numkeras.stateless_scope import StatelessScope, get_stateless_scope
from numkeras.tree import flatten, map_structure

_context = threading.local()
_build_lock = threading.RLock()
_with_losses = weakref.WeakSet()  # layers holding add_loss values: calls clear them cheaply


def _memo():
    """This thread's memo of tree walks while `fixed_structure` is open, else None."""
    return getattr(_context, "memo", None)


def _walked(layer, what, walk):
    """`walk()`'s result for `layer`, taken once per `fixed_structure` span (key `what`), or
    afresh outside one."""
    memo = _memo()
    if memo is None:
        return walk()
    key = (id(layer), what)
    value = memo.get(key)
    if value is None:
        value = memo[key] = walk()
    return value


class fixed_structure:
    """A span (a train or test step) in which layers' tracked items are walked once each:
    `_tracked_items`, `_layers` and `_own_metrics` keep their results until
    the span ends or a layer's attributes or weights change (`__setattr__`, `add_weight` clear
    them; a list attribute changed in place is seen from the next step). Trainable flags are
    read afresh each time."""

    def __enter__(self):
        self.outer = _memo()
        if self.outer is None:
            _context.memo = {}

    def __exit__(self, *exc):
        if self.outer is None:
            _context.memo = None


def _forget_structure():
    memo = _memo()
    if memo:
        memo.clear()


_BASE_KWARGS = ("input_shape", "input_dim", "batch_size", "batch_input_shape", "autocast")


def _closest_names(cls, kwargs):
    """' Did you mean ...?' for each unknown keyword close to one `cls` accepts (difflib)."""
    import difflib

    valid = set(_BASE_KWARGS)
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        try:
            params = inspect.signature(init).parameters.values()
        except (TypeError, ValueError):
            continue
        valid.update(
            p.name
            for p in params
            if p.name != "self" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        )
    guesses = []
    for name in kwargs:
        close = difflib.get_close_matches(name, sorted(valid), n=1, cutoff=0.7)
        if close:
            guesses.append(f" Did you mean {close[0]!r} instead of {name!r}?")
    return "".join(guesses)


def shape_str(shape):
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


class Layer(Operation):
    """Base class: `__init__` stores config, `build(input_shape)` makes weights, `call` computes.

    Args:
        trainable: whether the layer's weights are updated by training.
        name: a unique name; by default the snake-cased class name with a counter.
        dtype: the weights' and computation's dtype (`backend.floatx()`, float32 by default).
    """

    def __init__(
        self, *, activity_regularizer=None, trainable=True, name=None, dtype=None, **kwargs
    ):
        input_shape = kwargs.pop("input_shape", None)
        input_dim = kwargs.pop("input_dim", None)
        batch_size = kwargs.pop("batch_size", None)
        batch_input_shape = kwargs.pop("batch_input_shape", None)
        autocast = kwargs.pop("autocast", True)
        if kwargs:
            raise ValueError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: {kwargs}."
                + _closest_names(type(self), kwargs)
            )
        object.__setattr__(self, "_tracked", [])
        self.name = name or auto_name(type(self).__name__)
        self._trainable = trainable
        self.dtype = _dtype_name(dtype)
        self.autocast = autocast
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self._path = self._parent_path = None  # set when built, as Keras (`path`)
        self.built = False
        self.input_spec = None
        self._losses = []
        self._inbound_nodes, self._outbound_nodes = [], []
        if input_dim is not None:
            input_shape = (input_dim,)
        if batch_input_shape is not None:
            self._batch_input_shape = tuple(batch_input_shape)
        elif input_shape is not None:
            self._batch_input_shape = (batch_size,) + tuple(input_shape)
        else:
            self._batch_input_shape = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "build" in cls.__dict__:  # as Keras: `layer.build(shape)` called directly builds it
            cls.build = _marks_built(cls.__dict__["build"])

    # --- tracking -------------------------------------------------------------------
    def __setattr__(self, name, value):
        if not name.startswith("__") and _trackable(value):
            self._tracked.append((name, value))
        _forget_structure()
        super().__setattr__(name, value)

    def __delattr__(self, name):
        _forget_structure()
        super().__delattr__(name)

    def _tracked_items(self):
        """Variables and sublayers in assignment order, including those in lists/dicts."""
        return _walked(self, "items", self._walk_items)

    def _walk_items(self):
        seen, items = set(), []
        for name, value in self._tracked:
            if getattr(self, name, None) is not value:
                continue
            for leaf in _leaves(value):
                if isinstance(leaf, (Layer, Variable)) and id(leaf) not in seen:
                    seen.add(id(leaf))
                    items.append(leaf)
        return items

    @property
    def _layers(self):
        return list(_walked(self, "layers", self._walk_layers))

    def _walk_layers(self):
        return [item for item in self._tracked_items() if isinstance(item, Layer)]

    @property
    def metrics(self):
        """Metrics assigned as attributes of this layer, then those of its sublayers."""
        out = []
        self._add_metrics(out)
        return out

    def _add_metrics(self, out):
        """Append this layer's metrics, then its sublayers' (a subclass's own `metrics` where it
        overrides the property), in one walk without a list per layer."""
        out += _walked(self, "metrics", self._walk_metrics)
        for layer in _walked(self, "layers", self._walk_layers):
            if type(layer).metrics is Layer.metrics:
                layer._add_metrics(out)
            else:
                out += layer.metrics

    def _own_metrics(self):
        return list(_walked(self, "metrics", self._walk_metrics))

    def _walk_metrics(self):
        own = []
        for name, value in self._tracked:
            if getattr(self, name, None) is value:
                own += [
                    m
                    for m in _leaves(value)
                    if isinstance(m, Metric) and all(m is not o for o in own)
                ]
        return own

    @property
    def _own_variables(self):
        own = [v for v in self._tracked_items() if isinstance(v, Variable)]
        return [v for v in own if v.trainable] + [v for v in own if not v.trainable]

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        for layer in self._layers:
            layer.trainable = value

    @property
    def weights(self):
        out = list(self._own_variables)
        for layer in self._layers:
            out.extend(v for v in layer.weights if all(v is not w for w in out))
        return out

    variables = weights

    @property
    def trainable_weights(self):
        out = []
        if self.trainable:
            self._add_trainable_weights(out, set())
        return out

    def _add_trainable_weights(self, out, seen):
        """Append this trainable layer's trainable variables, then its trainable sublayers',
        each once (also when sublayers share layers: a model and a functional view of it), in
        one walk without a list per layer (Model.fit asks every step)."""
        items = self._tracked_items()
        for v in items:
            if isinstance(v, Variable) and v.trainable and id(v) not in seen:
                seen.add(id(v))
                out.append(v)
        for layer in items:
            if not (isinstance(layer, Layer) and layer.trainable):
                continue
            if type(layer).trainable_weights is Layer.trainable_weights:
                layer._add_trainable_weights(out, seen)
                continue
            for v in layer.trainable_weights:  # a subclass's own list
                if id(v) not in seen:
                    seen.add(id(v))
                    out.append(v)

    @property
    def non_trainable_weights(self):
        trainable = {id(v) for v in self.trainable_weights}
        return [v for v in self.weights if id(v) not in trainable]

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    def add_weight(
        self,
        shape=None,
        initializer=None,
        dtype=None,
        trainable=True,
        regularizer=None,
        constraint=None,
        name=None,
        **kwargs,
    ):
        """Create a Variable owned by this layer (tracked, regularized, constrained)."""
        shape = tuple(shape or ())
        stored_shapes.check(shape, self.name, name)  # loading: the file must hold one
        if initializer is None:
            initializer = "glorot_uniform" if np.dtype(dtype or self.dtype).kind == "f" else "zeros"
        value = initializers.get(initializer)(shape, dtype=dtype or self.dtype)
        variable = Variable(value, dtype=dtype or self.dtype, trainable=trainable, name=name)
        with self._open_name_scope():  # "sequential/dense/kernel" when built in a model
            variable.path = f"{current_path()}/{variable.name}"
        variable.regularizer = regularizers.get(regularizer)
        variable.constraint = constraint
        self._tracked.append((f"_weight_{len(self._tracked)}", variable))
        _forget_structure()
        object.__setattr__(self, f"_weight_{len(self._tracked) - 1}", variable)
        return variable

    def add_variable(
        self,
        shape,
        initializer,
        dtype=None,
        trainable=True,
        autocast=True,
        regularizer=None,
        constraint=None,
        name=None,
    ):
        """Alias of `add_weight` (Keras's signature: `shape` and `initializer` required)."""
        return self.add_weight(
            shape=shape,
            initializer=initializer,
            dtype=dtype,
            trainable=trainable,
            autocast=autocast,
            regularizer=regularizer,
            constraint=constraint,
            name=name,
        )

    def add_metric(self, *args, **kwargs):
        """Removed in Keras 3: raises with Keras's advice."""
        raise NotImplementedError(
            "Layer `add_metric()` method is deprecated. Add your metric in "
            "`Model.compile(metrics=[...])`, or create metric trackers in init() or build() "
            "when subclassing the layer or model, then call `metric.update_state()` whenever "
            "necessary."
        )

    @property
    def metrics_variables(self):
        """The variables of every metric in `metrics`."""
        return [v for metric in self.metrics for v in metric.variables]

    # --- naming and dtypes -------------------------------------------------------------
    def _open_name_scope(self):
        """This layer's name scope, under the path it was first opened in (as Keras)."""
        if self._parent_path is None:
            self._parent_path = current_path()
        return name_scope(self.name, caller=self)

    @property
    def path(self):
        """The layer's name under the scopes it was built in ("sequential/dense"); None
        until built."""
        return self._path

    @property
    def dtype_policy(self):
        """The layer's `DTypePolicy` (numkeras computes in its variables' dtype)."""
        from numkeras.backend.dtype_policies import policy_for

        return policy_for(self.dtype)

    @property
    def compute_dtype(self):
        return self.dtype

    @property
    def variable_dtype(self):
        return self.dtype

    @property
    def input_dtype(self):
        """The dtype floating-point inputs are cast to (the compute dtype)."""
        return self.dtype

    @property
    def call_signature_parameters(self):
        """The names of `call`'s parameters, as Keras lists them."""
        return list(inspect.signature(self.call).parameters)

    # --- losses ----------------------------------------------------------------------
    def add_loss(self, loss):
        """Add a scalar loss in `call`; it counts until the next outermost call (within a
        `StatelessScope`, the scope collects it instead, if it collects losses)."""
        scope = get_stateless_scope()
        if scope is not None:
            if scope.collect_losses:
                scope.add_loss(loss)
                scope.loss_owners = getattr(scope, "loss_owners", {})
                scope.loss_owners.setdefault(id(self), []).append(loss)
            return
        self._losses.append(loss)
        _with_losses.add(self)

    @property
    def losses(self):
        """Losses added in the last call plus the weight regularization penalties."""
        out = []
        self._add_losses(out, get_stateless_scope())
        return out

    def _add_losses(self, out, scope):
        """Append this layer's losses, then its sublayers' (a subclass's own `losses` where it
        overrides the property), in one walk without a list per layer."""
        if scope is None:
            out += self._losses
        else:
            out += getattr(scope, "loss_owners", {}).get(id(self), [])
        if self.trainable:  # the penalties of the trainable variables, in tracking order
            for v in self._tracked_items():
                if (
                    isinstance(v, Variable)
                    and v.trainable
                    and getattr(v, "regularizer", None) is not None
                ):
                    out.append(v.regularizer(v))
        for layer in _walked(self, "layers", self._walk_layers):
            if type(layer).losses is Layer.losses:
                layer._add_losses(out, scope)
            else:
                out += layer.losses

    def _clear_losses(self):
        self._losses = []
        _with_losses.discard(self)
        for layer in self._layers:
            layer._clear_losses()

    # --- build and call ----------------------------------------------------------------
    def build(self, input_shape):
        if type(self).build is Layer.build and any(not la.built for la in self._layers):
            warnings.warn(
                f"`build()` was called on layer '{self.name}', however the layer does not have "
                "a `build()` method implemented and it looks like it has unbuilt state. This "
                "will cause the layer to be marked as built, despite not being actually built, "
                "which may cause failures down the line. Make sure to implement a proper "
                "`build()` method.",
                stacklevel=2,
            )
        self.built = True
        if getattr(self, "_build_shape", None) is None:
            self._build_shape = input_shape

    def get_build_config(self):
        """The shape(s) the layer was built with, for `build_from_config` (as Keras)."""
        shapes = getattr(self, "_build_shapes_dict", None)
        if shapes is not None:
            return {"shapes_dict": shapes}
        shape = getattr(self, "_build_shape", None)
        return None if shape is None else {"input_shape": shape}

    def build_from_config(self, config):
        """Build from `get_build_config()`'s dict: `build(input_shape)` or `build(**shapes)`."""
        if config and "input_shape" in config:
            self.build(config["input_shape"])
        elif config and "shapes_dict" in config:
            self.build(**config["shapes_dict"])

    def _maybe_build(self, input_shape):
        """Build once, even when several threads make the first call together (the lock is
        taken only while unbuilt; reentrant, as a model's build builds its layers)."""
        if not self.built:
            with _build_lock:
                if not self.built:
                    with self._open_name_scope():
                        self._path = current_path()
                        if type(self).build is not Layer.build:  # (else sublayers in call)
                            self.build(input_shape)
                    self._build_shape = input_shape
                    self.built = True

    def call(self, inputs, *args, **kwargs):
        return inputs

    def __call__(self, *args, **kwargs):
        # 1. a KerasTensor anywhere in the arguments: record a graph node instead
        if any_symbolic(args, kwargs):
            return self._symbolic_call(args, kwargs)
        inputs, args = (args[0], args[1:]) if args else (kwargs.pop("inputs"), ())
        # 2. convert arrays to tensors; check and build with the first input's shape
        if isinstance(inputs, Tensor):  # (the common case, without the structure walks)
            inputs = self._convert_input(inputs)
            shapes = inputs.shape
        else:
            inputs = map_structure(self._convert_input, inputs)
            shapes = map_structure(lambda t: t.shape if isinstance(t, Tensor) else None, inputs)
        with checking_arguments(ValueError):  # an input that does not fit: raised from here
            self._check_input_spec(inputs)
            self._maybe_build(shapes)
        # 3. resolve `training` and `mask` (the mask the inputs carry, if `call` takes one)
        params, makes_mask, _ = _call_info(type(self))
        mask = kwargs.get("mask")
        carried = mask is None  # a mask the inputs carry, not one passed as `mask=`
        if carried:
            mask = mask_utils.input_mask(inputs)
            if mask is not None and "mask" in params:
                kwargs["mask"] = mask
        kwargs = self._resolve_call_kwargs(kwargs, params)
        # 4. call; the outermost call clears the losses its layers added last time
        outer, depth = getattr(_context, "training", None), getattr(_context, "depth", 0)
        if not depth and _with_losses:
            self._clear_losses()
        _context.training, _context.depth = kwargs.get("training", outer), depth + 1
        try:
            outputs = self.call(inputs, *args, **kwargs)
        finally:
            _context.training, _context.depth = outer, depth
        # 5. the activity regularizer's penalty on each output, per sample (as Keras)
        if self.activity_regularizer is not None:
            self._add_activity_loss(outputs)
        # 6. attach the output mask, as Keras does for layers that support masking
        if mask is not None or makes_mask:
            mask_utils.set_output_mask(self, inputs, outputs, mask, warn=carried)
        return outputs

    def _add_activity_loss(self, outputs):
        for output in flatten(outputs):
            if isinstance(output, Tensor):
                loss = self.activity_regularizer(output)
                if output.ndim > 0 and output.shape[0]:  # divide_no_nan by the batch size
                    loss = loss / output.shape[0]
                self.add_loss(loss)

    def compute_mask(self, inputs, mask=None):
        """The outputs' mask: by default the inputs' mask, passed on unchanged."""
        return mask

    @property
    def supports_masking(self):
        """Whether outputs get a mask from `compute_mask` (true when it is overridden, or
        when a layer sets `supports_masking = True`)."""
        value = self.__dict__.get("_supports_masking")
        return _call_info(type(self))[1] if value is None else value

    @supports_masking.setter
    def supports_masking(self, value):
        self.__dict__["_supports_masking"] = bool(value)

    def _convert_input(self, x):
        if isinstance(x, (Tensor, np.ndarray, list, float, int, np.generic)):
            y = as_tensor(x)
            if y.dtype != self.dtype and y.data.dtype.kind == "f":
                y = as_tensor(y.data.astype(self.dtype))
                if getattr(x, "_keras_mask", None) is not None:  # a cast keeps the mask
                    y._keras_mask = x._keras_mask
            return y
        return x

    def _resolve_call_kwargs(self, kwargs, params=None):
        params = params or _call_info(type(self))[0]
        if "training" in params and kwargs.get("training") is None:
            # as Keras: an explicit value, else the enclosing call's, else `call`'s default
            # (image augmentation layers default to True: a direct call augments)
            outer = getattr(_context, "training", None)
            value = _call_info(type(self))[2] if outer is None else outer
            kwargs["training"] = None if value is None else bool(value)
        elif "training" not in params:
            kwargs.pop("training", None)
        if "mask" not in params:
            kwargs.pop("mask", None)
        return kwargs

    def _symbolic_call(self, args, kwargs):
        """Build from the first argument's shapes, infer the outputs, record the node (every
        tensor argument, positional or keyword, nested or not, is one of its inputs)."""
        inputs = args[0] if args else next(iter(kwargs.values()))
        shapes = map_structure(lambda t: t.shape if isinstance(t, KerasTensor) else None, inputs)
        with checking_arguments(ValueError):  # an input that does not fit: raised from here
            self._check_input_spec(inputs)
            self._maybe_build(shapes)
            outputs = self.compute_output_spec(*args, **kwargs)
        Node(self, args, kwargs, outputs)
        return outputs

    def compute_output_spec(self, *args, **kwargs):
        """KerasTensors shaped like the outputs: from `compute_output_shape` when the layer
        has its own and is called on tensors only, else from running `call` on placeholders."""
        own = type(self).compute_output_shape is not Layer.compute_output_shape
        if own and args and all(is_symbolic(a) for a in args) and not set(kwargs) - {"training"}:
            shapes = self.compute_output_shape(*(map_structure(_shape_of, a) for a in args))
            return map_structure(
                lambda leaf: KerasTensor(leaf.shape, self.dtype), _shape_structure(shapes)
            )

        def call(*args, **kwargs):
            return self.call(*args, **self._resolve_call_kwargs(kwargs))

        return output_spec(call, args, kwargs)

    def compute_output_shape(self, input_shape):
        """By default, run `call` on placeholders and read the output shapes."""
        inputs = map_structure(
            lambda leaf: KerasTensor(leaf.shape, self.dtype), _shape_structure(input_shape)
        )
        spec = output_spec(lambda x: self.call(x, **self._resolve_call_kwargs({})), [inputs], {})
        return map_structure(lambda t: t.shape, spec)

    def _check_input_spec(self, inputs):
        """Keras's input checks against `input_spec`; a single spec and several inputs (a
        layer that checks only its first input) checks nothing."""
        spec = self.input_spec
        if spec is None or (isinstance(spec, InputSpec) and len(flatten(inputs)) != 1):
            return
        assert_input_compatibility(spec, inputs, self.name)

    # --- weights as arrays --------------------------------------------------------------
    def get_weights(self):
        return [v.numpy() for v in self.weights]

    def set_weights(self, weights):
        """Replace every weight's value; counts and shapes are checked before any change."""
        own = self.weights
        if not isinstance(weights, (list, tuple)):
            raise ValueError(
                f'Layer "{self.name}": set_weights expects a list of {len(own)} arrays (as '
                f"get_weights returns), got {type(weights).__name__}."
            )
        weights = list(weights)
        if len(weights) != len(own):
            raise ValueError(
                f'Layer "{self.name}": set_weights expected a list of {len(own)} arrays, '
                f"got {len(weights)}."
            )
        arrays = [np.asarray(w) for w in weights]
        for v, w in zip(own, arrays):
            if w.dtype.kind not in "biuf":
                raise ValueError(
                    f'Layer "{self.name}": weight {v.path} takes numbers, but the '
                    f"provided array has dtype {w.dtype}."
                )
            if v.shape != w.shape:
                raise ValueError(
                    f'Layer "{self.name}": weight {v.path} has shape {v.shape}, '
                    f"but the provided array has shape {w.shape}."
                )
        for v, w in zip(own, arrays):
            v.assign(w.astype(v.data.dtype))

    def save_own_variables(self, store):
        """Put this layer's own variables (not its sublayers') in `store` under "0", "1",
        ...: trainable first, as `.keras` and `.weights.h5` files hold them."""
        for i, v in enumerate(self._own_variables):
            store[str(i)] = v.numpy()

    def load_own_variables(self, store):
        """Assign this layer's own variables from `store` (as `save_own_variables` fills it);
        the count and shapes are checked before any change."""
        own = self._own_variables
        if len(store.keys()) != len(own):
            if not own and not self.built:
                raise ValueError(
                    f"Layer '{self.name}' was never built and thus it doesn't have any "
                    f"variables. However the weights file lists {len(store.keys())} "
                    "variables for this layer."
                )
            raise ValueError(
                f"Layer '{self.name}' expected {len(own)} variables, but received "
                f"{len(store.keys())} variables during loading. Expected: "
                f"{[v.name for v in own]}"
            )
        values = [np.asarray(store[str(i)]) for i in range(len(own))]
        for v, value in zip(own, values):
            if tuple(value.shape) != tuple(v.shape):
                raise ValueError(
                    f"Layer '{self.name}': variable '{v.name}' has shape {tuple(v.shape)}, "
                    f"but the stored value has shape {tuple(value.shape)}."
                )
        for v, value in zip(own, values):
            v.assign(value.astype(v.data.dtype))

    def stateless_call(
        self, trainable_variables, non_trainable_variables, *args, return_losses=False, **kwargs
    ):
        """`call` with the given variable values in place of the layer's own; returns
        `(outputs, non_trainable_variables)` (and the losses with `return_losses`), leaving
        the layer's variables as they were."""
        if not self.built:
            raise ValueError(
                f"To call stateless_call, {type(self).__name__} must be built (i.e. its "
                "variables must have been already created). You can build it by calling it "
                "on some data."
            )
        for label, given, own in (
            ("trainable_variables", trainable_variables, self.trainable_variables),
            ("non_trainable_variables", non_trainable_variables, self.non_trainable_variables),
        ):
            if len(given) != len(own):
                raise ValueError(
                    f"Argument `{label}` must be a list of tensors corresponding 1:1 to "
                    f"{type(self).__name__}().{label}. Received list with length "
                    f"{len(given)}, but expected {len(own)} variables."
                )
        mapping = list(zip(self.trainable_variables, trainable_variables))
        mapping += list(zip(self.non_trainable_variables, non_trainable_variables))
        with StatelessScope(state_mapping=mapping, collect_losses=return_losses) as scope:
            outputs = self.call(*args, **self._resolve_call_kwargs(dict(kwargs)))
            losses = list(self.losses) if return_losses else None
        non_trainable = [scope.get_current_value(v) for v in self.non_trainable_variables]
        if return_losses:
            return outputs, non_trainable, losses
        return outputs, non_trainable

    def count_params(self):
        return int(sum(v.size for v in self.weights))

    # --- config -----------------------------------------------------------------------------
    def get_config(self):
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = list(self._batch_input_shape)
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


register_base_classes(Layer=Layer)


def _marks_built(build):
    """`build` that leaves the layer built, remembering the shape (as Keras's build wrapper)."""

    @functools.wraps(build)
    def wrapper(self, *args, **kwargs):
        with self._open_name_scope():  # sublayers and weights made here: under its path
            self._path = current_path()
            build(self, *args, **kwargs)
        self.built = True
        shape = args[0] if args else kwargs.get("input_shape")
        if shape is not None and getattr(self, "_build_shape", None) is None:
            self._build_shape = shape

    return wrapper


def _shape_of(t):
    return t.shape if isinstance(t, KerasTensor) else None


def _trackable(value):
    return any(isinstance(leaf, (Layer, Variable, Metric)) for leaf in _leaves(value))


def _leaves(value):
    """The leaves of an attribute's lists, tuples and dicts in assignment order, as Keras tracks
    them (not `tree.flatten`'s sorted dict keys)."""
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    if isinstance(value, (list, tuple)):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


def _dtype_name(dtype):
    if dtype is None:  # the global DTypePolicy's, floatx() unless one was set
        from numkeras.backend.dtype_policies import dtype_policy

        return dtype_policy().name
    if isinstance(dtype, dict):  # a serialized DTypePolicy
        return dtype.get("config", {}).get("name", floatx())
    return str(getattr(dtype, "name", dtype))


def _shape_structure(shapes):
    """Shapes are tuples of ints; a list of them (or dict) is a structure of shapes."""
    if isinstance(shapes, tuple) and all(isinstance(d, (int, type(None))) for d in shapes):
        return _ShapeLeaf(shapes)
    if isinstance(shapes, dict):
        return {k: _shape_structure(v) for k, v in shapes.items()}
    return [_shape_structure(s) for s in shapes]


class _ShapeLeaf:
    """A shape wrapped as a leaf, so map_structure does not descend into its tuple."""

    def __init__(self, shape):
        self.shape = tuple(shape)


_call_info_cache = {}


def _call_info(cls):
    """`call`'s parameter names, whether the class defines its own `compute_mask`, and the
    default of `call`'s `training` argument (None where it has none)."""
    info = _call_info_cache.get(cls)
    if info is None:
        signature = inspect.signature(cls.call).parameters
        training = signature.get("training")
        default = (
            None
            if training is None or training.default is inspect.Parameter.empty
            else training.default
        )
        info = _call_info_cache[cls] = (
            set(signature),
            cls.compute_mask is not Layer.compute_mask,
            default,
        )
    return info
