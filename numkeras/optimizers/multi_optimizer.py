"""MultiOptimizer: each variable updated by the optimizer an `OptimizerMap` (or a function)
picks for it, as Keras 3's `keras.optimizers.MultiOptimizer`."""

import re
from collections.abc import MutableMapping

from numkeras.optimizers.base_optimizer import Optimizer
from numkeras.optimizers.loss_scale_optimizer import LossScaleOptimizer


def _deserialize(value, custom_objects=None):
    """A config written by `serialize_keras_object` back to its object; objects pass through
    (the `.keras` loader hands nested configs over already rebuilt)."""
    from numkeras.saving.serialization import deserialize_keras_object

    if isinstance(value, dict) and "class_name" in value:
        return deserialize_keras_object(value, custom_objects=custom_objects)
    if isinstance(value, dict):
        return {k: _deserialize(v, custom_objects) for k, v in value.items()}
    return value


class OptimizerMap(MutableMapping):
    """Variable paths (or regexes over them) to optimizers, with a default for the rest.

    A key matches a path exactly, else as a `re.fullmatch` pattern: `"encoder/.*"` covers all
    of `encoder`'s variables, `"encoder"` none of them. A path matching several patterns is
    an error.

    Args:
        default_optimizer: the optimizer of the variables no key matches.
        optimizer_map: an optional dict `{key: optimizer}` to start from.

    >>> from numkeras import optimizers
    >>> adam, sgd = optimizers.Adam(name="adam"), optimizers.SGD(name="sgd")
    >>> table = OptimizerMap(sgd, {"encoder/.*": adam})
    >>> table["encoder/dense/kernel"].name, table["decoder/dense/kernel"].name
    ('adam', 'sgd')
    """

    def __init__(self, default_optimizer, optimizer_map=None):
        if not isinstance(default_optimizer, Optimizer):
            raise TypeError(
                "default_optimizer must be a Keras Optimizer instance. "
                f"Received: {default_optimizer}"
            )
        if optimizer_map is not None and not isinstance(optimizer_map, dict):
            raise TypeError(f"optimizer_map must be a dictionary. Received: {optimizer_map}")
        self._default_optimizer = default_optimizer
        self._optimizer_map = optimizer_map or {}

    @property
    def default_optimizer(self):
        return self._default_optimizer

    def __getitem__(self, key):
        if key in self._optimizer_map:
            return self._optimizer_map[key]
        matches = [pattern for pattern in self._optimizer_map if re.fullmatch(pattern, key)]
        if len(matches) > 1:
            raise ValueError(f"Multiple optimizers assigned to variable {key}.")
        return self._optimizer_map[matches[0]] if matches else self._default_optimizer

    def __setitem__(self, key, optimizer):
        if key in self._optimizer_map:
            raise ValueError(
                f"'{key}' already exists in the OptimizerMap with value "
                f"{self._optimizer_map[key]}. Please make sure to not use duplicated keys."
            )
        if not isinstance(key, str):
            raise ValueError(f"key must be a string. Received: {key}")
        if not isinstance(optimizer, Optimizer):
            raise ValueError(f"optimizer must be a Keras Optimizer instance. Received: {optimizer}")
        if isinstance(optimizer, LossScaleOptimizer):
            raise ValueError("optimizer cannot be LossScaleOptimizer.")
        if isinstance(optimizer, MultiOptimizer):
            raise ValueError("optimizer cannot be MultiOptimizer.")
        self._optimizer_map[key] = optimizer

    def __delitem__(self, key):
        del self._optimizer_map[key]

    def __len__(self):
        return len(self._optimizer_map)

    def __iter__(self):
        return iter(self._optimizer_map)

    def __call__(self, variable):
        return self[variable.path]

    def get_config(self):
        from numkeras.saving.serialization import serialize_keras_object

        return {
            "default_optimizer": serialize_keras_object(self._default_optimizer),
            "optimizer_map": serialize_keras_object(self._optimizer_map),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(
            _deserialize(config["default_optimizer"], custom_objects),
            _deserialize(config["optimizer_map"], custom_objects),
        )


class MultiOptimizer(Optimizer):
    """Hands each variable's gradient to the optimizer `optimizer_map(variable)` returns.

    The sub-optimizers keep their own rates, slots and step counts; `variables` lists this
    optimizer's own two (`iteration`, `learning_rate`) and then each sub-optimizer's, in the
    order they were first met (the mapped ones, the default, then any a function returned).
    Like Keras, it has no `learning_rate` of its own: set it on `optimizers`.

    Args:
        optimizer_map: an `OptimizerMap`, or a function `variable -> optimizer`.
        loss_scale_factor: set on every sub-optimizer (overriding theirs).
        name: the optimizer's name.
    """

    def __init__(self, optimizer_map, loss_scale_factor=None, name=None):
        super().__init__(learning_rate=0.0, loss_scale_factor=loss_scale_factor, name=name)
        self._optimizer_map = optimizer_map
        self._inner_optimizers = []
        found = list(optimizer_map.values()) if hasattr(optimizer_map, "values") else []
        default = getattr(optimizer_map, "default_optimizer", None)
        for optimizer in found + ([default] if default is not None else []):
            if not any(optimizer is o for o in self._inner_optimizers):
                optimizer.loss_scale_factor = loss_scale_factor
                self._inner_optimizers.append(optimizer)

    def _inner_index(self, optimizer):
        return next(i for i, o in enumerate(self._inner_optimizers) if o is optimizer)

    def build(self, var_list):
        if self.built:
            return
        var_list = list(var_list)
        self._assignment = []
        for variable in var_list:
            optimizer = self._optimizer_map(variable)
            if not isinstance(optimizer, Optimizer):
                raise ValueError(f"Optimizer for variable {variable} is not an Optimizer instance.")
            if isinstance(optimizer, LossScaleOptimizer):
                raise ValueError("LossScaleOptimizer cannot be used inside an MultiOptimizer.")
            if isinstance(optimizer, MultiOptimizer):
                raise ValueError("MultiOptimizer cannot be used inside an MultiOptimizer.")
            if not any(optimizer is o for o in self._inner_optimizers):
                optimizer.loss_scale_factor = self.loss_scale_factor
                self._inner_optimizers.append(optimizer)
            self._assignment.append(self._inner_index(optimizer))
        for i, optimizer in enumerate(self._inner_optimizers):
            assigned = [v for v, k in zip(var_list, self._assignment) if k == i]
            if assigned:
                optimizer.build(assigned)
        super().build(var_list)

    @property
    def optimizers(self):
        """The sub-optimizers, to read or set their learning rates and other settings."""
        return self._inner_optimizers

    @property
    def variables(self):
        own = self._variables[:]
        for optimizer in self._inner_optimizers:
            own.extend(optimizer.variables)
        return own

    @property
    def learning_rate(self):
        raise AttributeError(
            "Learning rate cannot be accessed on a MultiOptimizer. "
            "Access the learning rate on the individual sub-optimizers instead."
        )

    @learning_rate.setter
    def learning_rate(self, value):
        raise AttributeError(
            "Learning rate cannot be set on a MultiOptimizer. "
            "Set the learning rate on the individual sub-optimizers instead."
        )

    @property
    def loss_scale_factor(self):
        return getattr(self, "_loss_scale_factor", None)

    @loss_scale_factor.setter
    def loss_scale_factor(self, value):
        self._loss_scale_factor = value
        for optimizer in getattr(self, "_inner_optimizers", ()):
            optimizer.loss_scale_factor = value

    @property
    def iterations(self):
        return self._iterations

    def _split(self, variables):
        """The variables' positions, grouped by the sub-optimizer that owns them."""
        groups = [[] for _ in self._inner_optimizers]
        for position, variable in enumerate(variables):
            groups[self._assignment[self._get_variable_index(variable)]].append(position)
        return groups

    def apply(self, grads, trainable_variables=None):
        """Each sub-optimizer applies its share (scaling, clipping, constraints its own way)."""
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already be "
                    "built on a list of variables. Call `optimizer.build(trainable_variables)` "
                    "first."
                )
            trainable_variables = self._trainable_variables
        trainable_variables = list(trainable_variables)
        if not self.built:
            self.build(trainable_variables)
        if len(grads) != len(self._trainable_variables):
            raise ValueError(
                "Gradients must match trainable variables one-to-one. Received "
                f"{len(grads)} gradients and {len(self._trainable_variables)} variables."
            )
        for optimizer, positions in zip(self._inner_optimizers, self._split(trainable_variables)):
            if positions:
                optimizer.apply(
                    [grads[p] for p in positions], [trainable_variables[p] for p in positions]
                )
        self._iterations.data += 1

    def finalize_variable_values(self, var_list):
        var_list = list(var_list)
        for optimizer, positions in zip(self._inner_optimizers, self._split(var_list)):
            if positions:
                optimizer.finalize_variable_values([var_list[p] for p in positions])

    def set_weights(self, weights):
        if not self.built:
            raise ValueError(
                "`set_weights()` needs a built optimizer: call "
                "`optimizer.build(trainable_variables)` first."
            )
        weights = list(weights)
        own = len(self._variables)
        for variable, weight in zip(self._variables, weights[:own]):
            variable.assign(weight)
        start = own
        for optimizer in self._inner_optimizers:
            count = len(optimizer.variables)
            if count:
                optimizer.set_weights(weights[start : start + count])
                start += count

    def get_config(self):
        from numkeras.saving.serialization import serialize_keras_object

        return {
            "optimizer_map": serialize_keras_object(self._optimizer_map),
            "loss_scale_factor": self.loss_scale_factor,
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["optimizer_map"] = _deserialize(config["optimizer_map"], custom_objects)
        return cls(**config)
