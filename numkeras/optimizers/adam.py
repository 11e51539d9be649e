"""The Adam family: Adam (with AMSGrad), AdamW, Adamax and Nadam, with Keras 3's formulas.

Per-step scalars are computed in the variable's dtype (float32), as Keras does, so the
bias corrections round the same way. Adam's update of a large variable (an embedding table)
runs in contiguous chunks on numkeras's kernel threads, those of all large variables (with the
mid-size variables' updates) in one run, so a step wakes and joins the threads once: the
update is elementwise, so the values are the same for any thread count. For the same reason
Adam updates its small variables (biases, normalization scales: each a dozen NumPy calls of a
few elements) as one concatenated run, copied back after, with the same bits.
"""

from functools import partial

import numpy as np

from numkeras.engine.autodiff import RowGradient
from numkeras.kernels import threads
from numkeras.optimizers.base_optimizer import Optimizer

# Variables with at least this many elements are updated in `threads.workers()` chunks.
THREADED_SIZE = 1 << 18
# Variables with at most this many elements are updated together, as one concatenated run.
SMALL_SIZE = 1 << 12
# An embedding's update runs by rows (`_adam_rows_update`) when at most this fraction of its
# rows were looked up; past it the gathers and scatters of the rows cost more than the two
# passes they save.
ROWS_FRACTION = 0.2


def _chunks(arrays, parts):
    """The same-shape arrays' flat views cut into `parts` equal runs, one tuple of views per run;
    None when they differ in shape or one is not C-contiguous (a flat view would be a copy)."""
    shape = arrays[0].shape
    if not all(
        isinstance(a, np.ndarray) and a.shape == shape and a.flags.c_contiguous for a in arrays
    ):
        return None
    flat = [a.reshape(-1) for a in arrays]
    bounds = np.linspace(0, flat[0].size, parts + 1).astype(int)
    return [tuple(f[s:e] for f in flat) for s, e in zip(bounds[:-1], bounds[1:])]


def _moments_update(beta_1, beta_2, gradient, m, v, buf):
    """Adam's moments in place: `m += (g - m) * (1 - beta_1)`, `v += (g^2 - v) * (1 - beta_2)`,
    `buf` as scratch."""
    np.subtract(gradient, m, out=buf)
    buf *= 1 - beta_1
    m += buf
    np.square(gradient, out=buf)
    buf -= v
    buf *= 1 - beta_2
    v += buf


def _weights_update(epsilon, alpha, m, v, w, buf, v_hat=None):
    """Adam's step of `w` from its updated moments (`v_hat` their running maximum with
    AMSGrad): `w -= alpha * m / (sqrt(v) + epsilon)`, `buf` as scratch."""
    if v_hat is not None:
        np.maximum(v_hat, v, out=v_hat)
        v = v_hat
    np.sqrt(v, out=buf)
    buf += epsilon
    np.divide(m, buf, out=buf)
    buf *= alpha
    w -= buf


def _adam_update(beta_1, beta_2, epsilon, alpha, gradient, m, v, w, buf, v_hat=None):
    """Adam's elementwise update of `w` with its moments `m`, `v` (and `v_hat` with AMSGrad)
    in place, `buf` as scratch."""
    _moments_update(beta_1, beta_2, gradient, m, v, buf)
    _weights_update(epsilon, alpha, m, v, w, buf, v_hat)


def _adam_rows_update(beta_1, beta_2, epsilon, alpha, rows, gradient, m, v, w, buf, v_hat=None):
    """`_adam_update` of the rows `m`, `v`, `w` (2-D, `buf` as scratch) whose gradient is zero
    but for the rows `rows` (sorted), which is `gradient`: the same operations per element,
    where a zero gradient's `(0 - m) * c` is `-(m * c)`, so `m + (0 - m) * c` is `m - m * c`,
    and `v + (0 * 0 - v) * c` is `v - v * c`: two passes less, and no gradient array."""
    m_rows, v_rows = m[rows], v[rows]  # the looked-up rows, updated as in `_adam_update`
    _moments_update(beta_1, beta_2, gradient, m_rows, v_rows, np.empty_like(m_rows))
    np.multiply(m, 1 - beta_1, out=buf)
    m -= buf
    np.multiply(v, 1 - beta_2, out=buf)
    v -= buf
    m[rows], v[rows] = m_rows, v_rows
    _weights_update(epsilon, alpha, m, v, w, buf, v_hat)


