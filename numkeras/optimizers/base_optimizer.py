"""Optimizer: Keras 3's base class, updating NumPy arrays in place.

Subclasses follow Keras's split: `build(variables)` creates the slot variables and
`update_step(gradient, variable, learning_rate)` updates one variable. Here `gradient` is a
NumPy array of the variable's dtype and `learning_rate` a Python float; updates write into
`variable.data` in place, using `self._buffers[i]` as scratch space to avoid allocations.
"""

import collections
import numbers
import re
import warnings

import numpy as np

from numkeras.backend import blas_threads, naming
from numkeras.backend.allocator import apply_step_memory_setting
from numkeras.engine import Tensor
from numkeras.engine.autodiff import RowGradient
from numkeras.engine.variable import Variable, swapped_values
from numkeras.optimizers.clipping import clip_by_global_norm, clip_by_norm
from numkeras.optimizers.schedules import learning_rate_schedule as lr_schedules
from numkeras.saving.serialization import register_base_classes

# How gradients are combined across processes before an update: None in one process; in
# data-parallel training numkeras.distribution sets it (every process's rows, averaged).
_gradient_reduction = {"reduce": None}


def set_gradient_reduction(reduce):
    """`reduce(grads, variables) -> grads`, applied by every optimizer before it updates."""
    _gradient_reduction["reduce"] = reduce


