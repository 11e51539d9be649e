"""SGD with optional momentum and Nesterov momentum (Keras 3's formulation)."""

import numpy as np

from numkeras.optimizers.base_optimizer import Optimizer


class SGD(Optimizer):
    """Gradient descent: `w -= lr * g`; with momentum, `m = momentum * m - lr * g` then
    `w += m`, or with `nesterov=True`, `w += momentum * m - lr * g`.

    Args:
        learning_rate: float or schedule.
        momentum: a float in [0, 1]; the momentum slot exists only when it is non-zero.
        nesterov: use Nesterov momentum.
        **kwargs: the common arguments of `Optimizer`.

    >>> import numkeras
    >>> w = numkeras.Variable([1.0])
    >>> opt = SGD(learning_rate=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     _ = opt.apply_gradients([(np.array([1.0]), w)])
    >>> print(w.numpy().round(4))   # 1 - 0.1, then - (0.9 * 0.1 + 0.1)
    [0.71]
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        if not isinstance(momentum, float) or not 0 <= momentum <= 1:
            raise ValueError(f"`momentum` must be a float between [0, 1]. Received: {momentum!r}")
        self.momentum = momentum
        self.nesterov = nesterov

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.momentums = []
        if self.momentum != 0:
            self.momentums = self.add_optimizer_variables(variables, "momentum")

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        buf = self._buffers[i]
        np.multiply(gradient, buf.dtype.type(learning_rate), out=buf)
        if self.momentum == 0:
            variable.data -= buf
            return
        m = self.momentums[i].data
        m *= self.momentum
        m -= buf
        if self.nesterov:
            variable.data += m * self.momentum - buf
        else:
            variable.data += m

    def get_config(self):
        config = super().get_config()
        config.update(momentum=self.momentum, nesterov=self.nesterov)
        return config