class _Moments(Optimizer):
    """The arguments Adam, Adamax and Nadam share: moment decay rates and epsilon."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def get_config(self):
        config = super().get_config()
        config.update(beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon)
        return config


class Adam(_Moments):
    """Adam, with Keras's "epsilon hat" outside the bias correction:

    `alpha = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)`, `m += (g - m) * (1 - beta_1)`,
    `v += (g**2 - v) * (1 - beta_2)`, `w -= alpha * m / (sqrt(v) + epsilon)`, with `t` the
    step count from 1. With `amsgrad`, `v` is replaced by its running maximum.

    Args:
        learning_rate: float or schedule. beta_1, beta_2: the moment decay rates.
        epsilon: added to `sqrt(v)`. amsgrad: use the AMSGrad variant.
        **kwargs: the common arguments of `Optimizer`.

    >>> import numkeras
    >>> w = numkeras.Variable([1.0, 2.0])
    >>> opt = Adam(learning_rate=0.1)
    >>> _ = opt.apply_gradients([(np.array([0.5, -0.5]), w)])
    >>> print(w.numpy().round(4))
    [0.9 2.1]
    """

    def __init__(
        self,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
        **kwargs,
    ):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, **kwargs)
        self.amsgrad = amsgrad

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"]
        )
        if self.amsgrad:
            self._velocity_hats = self.add_optimizer_variables(var_list, "velocity_hat")

    def _alpha(self, dtype, learning_rate):
        """The step size `lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)` in `dtype`."""
        f = dtype.type
        t = f(self._iteration_count() + 1)
        return f(learning_rate) * np.sqrt(1 - f(self.beta_2) ** t) / (1 - f(self.beta_1) ** t)

    def _arrays(self, gradient, variable):
        """(gradient, m, v, w, buffer[, v_hat]): the arrays `_adam_update` takes."""
        i = self._get_variable_index(variable)
        arrays = (gradient, self._momentums[i].data, self._velocities[i].data, variable.data)
        arrays += (self._buffers[i],)
        return arrays + ((self._velocity_hats[i].data,) if self.amsgrad else ())

    def _backend_update_step(self, grads, variables, learning_rate):
        if type(self).update_step is not Adam.update_step:  # a subclass's own update
            return super()._backend_update_step(grads, variables, learning_rate)
        small = {}  # dtype: the small variables' arrays, updated as one run
        tasks, chunked = [], False  # the other variables' updates
        for g, v in zip(grads, variables):
            if isinstance(g, RowGradient):  # an embedding's: by rows when few were looked up
                own = self._row_update_tasks(g, v, learning_rate)
                if own:
                    chunked |= len(own) > 1
                    tasks += own
                    continue
                g = g.dense()
            if v.data.size <= SMALL_SIZE and g.dtype == v.data.dtype:
                small.setdefault(v.data.dtype, []).append(self._arrays(g, v))
            else:
                own = self._update_tasks(g, v, learning_rate)
                chunked |= len(own) > 1
                tasks += own
        if chunked and len({id(v) for v in variables}) == len(variables):
            threads.run(tasks)  # one wake-up of the kernel threads for all large variables
        else:
            for task in tasks:
                task()
        for dtype, group in small.items():
            alpha = self._alpha(dtype, learning_rate)
            # gradient, m, v, w, buffer (and v_hat) each concatenated, the buffers as scratch
            flat = [np.concatenate(column, axis=None) for column in zip(*group)]
            _adam_update(self.beta_1, self.beta_2, self.epsilon, alpha, *flat)
            start = 0
            for arrays in group:  # m, v, w (and v_hat) back in place
                end = start + arrays[0].size
                for k in (1, 2, 3, 5)[: len(arrays) - 2]:
                    arrays[k][...] = flat[k][start:end].reshape(arrays[k].shape)
                start = end

    def update_step(self, gradient, variable, learning_rate):
        threads.run(self._update_tasks(gradient, variable, learning_rate))

    def _updates_by_rows(self):
        return type(self).update_step is Adam.update_step and self._gradients_as_given()

    def _row_update_tasks(self, gradient, variable, learning_rate):
        """The update of a variable by its `RowGradient` as `_adam_rows_update` tasks, a large
        one's in runs of whole rows, one per kernel thread; None when it is to be dense."""
        _, *arrays = self._arrays(None, variable)  # m, v, w, buffer (and v_hat)
        if (
            gradient.rows.size > ROWS_FRACTION * gradient.shape[0]
            or variable.data.size <= SMALL_SIZE
            or not all(a.flags.c_contiguous for a in arrays)
        ):
            return None
        alpha = self._alpha(arrays[3].dtype, learning_rate)
        n, rows = gradient.shape[0], gradient.rows
        tables = [a.reshape(n, -1) for a in arrays]  # views: the arrays are C-contiguous
        values = gradient.values.reshape(rows.size, -1)
        parts = threads.workers() if variable.data.size >= THREADED_SIZE else 1
        bounds = np.linspace(0, n, parts + 1).astype(int)
        cuts = np.searchsorted(rows, bounds)  # the looked-up rows in each run
        update = partial(_adam_rows_update, self.beta_1, self.beta_2, self.epsilon, alpha)
        return [
            partial(update, rows[a:b] - s, values[a:b], *(t[s:e] for t in tables))
            for s, e, a, b in zip(bounds[:-1], bounds[1:], cuts[:-1], cuts[1:])
        ]

    def _update_tasks(self, gradient, variable, learning_rate):
        """The update of one variable as tasks for `threads.run`: a large variable's in
        contiguous chunks, one per kernel thread, any other's as one task."""
        arrays = self._arrays(gradient, variable)
        alpha = self._alpha(arrays[4].dtype, learning_rate)
        update = partial(_adam_update, self.beta_1, self.beta_2, self.epsilon, alpha)
        workers = threads.workers()
        runs = _chunks(arrays, workers) if workers > 1 and arrays[4].size >= THREADED_SIZE else None
        return [partial(update, *run) for run in runs or [arrays]]

    def get_config(self):
        config = super().get_config()
        config.update(amsgrad=self.amsgrad)
        return config