class Optimizer:
    """Base class of the optimizers; the arguments every optimizer accepts.

    Args:
        learning_rate: a float, a `LearningRateSchedule`, or a callable taking no arguments.
        weight_decay: if set, every variable first shrinks by `w -= w * weight_decay * lr`.
        clipnorm: clip each gradient so its L2 norm is at most this.
        clipvalue: clip each gradient element into `[-clipvalue, clipvalue]`.
        global_clipnorm: scale all gradients so their joint L2 norm is at most this.
        use_ema: keep an exponential moving average of the weights.
        ema_momentum: the average's momentum.
        ema_overwrite_frequency: copy the average into the weights every this many steps.
        loss_scale_factor: gradients are divided by this (see `scale_loss`).
        gradient_accumulation_steps: apply the mean gradient once every this many calls.
        name: defaults to the snake_cased class name, made unique (`adam`, `adam_1`, ...).
    """

    def __init__(
        self,
        learning_rate,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        loss_scale_factor=None,
        gradient_accumulation_steps=None,
        name=None,
        **kwargs,
    ):
        if kwargs.pop("decay", None) is not None:
            warnings.warn(
                "Argument `decay` is no longer supported and will be ignored.", stacklevel=3
            )
        if "lr" in kwargs:  # Keras 2 spelling, still common in classic scripts.
            warnings.warn("Argument `lr` is deprecated; use `learning_rate`.", stacklevel=3)
            learning_rate = kwargs.pop("lr")
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        _check_arguments(
            clipnorm,
            clipvalue,
            global_clipnorm,
            use_ema,
            ema_momentum,
            ema_overwrite_frequency,
            gradient_accumulation_steps,
        )
        if isinstance(learning_rate, numbers.Real) and not learning_rate >= 0:
            raise ValueError(
                "Argument `learning_rate` must be a non-negative number. Received: "
                f"learning_rate={learning_rate!r}"
            )
        self.name = name or naming.uniquify(naming.to_snake_case(type(self).__name__))
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.built = False
        self._variables = []
        self._trainable_variables = []
        self._index = {}
        self._buffers = []
        self._iterations = self._add_own_variable(np.int64(0), "iteration")
        if isinstance(learning_rate, lr_schedules.LearningRateSchedule) or callable(learning_rate):
            self._learning_rate = learning_rate
        elif isinstance(learning_rate, numbers.Real) and not isinstance(learning_rate, bool):
            self._learning_rate = self._add_own_variable(np.float32(learning_rate), "learning_rate")
        else:
            raise ValueError(
                "Argument `learning_rate` should be a float, a LearningRateSchedule "
                f"or a callable. Received: learning_rate={learning_rate!r}"
            )

    # --- variables -------------------------------------------------------------------------
    def _add_own_variable(self, value, name):
        variable = Variable(value, trainable=False, name=name)
        variable.path = f"{self.name}/{name}"
        self._variables.append(variable)
        return variable

    def add_variable(self, shape, initializer="zeros", dtype=None, name=None):
        """A new non-trainable optimizer variable, tracked in `variables`."""
        dtype = dtype or "float32"
        if isinstance(initializer, numbers.Number):
            value = np.full(shape, initializer, dtype)
        elif initializer in ("zeros", "ones"):
            value = np.zeros(shape, dtype) if initializer == "zeros" else np.ones(shape, dtype)
        else:
            value = Variable(initializer, shape=shape, dtype=dtype).data
        return self._add_own_variable(value, name or "variable")

    def add_variable_from_reference(self, reference_variable, name=None, initializer="zeros"):
        """A slot shaped like `reference_variable`, named `<its path with _>_<name>`."""
        prefix = getattr(reference_variable, "path", None) or reference_variable.name
        return self.add_variable(
            reference_variable.shape,
            initializer,
            reference_variable.dtype,
            name=f"{prefix.replace('/', '_').replace(':', '_')}_{name or 'var'}",
        )

    def add_optimizer_variables(self, trainable_variables, name, initializer="zeros"):
        """Slots for every variable; several names are interleaved per variable, as Keras
        orders them (var0 momentum, var0 velocity, var1 momentum, ...)."""
        names = [name] if isinstance(name, str) else list(name)
        slots = tuple([] for _ in names)
        for variable in trainable_variables:
            for slot_list, slot_name in zip(slots, names):
                slot_list.append(self.add_variable_from_reference(variable, slot_name, initializer))
        return slots[0] if isinstance(name, str) else slots

    def build(self, variables):
        """Create the slots for `variables`; subclasses call this first, then add theirs."""
        variables = list(variables)
        if self.use_ema:
            self._model_variables_moving_average = self.add_optimizer_variables(
                variables, "average"
            )
        if self.gradient_accumulation_steps:
            self._accumulated_gradients = self.add_optimizer_variables(
                variables, "gradient_accumulator"
            )
        self._trainable_variables = variables
        self._reindex()
        self.built = True

    def _reindex(self):
        """Slots are found by their variable's path (`dense/kernel`), so a variable rebuilt with
        the same path (a pickle, a deepcopy, a reloaded model) still has them; variables that
        share a path (unnamed ones), or whose path changed, are found by identity."""
        variables = self._trainable_variables
        paths = collections.Counter(v.path for v in variables)
        self._index = {id(v): i for i, v in enumerate(variables)}
        self._index.update((v.path, i) for i, v in enumerate(variables) if paths[v.path] == 1)
        self._buffers = [np.empty_like(v.data) for v in self._trainable_variables]

    def _get_variable_index(self, variable):
        """The index of `variable`'s slots (KeyError for a variable not built with)."""
        index = self._index.get(variable.path)
        return self._index[id(variable)] if index is None else index

    @property
    def variables(self):
        """`[iteration, learning_rate, slots...]`: the order `.keras` files store them in."""
        return self._variables[:]

    @property
    def iterations(self):
        if self.gradient_accumulation_steps:
            return Tensor(self._iterations.data // self.gradient_accumulation_steps)
        return self._iterations

    def _iteration_count(self):
        """The step count the update formulas see, as a Python int."""
        count = int(self._iterations.data)
        if self.gradient_accumulation_steps:
            count //= self.gradient_accumulation_steps
        return count

    # --- learning rate ---------------------------------------------------------------------
    @property
    def learning_rate(self):
        """The current rate: the float32 Variable, or the schedule's value at this step."""
        lr = self._learning_rate
        if isinstance(lr, lr_schedules.LearningRateSchedule):
            return lr(self._iterations)
        if isinstance(lr, Variable):
            return lr
        return lr()

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        previous = self._learning_rate if isinstance(self._learning_rate, Variable) else None
        if isinstance(learning_rate, lr_schedules.LearningRateSchedule) or callable(learning_rate):
            self._learning_rate = learning_rate
            if previous is not None:  # by identity: `==` on variables compares values
                self._variables = [v for v in self._variables if v is not previous]
        elif isinstance(self._learning_rate, lr_schedules.LearningRateSchedule):
            raise TypeError(
                "This optimizer was created with a `LearningRateSchedule`, hence its "
                "learning rate is not settable; create it with a float "
                f"`learning_rate` instead. Received: {learning_rate!r}"
            )
        elif previous is not None:
            previous.assign(np.float32(learning_rate))
        else:  # a callable is replaced by a float: the variable goes back to index 1
            variable = self._add_own_variable(np.float32(learning_rate), "learning_rate")
            self._variables.insert(1, self._variables.pop())
            self._learning_rate = variable

    def _current_learning_rate(self):
        return float(np.asarray(self.learning_rate))

    # --- applying gradients ----------------------------------------------------------------
    def apply_gradients(self, grads_and_vars):
        """Apply `(gradient, variable)` pairs; returns `iterations`, as tf.keras did."""
        pairs = list(grads_and_vars)
        if pairs:
            grads, variables = zip(*pairs)
            self.apply(grads, variables)
        return self._iterations

    def apply(self, grads, trainable_variables=None):
        """Update the variables with `grads` (NumPy arrays or Tensors; None is skipped).

        Builds the optimizer on the first call with `trainable_variables`; without them,
        `grads` must match the variables the optimizer was built with, one to one.
        """
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must "
                    "already be built: call `optimizer.build(variables)` first."
                )
            if len(grads) != len(self._trainable_variables):
                raise ValueError(
                    f"Received {len(grads)} gradients, but the optimizer is tracking "
                    f"{len(self._trainable_variables)} trainable variables."
                )
            trainable_variables = self._trainable_variables
        else:
            trainable_variables = list(trainable_variables)
            if not self.built:
                self.build(trainable_variables)
            for v in trainable_variables:
                if v.path not in self._index and id(v) not in self._index:
                    raise ValueError(
                        f"Unknown variable: {v!r}. This optimizer can only update "
                        "the variables it was built with; make a new optimizer "
                        "for new variables."
                    )
        blas_threads.refresh(during_fit=True)  # a custom loop's kernels follow the load, as fit's
        apply_step_memory_setting()  # and its steps reuse heap memory
        grads, trainable_variables = self._prepare_gradients(grads, trainable_variables)
        if any(v.overwrite_with_gradient for v in trainable_variables):
            grads, trainable_variables = _overwrite_with_gradients(grads, trainable_variables)
        reduce = _gradient_reduction["reduce"]
        if reduce is not None:  # data-parallel training: the global batch's gradients
            grads = reduce(grads, trainable_variables)
        if self.loss_scale_factor is not None:
            grads = [g / self.loss_scale_factor for g in grads]
        self._apply_prepared(grads, trainable_variables)
        for variable in trainable_variables:
            constraint = getattr(variable, "constraint", None)
            if constraint is not None:
                variable.assign(constraint(variable))
        self._iterations.data += 1

    def stateless_apply(self, optimizer_variables, grads, trainable_variables):
        """`apply(grads)` on values passed in (one per optimizer variable and per trainable
        variable it was built with), leaving the real variables unchanged; returns the
        updated `(trainable_variables, optimizer_variables)` values."""
        if not self.built:
            raise ValueError(
                f"To call `stateless_apply`, {type(self).__name__} must be built (i.e. its "
                "variables must have been created). You can build it via "
                "`optimizer.build(trainable_variables)`."
            )
        if len(optimizer_variables) != len(self.variables):
            raise ValueError(
                "Argument `optimizer_variables` must be a list of tensors corresponding 1:1 to "
                f"{type(self).__name__}().variables. Received list with length "
                f"{len(optimizer_variables)}, but expected {len(self.variables)} variables."
            )
        if len(trainable_variables) != len(self._trainable_variables):
            raise ValueError(
                "Argument `optimizer_variables` must be a list of tensors corresponding 1:1 to "
                "the trainable variables list that the optimizer was built with. Received "
                f"len(trainable_variables) == {len(trainable_variables)} whereas the optimizer "
                f"was built with {len(self._trainable_variables)} variables."
            )
        owned = self._trainable_variables + self.variables
        with swapped_values(owned, list(trainable_variables) + list(optimizer_variables)):
            self.apply(grads)
            return (
                [Tensor(v.data) for v in self._trainable_variables],
                [Tensor(v.data) for v in self.variables],
            )

    def _prepare_gradients(self, grads, variables):
        """Drop missing gradients (with a warning) and make the rest arrays of the
        variable's dtype and shape."""
        kept_grads, kept_vars, missing = [], [], []
        rows = self._updates_by_rows()
        for g, v in zip(grads, variables):
            if g is None:
                missing.append(v.path)
                continue
            if isinstance(g, RowGradient):  # an embedding's, kept when the update takes it
                if (
                    rows
                    and g.shape == v.shape
                    and g.dtype == v.dtype
                    and not v.overwrite_with_gradient
                ):
                    kept_grads.append(g)
                    kept_vars.append(v)
                    continue
                g = g.dense()
            g = g.data if isinstance(g, Tensor) else np.asarray(g)
            if g.dtype != v.data.dtype:
                g = g.astype(v.data.dtype)
            if g.shape != v.data.shape:
                raise ValueError(
                    f"Gradient for variable {v.path!r} has shape {g.shape}, "
                    f"expected the variable's shape {v.data.shape}."
                )
            kept_grads.append(g)
            kept_vars.append(v)
        if not kept_grads:
            raise ValueError("No gradients provided for any variable.")
        if missing:
            warnings.warn(
                f"Gradients do not exist for variables {missing} when minimizing the loss. "
                "If using `model.compile()`, did you forget to provide a `loss` argument?",
                stacklevel=3,
            )
        return kept_grads, kept_vars

    def _updates_by_rows(self):
        """Whether `_backend_update_step` takes an embedding's gradient as a `RowGradient`
        (engine/scatter.py); an optimizer that does says so only when nothing changes the
        gradients before its update (`_gradients_as_given`)."""
        return False

    def _gradients_as_given(self):
        """Whether the update sees the gradients as computed: no reduction across processes,
        loss scale, accumulation or clipping."""
        return not (
            _gradient_reduction["reduce"] is not None
            or self.loss_scale_factor is not None
            or self.gradient_accumulation_steps
            or self.clipnorm
            or self.global_clipnorm
            or self.clipvalue
        )

    def _apply_prepared(self, grads, variables):
        """Clip, decay and update (or only accumulate), then the moving average."""
        lr = self._current_learning_rate()
        steps = self.gradient_accumulation_steps
        if not steps:
            self._clip_decay_update(grads, variables, lr)
        else:
            accumulators = [
                self._accumulated_gradients[self._get_variable_index(v)].data for v in variables
            ]
            if (int(self._iterations.data) + 1) % steps == 0:
                grads = [(g + acc) / steps for g, acc in zip(grads, accumulators)]
                self._clip_decay_update(grads, variables, lr)
                for acc in self._accumulated_gradients:
                    acc.data.fill(0)
            else:
                for g, acc in zip(grads, accumulators):
                    acc += g
        if self.use_ema:
            self._update_model_variables_moving_average(self._trainable_variables)
            frequency = self.ema_overwrite_frequency
            if frequency and (self._iteration_count() + 1) % frequency == 0:
                self._overwrite_model_variables_with_average_value(self._trainable_variables)

    def _clip_decay_update(self, grads, variables, lr):
        grads = self._clip_gradients(grads)
        self._apply_weight_decay(variables, lr)
        self._backend_update_step(grads, variables, lr)

    def _backend_update_step(self, grads, variables, learning_rate):
        """Run `update_step` per variable; override to compute per-step state once."""
        for g, v in zip(grads, variables):
            self.update_step(g, v, learning_rate)

    def update_step(self, gradient, variable, learning_rate):
        raise NotImplementedError(f"{type(self).__name__} must implement `update_step`.")

    def _clip_gradients(self, grads):
        if self.clipnorm and self.clipnorm > 0:
            return [clip_by_norm(g, self.clipnorm) for g in grads]
        if self.global_clipnorm and self.global_clipnorm > 0:
            return clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue and self.clipvalue > 0:
            return [np.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    def _apply_weight_decay(self, variables, lr):
        """Decoupled weight decay before the update: `w -= w * weight_decay * lr`."""
        if self.weight_decay is None:
            return
        factor = self.weight_decay * lr
        for variable in variables:
            if self._use_weight_decay(variable):
                buffer = self._buffers[self._get_variable_index(variable)]
                np.multiply(variable.data, factor, out=buffer)
                variable.data -= buffer

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Skip weight decay for `var_list`, and for variables whose name contains any of
        `var_names`. Call before the optimizer is built."""
        if self.built:
            raise ValueError(
                "`exclude_from_weight_decay()` can only be configured before the "
                "optimizer is built."
            )
        self._exclude_ids = {id(v) for v in var_list or ()}
        self._exclude_pattern = re.compile("|".join(set(var_names))) if var_names else None

    def _use_weight_decay(self, variable):
        if id(variable) in getattr(self, "_exclude_ids", ()):
            return False
        pattern = getattr(self, "_exclude_pattern", None)
        return pattern is None or pattern.search(variable.name) is None

    # --- moving average, loss scaling, state ----------------------------------------------
    def _update_model_variables_moving_average(self, variables):
        # The first step copies the weights, so the average never starts from zeros.
        momentum = self.ema_momentum if self._iteration_count() != 0 else 0.0
        for variable, average in zip(variables, self._model_variables_moving_average):
            average.data *= momentum
            average.data += (1 - momentum) * variable.data

    def _overwrite_model_variables_with_average_value(self, variables):
        if len(variables) != len(self._model_variables_moving_average):
            raise ValueError(
                f"Expected {len(self._model_variables_moving_average)} variables "
                f"to overwrite with their moving average, got {len(variables)}."
            )
        for variable, average in zip(variables, self._model_variables_moving_average):
            variable.assign(average.data)

    def finalize_variable_values(self, var_list):
        """At the end of training, replace the weights with their moving average (EMA)."""
        if self.use_ema:
            self._overwrite_model_variables_with_average_value(var_list)

    def scale_loss(self, loss):
        """Multiply the loss by `loss_scale_factor` (gradients are divided back in `apply`)."""
        return loss if self.loss_scale_factor is None else loss * self.loss_scale_factor

    def set_weights(self, weights):
        """Assign values to `variables`, in order."""
        if not self.built:
            raise ValueError(
                "`set_weights()` needs a built optimizer: call "
                "`optimizer.build(trainable_variables)` first."
            )
        for variable, weight in zip(self._variables, weights):
            if tuple(variable.shape) != tuple(np.shape(weight)):
                raise ValueError(
                    f"Optimizer variable {variable.path!r} has shape "
                    f"{variable.shape}, but the weight has shape {np.shape(weight)}."
                )
            variable.assign(weight)

    def save_own_variables(self, store):
        """Write `variables` to `store["0"]`, `store["1"]`, ... (the `.keras` layout)."""
        for i, variable in enumerate(self.variables):
            store[str(i)] = variable.numpy()

    def load_own_variables(self, store):
        """Read `save_own_variables`'s layout; a count mismatch only warns, as in Keras."""
        variables = self.variables
        if len(store.keys()) != len(variables):
            message = (
                f"Skipping variable loading for optimizer '{self.name}', because it has "
                f"{len(variables)} variables whereas the saved optimizer has "
                f"{len(store.keys())} variables. "
            )
            if len(variables) == 0:
                message += "This is likely because the optimizer has not been called/built yet."
            warnings.warn(message, stacklevel=2)
            return
        for i, variable in enumerate(variables):
            variable.assign(store[str(i)])

    # Keras-style helpers for subclasses written against Keras.
    def assign(self, variable, value):
        variable.assign(value)

    def assign_add(self, variable, value):
        variable.assign_add(value)

    def assign_sub(self, variable, value):
        variable.assign_sub(value)

    def get_config(self):
        lr = self._learning_rate
        if isinstance(lr, lr_schedules.LearningRateSchedule):
            lr = lr_schedules.serialize(lr)
        elif isinstance(lr, Variable):
            lr = float(lr.data)  # float32-rounded, as Keras writes it: 0.0010000000474974513
        return {
            "name": self.name,
            "learning_rate": lr,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = lr_schedules.deserialize(
                config["learning_rate"], custom_objects=custom_objects
            )
        return cls(**config)

    # Variables sharing a path are looked up by id(): rebuild the index when a pickle or
    # deepcopy makes new variable objects (the list of variables survives, identities kept).
    def __getstate__(self):
        state = self.__dict__.copy()
        state["_index"], state["_buffers"] = {}, []
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._reindex()

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


register_base_classes(Optimizer=Optimizer)


def _check_arguments(
    clipnorm,
    clipvalue,
    global_clipnorm,
    use_ema,
    ema_momentum,
    ema_overwrite_frequency,
    gradient_accumulation_steps,
):
    """Keras's checks of the common arguments, with its messages."""
    if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
        raise ValueError(
            "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. Received: "
            f"clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}"
        )
    if gradient_accumulation_steps and not gradient_accumulation_steps >= 2:
        raise ValueError(
            "`gradient_accumulation_steps` must be an integer >= 2. "
            f"Received: gradient_accumulation_steps={gradient_accumulation_steps}"
        )
    if use_ema and not 0 <= ema_momentum <= 1:
        raise ValueError(
            f"`ema_momentum` must be in the range [0, 1]. Received: ema_momentum={ema_momentum}"
        )
    frequency = ema_overwrite_frequency
    if use_ema and frequency and (not isinstance(frequency, int) or frequency < 1):
        raise ValueError(
            "`ema_overwrite_frequency` must be an integer >= 1 or None. "
            f"Received: ema_overwrite_frequency={frequency}"
        )


def _overwrite_with_gradients(grads, variables):
    """Assign each gradient to its `overwrite_with_gradient` variable; the rest step on."""
    kept = []
    for g, v in zip(grads, variables):
        if v.overwrite_with_gradient:
            v.assign(g)
        else:
            kept.append((g, v))
    return [g for g, _ in kept], [v for _, v in kept]
