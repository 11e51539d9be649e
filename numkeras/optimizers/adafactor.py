"""Adafactor (Shazeer & Stern, 2018): second moments kept as row and column averages."""

import numpy as np

from numkeras.optimizers.base_optimizer import Optimizer


class Adafactor(Optimizer):
    """Adam-like steps with factored second moments (memory O(rows + cols) per matrix),
    relative step sizes and update clipping, as Keras 3 computes them.

    Args:
        learning_rate: float or schedule; with `relative_step`, capped at 1/sqrt(step).
        beta_2_decay: the second moment's decay is `1 - step ** beta_2_decay`.
        epsilon_1: added to squared gradients.
        epsilon_2: the smallest scale of a step, relative to the variable's RMS.
        clip_threshold: an update's RMS is clipped to this.
        relative_step: cap a float learning rate at 1/sqrt(step).
        **kwargs: the common arguments of `Optimizer`.
    """

    def __init__(
        self,
        learning_rate=0.001,
        beta_2_decay=-0.8,
        epsilon_1=1e-30,
        epsilon_2=1e-3,
        clip_threshold=1.0,
        relative_step=True,
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_2_decay, self.epsilon_1, self.epsilon_2 = beta_2_decay, epsilon_1, epsilon_2
        self.clip_threshold, self.relative_step = clip_threshold, relative_step

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._r, self._c, self._v = [], [], []
        for variable in var_list:
            if len(variable.shape) >= 2:  # vectors keep a full second moment: no factors
                shape = tuple(variable.shape)
                self._r.append(
                    self.add_variable(shape[:-1], dtype=variable.dtype, name=variable.name)
                )
                self._c.append(
                    self.add_variable(
                        shape[:-2] + shape[-1:], dtype=variable.dtype, name=variable.name
                    )
                )
            else:  # unused int32 scalars, which Keras creates (and saves) all the same
                self._r.append(self.add_variable((), dtype="int32", name=variable.name))
                self._c.append(self.add_variable((), dtype="int32", name=variable.name))
            self._v.append(self.add_variable_from_reference(variable, "velocity"))

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        v, w = self._v[i].data, variable.data
        f = w.dtype.type
        t = f(self._iteration_count() + 1)
        lr = f(learning_rate)
        if not callable(self._learning_rate) and self.relative_step:
            lr = min(lr, 1 / np.sqrt(t))
        alpha = max(f(self.epsilon_2), _rms(w)) * min(lr, 1 / np.sqrt(t))
        squared = np.square(gradient) + f(self.epsilon_1)
        beta_2 = 1 - t ** f(self.beta_2_decay)
        if w.ndim >= 2:
            r, c = self._r[i].data, self._c[i].data
            r[...] = beta_2 * r + (1 - beta_2) * squared.mean(axis=-1)
            c[...] = beta_2 * c + (1 - beta_2) * squared.mean(axis=-2)
            v[...] = (r / r.mean(axis=-1, keepdims=True))[..., None] * c[..., None, :]
        else:
            v[...] = beta_2 * v + (1 - beta_2) * squared
        u = gradient / np.sqrt(v)
        u /= max(f(1), _rms(u) / f(self.clip_threshold))
        w -= (alpha * u).astype(w.dtype)

    def get_config(self):
        config = super().get_config()
        config.update(
            beta_2_decay=self.beta_2_decay,
            epsilon_1=self.epsilon_1,
            epsilon_2=self.epsilon_2,
            clip_threshold=self.clip_threshold,
            relative_step=self.relative_step,
        )
        return config


def _rms(x):
    return np.sqrt(np.mean(np.square(x)))
