"""Schedule-Free AdamW (Defazio et al., 2024): no learning-rate schedule, an interpolation
between an SGD-like sequence and its running average instead, as Keras 3 computes it."""

import numpy as np

from numkeras.optimizers.base_optimizer import Optimizer


class ScheduleFreeAdamW(Optimizer):
    """Keeps `z` (the "momentum" slot, started at the weights) where the Adam-scaled gradient
    steps land, and writes into the model the interpolation `y = (1 - beta_1) z + beta_1 x`,
    `x` being the uniform average of the `z`s (recovered from `y` and `z`).

    Per step `t`: `v += (g**2 - v) (1 - beta_2)`; `z -= lr g / (sqrt(v / (1 - beta_2**t)) + eps)`;
    `x = (1 - 1/t) x + z / t`; `w = y`. With `warmup_steps`, `lr` ramps up linearly.
    Like Keras, fit and evaluate use `y` as is; nothing swaps in `x` for evaluation.

    Args:
        learning_rate: float or schedule.
        beta_1: the interpolation weight (and the momentum it replaces).
        beta_2: decay of the second moment.
        epsilon: added to the root of the second moment.
        warmup_steps: steps over which the rate rises linearly from 0.
        **kwargs: the common arguments of `Optimizer`.
    """

    def __init__(
        self,
        learning_rate=0.0025,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        warmup_steps=0,
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
        super().__init__(
            learning_rate=learning_rate,
            name=name,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            use_ema=use_ema,
            ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps,
            **kwargs,
        )
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.warmup_steps = warmup_steps

    def build(self, var_list):
        if self.built:
            return
        var_list = list(var_list)
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"]
        )
        for momentum, variable in zip(self._momentums, var_list):
            momentum.data[...] = variable.data

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        z, v, y = self._momentums[i].data, self._velocities[i].data, variable.data
        f = y.dtype.type
        t = f(self._iteration_count() + 1)
        lr = f(learning_rate)
        beta_1, beta_2 = f(self.beta_1), f(self.beta_2)
        if self.warmup_steps > 0:
            lr = lr * min(t / f(self.warmup_steps), f(1))
        v += (np.square(gradient) - v) * (1 - beta_2)
        denom = np.sqrt(v / (1 - beta_2**t)) + f(self.epsilon)
        z -= lr * gradient / denom
        weight = f(1) / t
        # Keras means to recover x from the previous z, but its "momentum_old" is a view of
        # the variable, so on its torch and TensorFlow backends it reads the updated z; we
        # match those numbers.
        x_old = (y - (1 - beta_1) * z) / beta_1
        x_new = (1 - weight) * x_old + weight * z
        y[...] = (1 - beta_1) * z + beta_1 * x_new

    def get_config(self):
        config = super().get_config()
        config.update(
            beta_1=self.beta_1,
            beta_2=self.beta_2,
            epsilon=self.epsilon,
            warmup_steps=self.warmup_steps,
        )
        return config
