"""Lion: the sign of an interpolated momentum (Chen et al., 2023), as in Keras 3."""

import numpy as np

from numkeras.optimizers.base_optimizer import Optimizer


class Lion(Optimizer):
    """`w -= lr * sign(beta_1 * m + (1 - beta_1) * g)`, then `m = beta_2 * m + (1 - beta_2) * g`.

    Args:
        learning_rate: float or schedule; Lion wants a rate 3-10x smaller than Adam's.
        beta_1: interpolation for the update direction, in (0, 1].
        beta_2: decay of the momentum.
        **kwargs: the common arguments of `Optimizer`.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        if beta_1 <= 0 or beta_1 > 1:
            raise ValueError(
                "Argument `beta_1` must be in the [0, 1] range. Otherwise, the optimizer "
                f"degenerates to SignSGD. Received: beta_1={beta_1}."
            )
        self.beta_1 = beta_1
        self.beta_2 = beta_2

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums = self.add_optimizer_variables(var_list, "momentum")

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        m, buf = self._momentums[i].data, self._buffers[i]
        np.multiply(gradient, 1 - self.beta_1, out=buf)
        buf += m * self.beta_1
        np.sign(buf, out=buf)
        buf *= buf.dtype.type(learning_rate)
        variable.data -= buf
        m *= self.beta_2
        np.multiply(gradient, 1 - self.beta_2, out=buf)
        m += buf

    def get_config(self):
        config = super().get_config()
        config.update(beta_1=self.beta_1, beta_2=self.beta_2)
        return config
