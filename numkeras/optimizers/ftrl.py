"""FTRL-Proximal (McMahan et al., 2013), with Keras 3's arguments and update."""

import numpy as np

from numkeras.optimizers.base_optimizer import Optimizer


class Ftrl(Optimizer):
    """Follow-the-regularized-leader: per-coordinate rates from accumulated squared gradients,
    L1/L2 penalties applied in closed form (so L1 gives exact zeros).

    Args:
        learning_rate: float or schedule.
        learning_rate_power: <= 0; -0.5 is AdaGrad-like decay.
        initial_accumulator_value: >= 0, the accumulators' starting value.
        l1_regularization_strength, l2_regularization_strength: >= 0 penalties.
        l2_shrinkage_regularization_strength: >= 0, an L2 penalty on the gradient's side.
        beta: added to the L2 term as `beta / (2 * lr)`.
        **kwargs: the common arguments of `Optimizer`.
    """

    def __init__(
        self,
        learning_rate=0.001,
        learning_rate_power=-0.5,
        initial_accumulator_value=0.1,
        l1_regularization_strength=0.0,
        l2_regularization_strength=0.0,
        l2_shrinkage_regularization_strength=0.0,
        beta=0.0,
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        for name, value in (
            ("initial_accumulator_value", initial_accumulator_value),
            ("l1_regularization_strength", l1_regularization_strength),
            ("l2_regularization_strength", l2_regularization_strength),
            ("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength),
        ):
            if value < 0.0:
                raise ValueError(
                    f"`{name}` needs to be positive or zero. Received: {name}={value}."
                )
        if learning_rate_power > 0.0:
            raise ValueError(
                "`learning_rate_power` needs to be negative or zero. Received: "
                f"learning_rate_power={learning_rate_power}."
            )
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._accumulators, self._linears = [], []
        for variable in var_list:  # interleaved per variable, as Keras orders them
            self._accumulators.append(
                self.add_variable_from_reference(
                    variable, "accumulator", self.initial_accumulator_value
                )
            )
            self._linears.append(self.add_variable_from_reference(variable, "linear"))

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        accum, linear, w = self._accumulators[i].data, self._linears[i].data, variable.data
        f = w.dtype.type
        lr, power = f(learning_rate), -f(self.learning_rate_power)
        l2 = f(self.l2_regularization_strength) + f(self.beta) / (2 * lr)
        new_accum = accum + np.square(gradient)
        shrunk = gradient + 2 * f(self.l2_shrinkage_regularization_strength) * w
        linear += shrunk - (new_accum**power - accum**power) / lr * w
        quadratic = new_accum**power / lr + 2 * l2
        l1 = f(self.l1_regularization_strength)
        w[...] = (np.clip(linear, -l1, l1) - linear) / quadratic
        accum[...] = new_accum

    def get_config(self):
        config = super().get_config()
        config.update(
            learning_rate_power=self.learning_rate_power,
            initial_accumulator_value=self.initial_accumulator_value,
            l1_regularization_strength=self.l1_regularization_strength,
            l2_regularization_strength=self.l2_regularization_strength,
            l2_shrinkage_regularization_strength=self.l2_shrinkage_regularization_strength,
            beta=self.beta,
        )
        return config