class AdamW(Adam):
    """Adam with decoupled weight decay: before each update, `w -= w * weight_decay * lr`.

    Args:
        weight_decay: defaults to 0.004 and must not be None. Others as `Adam`.
    """

    def __init__(
        self,
        learning_rate=0.001,
        weight_decay=0.004,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            amsgrad=amsgrad,
            weight_decay=weight_decay,
            **kwargs,
        )
        if self.weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: weight_decay=None")


class Adamax(_Moments):
    """Adam with the infinity norm: `m += (g - m) * (1 - beta_1)`, `u = max(beta_2 * u, |g|)`,
    `w -= lr * m / ((1 - beta_1**t) * (u + epsilon))`.

    Args:
        learning_rate, beta_1, beta_2, epsilon: as `Adam`. **kwargs: as `Optimizer`.
    """

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._m, self._u = self.add_optimizer_variables(var_list, ["momentum", "norm"])

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        m, u, buf = self._m[i].data, self._u[i].data, self._buffers[i]
        f = buf.dtype.type
        beta_1_power = f(self.beta_1) ** f(self._iteration_count() + 1)
        np.subtract(gradient, m, out=buf)
        buf *= 1 - self.beta_1
        m += buf
        u *= self.beta_2
        np.abs(gradient, out=buf)
        np.maximum(u, buf, out=u)
        np.add(u, self.epsilon, out=buf)
        buf *= 1 - beta_1_power
        np.divide(m, buf, out=buf)
        buf *= f(learning_rate)
        variable.data -= buf


class Nadam(_Moments):
    """Adam with Nesterov momentum and Keras's momentum schedule
    `u_t = beta_1 * (1 - 0.5 * 0.96**t)`; the running product of the `u_t` is an extra
    optimizer variable, stored last.

    Args:
        learning_rate, beta_1, beta_2, epsilon: as `Adam`. **kwargs: as `Optimizer`.
    """

    def build(self, var_list):
        if self.built:
            return
        var_list = list(var_list)
        dtype = var_list[0].dtype if var_list else "float32"
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"]
        )
        self._u_product = self.add_variable((), "ones", dtype, name="u_product")

    def _backend_update_step(self, grads, variables, learning_rate):
        u_product = self._u_product.data
        f = u_product.dtype.type
        t = f(self._iteration_count() + 1)
        u_product *= f(self.beta_1) * (1 - f(0.5) * f(0.96) ** t)
        super()._backend_update_step(grads, variables, learning_rate)

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        m, v, buf = self._momentums[i].data, self._velocities[i].data, self._buffers[i]
        f = buf.dtype.type
        t = f(self._iteration_count() + 1)
        beta_1, decay = f(self.beta_1), f(0.96)
        u_t = beta_1 * (1 - f(0.5) * decay**t)
        u_t_1 = beta_1 * (1 - f(0.5) * decay ** (t + 1))
        u_product_t = f(self._u_product.data)
        u_product_t_1 = u_product_t * u_t_1
        beta_2_power = f(self.beta_2) ** t
        np.subtract(gradient, m, out=buf)
        buf *= 1 - beta_1
        m += buf
        np.square(gradient, out=buf)
        buf -= v
        buf *= 1 - f(self.beta_2)
        v += buf
        # m_hat = u_{t+1} m / (1 - prod u_{..t+1}) + (1 - u_t) g / (1 - prod u_{..t})
        m_hat = m * (u_t_1 / (1 - u_product_t_1))
        m_hat += gradient * ((1 - u_t) / (1 - u_product_t))
        np.divide(v, 1 - beta_2_power, out=buf)
        np.sqrt(buf, out=buf)
        buf += self.epsilon
        np.divide(m_hat, buf, out=buf)
        buf *= f(learning_rate)
        variable.data -= buf
