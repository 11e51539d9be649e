"""Squared-gradient optimizers: RMSprop, Adagrad and Adadelta, with Keras 3's formulas.

All three add epsilon *inside* the square root.
"""

import numpy as np

from numkeras.optimizers.base_optimizer import Optimizer


class RMSprop(Optimizer):
    """`v = rho * v + (1 - rho) * g**2`, `w -= lr * g / sqrt(v + epsilon)`.

    With `centered`, the denominator is `sqrt(v - a**2 + epsilon)` where `a` averages `g`;
    with `momentum > 0`, `mom = momentum * mom + step` and `w -= mom`.

    Args:
        learning_rate: float or schedule. rho: decay of the squared-gradient average.
        momentum: momentum of the step. epsilon: added inside the square root.
        centered: divide by the estimated variance instead of the second moment.
        **kwargs: the common arguments of `Optimizer`.

    >>> import numkeras
    >>> w = numkeras.Variable([1.0])
    >>> _ = RMSprop(learning_rate=0.1).apply_gradients([(np.array([2.0]), w)])
    >>> print(w.numpy().round(4))   # 1 - 0.1 * 2 / sqrt(0.1 * 4)
    [0.6838]
    """

    def __init__(
        self,
        learning_rate=0.001,
        rho=0.9,
        momentum=0.0,
        epsilon=1e-7,
        centered=False,
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        # Three separate calls, so Keras stores all velocities, then all momentums, ...
        self._velocities = self.add_optimizer_variables(var_list, "velocity")
        self._momentums = []
        if self.momentum > 0:
            self._momentums = self.add_optimizer_variables(var_list, "momentum")
        self._average_gradients = []
        if self.centered:
            self._average_gradients = self.add_optimizer_variables(var_list, "average_gradient")

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        v, buf = self._velocities[i].data, self._buffers[i]
        rho = self.rho
        v *= rho
        np.square(gradient, out=buf)
        buf *= 1 - rho
        v += buf
        if self.centered:
            average = self._average_gradients[i].data
            average *= rho
            np.multiply(gradient, 1 - rho, out=buf)
            average += buf
            np.square(average, out=buf)
            np.subtract(v, buf, out=buf)
            buf += self.epsilon
        else:
            np.add(v, self.epsilon, out=buf)
        np.sqrt(buf, out=buf)
        np.divide(gradient, buf, out=buf)
        buf *= buf.dtype.type(learning_rate)
        if self.momentum > 0:
            momentum = self._momentums[i].data
            momentum *= self.momentum
            momentum += buf
            variable.data -= momentum
        else:
            variable.data -= buf

    def get_config(self):
        config = super().get_config()
        config.update(
            rho=self.rho, momentum=self.momentum, epsilon=self.epsilon, centered=self.centered
        )
        return config


class Adagrad(Optimizer):
    """`acc += g**2`, `w -= lr * g / sqrt(acc + epsilon)`; `acc` starts at
    `initial_accumulator_value`.

    Args:
        learning_rate: float or schedule. initial_accumulator_value: the start of `acc`.
        epsilon: added inside the square root. **kwargs: as `Optimizer`.
    """

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._accumulators = self.add_optimizer_variables(
            var_list, "accumulator", initializer=float(self.initial_accumulator_value)
        )

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        accumulator, buf = self._accumulators[i].data, self._buffers[i]
        np.square(gradient, out=buf)
        accumulator += buf
        np.add(accumulator, self.epsilon, out=buf)
        np.sqrt(buf, out=buf)
        np.divide(gradient, buf, out=buf)
        buf *= buf.dtype.type(learning_rate)
        variable.data -= buf

    def get_config(self):
        config = super().get_config()
        config.update(
            initial_accumulator_value=self.initial_accumulator_value, epsilon=self.epsilon
        )
        return config


class Adadelta(Optimizer):
    """`acc_g = rho * acc_g + (1 - rho) g**2`,
    `delta = -sqrt(acc_d + eps) / sqrt(acc_g + eps) * g`,
    `acc_d = rho * acc_d + (1 - rho) delta**2`, `w += lr * delta`.

    Keras 3's default `learning_rate=0.001` is much smaller than Keras 2's `1.0`.

    Args:
        learning_rate: float or schedule. rho: the decay rate. epsilon: inside the roots.
        **kwargs: the common arguments of `Optimizer`.
    """

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._accumulated_grads, self._accumulated_delta_vars = self.add_optimizer_variables(
            var_list, ["accumulated_grad", "accumulated_delta_var"]
        )

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        acc_grad = self._accumulated_grads[i].data
        acc_delta = self._accumulated_delta_vars[i].data
        buf, rho = self._buffers[i], self.rho
        acc_grad *= rho
        np.square(gradient, out=buf)
        buf *= 1 - rho
        acc_grad += buf
        delta = np.sqrt(acc_grad + self.epsilon)
        np.add(acc_delta, self.epsilon, out=buf)
        np.sqrt(buf, out=buf)
        buf *= gradient
        np.divide(buf, delta, out=delta)
        np.negative(delta, out=delta)
        acc_delta *= rho
        np.square(delta, out=buf)
        buf *= 1 - rho
        acc_delta += buf
        delta *= buf.dtype.type(learning_rate)
        variable.data += delta

    def get_config(self):
        config = super().get_config()
        config.update(rho=self.rho, epsilon=self.epsilon)
        return config
