"""Muon (Jordan et al., 2024): momentum orthogonalised by Newton-Schulz for 2-D weights, and
AdamW for everything else, with Keras 3's rules for which variable gets which."""

import re

import numpy as np

from numkeras.optimizers.base_optimizer import Optimizer


class Muon(Optimizer):
    """Muon's step for 2-D variables; AdamW's step for the others, for variables whose path
    contains "embedding" (with `exclude_embeddings`) and for those matching a regex of
    `exclude_layers` (typically the output layer's name).

    Muon step: `m += g + m * (momentum - 1)`; `u = g + momentum * m` (Nesterov) or `m`;
    `w -= lr * NS5(u) * sqrt(max(rows, cols)) * rms_rate`, NS5 being five Newton-Schulz
    iterations that push the singular values of `u / ||u||` towards 1.

    Args:
        learning_rate: float or schedule.
        adam_beta_1, adam_beta_2, epsilon: AdamW's moment decays and epsilon.
        adam_weight_decay: decoupled weight decay of the AdamW variables.
        weight_decay: decoupled weight decay of the Muon variables.
        exclude_layers: regexes; variables whose path matches one use AdamW.
        exclude_embeddings: embeddings use AdamW.
        muon_a, muon_b, muon_c: coefficients of the quintic Newton-Schulz iteration.
        adam_lr_ratio: AdamW's learning rate relative to `learning_rate`.
        momentum: Muon's momentum. ns_steps: Newton-Schulz iterations.
        nesterov: use Nesterov momentum.
        rms_rate: Moonlight's scale, so Muon can share AdamW's learning rate; None disables.
        **kwargs: the common arguments of `Optimizer`.
    """

    def __init__(
        self,
        learning_rate=0.001,
        adam_beta_1=0.9,
        adam_beta_2=0.999,
        adam_weight_decay=0.004,
        epsilon=1e-7,
        weight_decay=0.004,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        loss_scale_factor=None,
        gradient_accumulation_steps=None,
        name=None,
        exclude_layers=None,
        exclude_embeddings=True,
        muon_a=3.4445,
        muon_b=-4.7750,
        muon_c=2.0315,
        adam_lr_ratio=1,
        momentum=0.95,
        ns_steps=5,
        nesterov=True,
        rms_rate=0.2,
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
        self.adam_beta_1 = adam_beta_1
        self.adam_beta_2 = adam_beta_2
        self.epsilon = epsilon
        self.muon_a = muon_a
        self.muon_b = muon_b
        self.muon_c = muon_c
        self.adam_lr_ratio = adam_lr_ratio
        self.momentum = momentum
        self.ns_steps = ns_steps
        self.nesterov = nesterov
        self.exclude_embeddings = exclude_embeddings
        self.exclude_layers = exclude_layers or []
        self.adam_weight_decay = adam_weight_decay
        self.rms_rate = rms_rate

    def _should_use_adamw(self, variable):
        if len(variable.shape) != 2:
            return True
        path = getattr(variable, "path", None) or variable.name
        if self.exclude_embeddings and "embedding" in path.lower():
            return True
        return any(re.search(keyword, path) for keyword in self.exclude_layers)

    def build(self, var_list):
        """A momentum per variable, then a velocity for the AdamW ones, interleaved as Keras
        orders them (w0 momentum, w0 velocity, w1 momentum, ...); variables overwritten with
        their gradient get no slots."""
        if self.built:
            return
        var_list = list(var_list)
        super().build(var_list)
        self.momentums = [None] * len(var_list)
        self.adam_velocities = [None] * len(var_list)
        for i, variable in enumerate(var_list):
            if variable.overwrite_with_gradient:
                continue
            self.momentums[i] = self.add_variable_from_reference(variable, "momentum")
            if self._should_use_adamw(variable):
                self.adam_velocities[i] = self.add_variable_from_reference(variable, "velocity")

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        m, v = self.momentums[i].data, self.adam_velocities[i]
        f = variable.data.dtype.type
        if v is not None:
            self._adamw_update_step(gradient, variable, f(learning_rate) * self.adam_lr_ratio, m, v)
            return
        m += gradient + m * f(self.momentum - 1)
        direction = gradient + f(self.momentum) * m if self.nesterov else m
        update = self.zeropower_via_newtonschulz5(direction, self.ns_steps)
        variable.data -= self.lr_adjust(f(learning_rate) * update)

    def _adamw_update_step(self, gradient, variable, learning_rate, m, v):
        v = v.data
        f = v.dtype.type
        t = f(self._iteration_count() + 1)
        lr = f(learning_rate)
        alpha = lr * np.sqrt(1 - f(self.adam_beta_2) ** t) / (1 - f(self.adam_beta_1) ** t)
        m += (gradient - m) * f(1 - self.adam_beta_1)
        v += (np.square(gradient) - v) * f(1 - self.adam_beta_2)
        variable.data -= (m * alpha) / (np.sqrt(v) + f(self.epsilon))

    def lr_adjust(self, x):
        """Moonlight's scaling of a 2-D update: `x * sqrt(max(rows, cols)) * rms_rate`."""
        if self.rms_rate is None:
            return x
        x = np.asarray(x)
        return x * np.sqrt(np.float32(max(x.shape[0], x.shape[1]))) * x.dtype.type(self.rms_rate)

    def zeropower_via_newtonschulz5(self, x, steps):
        """About `U V^T` of `x`'s SVD, by `steps` quintic Newton-Schulz iterations
        `X = a X + (b A + c A A) X` with `A = X X^T`, on the wide orientation of `x`."""
        x = np.asarray(x)
        if x.ndim < 2:
            raise ValueError(
                "Expected gradient or momentum to have at least 2 dimensions. "
                f"Received: shape={x.shape}"
            )
        f = x.dtype.type
        a, b, c = f(self.muon_a), f(self.muon_b), f(self.muon_c)
        tall = x.shape[-2] > x.shape[-1]
        if tall:
            x = np.swapaxes(x, -1, -2)
        norm = np.sqrt(np.sum(np.square(x), axis=(-2, -1), keepdims=True))
        x = x / (norm + f(1e-7))
        for _ in range(steps):
            gram = x @ np.swapaxes(x, -1, -2)
            x = a * x + (b * gram + c * gram @ gram) @ x
        return np.swapaxes(x, -1, -2) if tall else x

    def _apply_weight_decay(self, variables, lr):
        """`w -= w * decay * lr`, with `adam_weight_decay` for the AdamW variables and
        `weight_decay` for the Muon ones."""
        for variable in variables:
            if not self._use_weight_decay(variable):
                continue
            decay = (
                self.adam_weight_decay if self._should_use_adamw(variable) else self.weight_decay
            )
            if decay is None:
                continue
            f = variable.data.dtype.type
            variable.data -= variable.data * f(decay) * f(lr)

    def get_config(self):
        config = super().get_config()
        config.update(
            adam_beta_1=self.adam_beta_1,
            adam_beta_2=self.adam_beta_2,
            epsilon=self.epsilon,
            exclude_layers=self.exclude_layers,
            muon_a=self.muon_a,
            muon_b=self.muon_b,
            muon_c=self.muon_c,
            adam_lr_ratio=self.adam_lr_ratio,
            momentum=self.momentum,
            ns_steps=self.ns_steps,
            nesterov=self.nesterov,
            exclude_embeddings=self.exclude_embeddings,
            adam_weight_decay=self.adam_weight_decay,
            rms_rate=self.rms_rate,
        )
        return config
