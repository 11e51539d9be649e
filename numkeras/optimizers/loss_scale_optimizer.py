"""LossScaleOptimizer: dynamic loss scaling around another optimizer, as Keras 3's."""

import numpy as np

from numkeras.optimizers.base_optimizer import Optimizer

_INNER_ONLY = {
    "weight_decay": None,
    "clipnorm": None,
    "global_clipnorm": None,
    "clipvalue": None,
    "use_ema": False,
    "ema_momentum": 0.99,
    "ema_overwrite_frequency": None,
    "loss_scale_factor": None,
    "gradient_accumulation_steps": None,
}


class LossScaleOptimizer(Optimizer):
    """Multiply the loss by a dynamic scale and divide the gradients back: steps with
    non-finite gradients are skipped and halve the scale, and `dynamic_growth_steps` finite
    steps in a row double it. Made for float16 training; in float32 it only costs a check.

    Args:
        inner_optimizer: the optimizer that updates the variables.
        initial_scale: the first scale.
        dynamic_growth_steps: finite steps between doublings of the scale.
    """

    def __init__(
        self, inner_optimizer, initial_scale=2.0**15, dynamic_growth_steps=2000, name=None, **kwargs
    ):
        if not kwargs.pop("dynamic", True):
            raise ValueError(
                "LossScaleOptimizer no longer supports `dynamic=False`. Instead, simply set "
                "`loss_scale_factor` directly on the `inner_optimizer`."
            )
        for arg, default in _INNER_ONLY.items():
            if arg in kwargs and kwargs.pop(arg) != default:
                raise ValueError(
                    f"LossScaleOptimizer does not support `{arg}`. Instead, set "
                    f"`{arg}` on the `inner_optimizer`."
                )
        if kwargs:
            raise ValueError(
                f"LossScaleOptimizer does not support arguments: `{'`, `'.join(kwargs)}`."
            )
        super().__init__(learning_rate=0.0, name=name)
        self.inner_optimizer = inner_optimizer
        self.initial_scale = initial_scale
        self.dynamic_growth_steps = dynamic_growth_steps
        self.inner_optimizer.loss_scale_factor = None

    def build(self, var_list):
        if self.built:
            return
        self.step_counter = self.add_variable((), dtype="int32", name="step_counter")
        self.dynamic_scale = self.add_variable(
            (), initializer=self.initial_scale, name="dynamic_scale"
        )
        self.inner_optimizer.build(var_list)
        super().build(var_list)

    @property
    def variables(self):
        return self._variables[:] + self.inner_optimizer.variables

    def apply(self, grads, trainable_variables=None):
        if not self.built:
            self.build(trainable_variables)
        grads = list(grads)
        arrays = [np.asarray(getattr(g, "data", g)) for g in grads if g is not None]
        if all(np.isfinite(a).all() for a in arrays):
            scale = self.dynamic_scale.data
            unscaled = [
                None if g is None else np.asarray(getattr(g, "data", g)) / scale for g in grads
            ]
            self.inner_optimizer.apply(unscaled, trainable_variables)
            if int(self.step_counter.data) == self.dynamic_growth_steps - 1:
                self.step_counter.assign(np.int32(0))
                self.dynamic_scale.assign(scale * 2)
            else:
                self.step_counter.assign(self.step_counter.data + 1)
        else:  # skip the step, halve the scale
            self.step_counter.assign(np.int32(0))
            self.dynamic_scale.assign(self.dynamic_scale.data * 0.5)

    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        self.inner_optimizer.learning_rate = learning_rate

    @property
    def iterations(self):
        return self.inner_optimizer.iterations

    def scale_loss(self, loss):
        return loss * (self.dynamic_scale.data if self.built else self.initial_scale)

    def finalize_variable_values(self, var_list):
        self.inner_optimizer.finalize_variable_values(var_list)

    def get_config(self):
        from numkeras.optimizers import serialize

        return {
            "name": self.name,
            "inner_optimizer": serialize(self.inner_optimizer),
            "initial_scale": self.initial_scale,
            "dynamic_growth_steps": self.dynamic_growth_steps,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from numkeras.optimizers import deserialize

        config = dict(config)
        inner = config.pop("inner_optimizer")
        if isinstance(inner, dict):  # the `.keras` loader passes it rebuilt already
            inner = deserialize(inner, custom_objects=custom_objects)
        return cls(inner, **config)
