"""LAMB (You et al., 2019): Adam's direction, scaled per variable by ||w|| / ||update||."""

import numpy as np

from numkeras.optimizers.base_optimizer import Optimizer


class Lamb(Optimizer):
    """Layer-wise adaptive large-batch optimizer, as Keras 3 computes it.

    Args:
        learning_rate: float or schedule.
        beta_1, beta_2: decay rates of the first and second moments.
        epsilon: added to the root of the second moment.
        **kwargs: the common arguments of `Optimizer`.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"]
        )

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        m, v, w = self._momentums[i].data, self._velocities[i].data, variable.data
        f = w.dtype.type
        t = f(self._iteration_count() + 1)
        m += (gradient - m) * f(1 - self.beta_1)
        v += (np.square(gradient) - v) * f(1 - self.beta_2)
        m_hat = m / (1 - f(self.beta_1) ** t)
        update = m_hat / (np.sqrt(v / (1 - f(self.beta_2) ** t)) + f(self.epsilon))
        w_norm, u_norm = np.sqrt(np.sum(np.square(w))), np.sqrt(np.sum(np.square(update)))
        ratio = w_norm / u_norm if w_norm > 0 and u_norm > 0 else f(1)
        w -= ratio * f(learning_rate) * update

    def get_config(self):
        config = super().get_config()
        config.update(beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon)
        return config
