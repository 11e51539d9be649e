"""Learning-rate schedules: Keras 3's formulas, evaluated with NumPy.

A schedule maps the optimizer's iteration count to a learning rate. It accepts an int, a
NumPy array of steps or a numkeras Variable (the optimizer passes its `iterations`), and
returns float32: a NumPy scalar for a scalar step, an array for an array of steps.
"""

import math

import numpy as np


class LearningRateSchedule:
    """Base class: subclasses define `__call__(step)` and `get_config()`.

    >>> class Halving(LearningRateSchedule):
    ...     def __call__(self, step):
    ...         return np.float32(0.1 * 0.5 ** float(step))
    ...     def get_config(self):
    ...         return {}
    >>> float(Halving()(2))
    0.02500000037252903
    """

    def __call__(self, step):
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `__call__(self, step)`."
        )

    def get_config(self):
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `get_config()` "
            "in order to be serializable."
        )

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _steps(step):
    """The step(s) as float64, whatever they came as (int, array, Variable)."""
    return np.asarray(step, dtype=np.float64)


def _result(value):
    """float32, and a NumPy scalar rather than a 0-d array for a scalar step."""
    return np.asarray(value, dtype=np.float32)[()]


def _check_decay_steps(decay_steps, arg="decay_steps"):
    if decay_steps <= 0:
        raise ValueError(f"Argument `{arg}` must be > 0. Received: {arg}={decay_steps}")


class _StepDecay(LearningRateSchedule):
    """What ExponentialDecay and InverseTimeDecay share: arguments, progress, config."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase, name):
        _check_decay_steps(decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def _progress(self, step):
        """`step / decay_steps`, floored when `staircase`."""
        p = _steps(step) / self.decay_steps
        return np.floor(p) if self.staircase else p

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class ExponentialDecay(_StepDecay):
    """`initial_learning_rate * decay_rate ** (step / decay_steps)`.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: the number of steps over which the rate is multiplied by `decay_rate`.
        decay_rate: the decay factor.
        staircase: if True, `step / decay_steps` is floored, so the rate decays in jumps.
        name: kept in the config.

    >>> schedule = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    >>> round(float(schedule(20)), 6)
    0.025
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        decay_rate,
        staircase=False,
        name="ExponentialDecay",
    ):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step):
        return _result(self.initial_learning_rate * np.power(self.decay_rate, self._progress(step)))


class PiecewiseConstantDecay(LearningRateSchedule):
    """`values[0]` while `step <= boundaries[0]`, `values[i]` on `(boundaries[i-1], boundaries[i]]`,
    and `values[-1]` after the last boundary.

    >>> schedule = PiecewiseConstantDecay(boundaries=[100, 200], values=[1.0, 0.5, 0.1])
    >>> [float(schedule(s)) for s in (100, 101, 201)]
    [1.0, 0.5, 0.10000000149011612]
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of values. "
                f"Received: boundaries={boundaries} of length {len(boundaries)}, "
                f"and values={values} of length {len(values)}."
            )
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step):
        # side="left" counts the boundaries strictly below `step`, so a step equal to a
        # boundary still gets the value before it, as in Keras.
        index = np.searchsorted(np.asarray(self.boundaries), _steps(step), side="left")
        return _result(np.asarray(self.values, dtype=np.float64)[index])

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """`(initial - end) * (1 - step / decay_steps) ** power + end`, with `step` capped at
    `decay_steps`; with `cycle=True`, `decay_steps` is stretched to the next multiple instead.

    >>> schedule = PolynomialDecay(1.0, decay_steps=10, end_learning_rate=0.0)
    >>> [round(float(schedule(s)), 6) for s in (0, 5, 20)]
    [1.0, 0.5, 0.0]
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        end_learning_rate=0.0001,
        power=1.0,
        cycle=False,
        name="PolynomialDecay",
    ):
        _check_decay_steps(decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step):
        step = _steps(step)
        decay_steps = np.float64(self.decay_steps)
        if self.cycle:
            # The first multiple of decay_steps at or above step; step 0 counts as 1.
            decay_steps = decay_steps * np.where(step == 0, 1.0, np.ceil(step / decay_steps))
        else:
            step = np.minimum(step, decay_steps)
        fraction = 1.0 - step / decay_steps
        span = self.initial_learning_rate - self.end_learning_rate
        return _result(span * np.power(fraction, self.power) + self.end_learning_rate)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


class InverseTimeDecay(_StepDecay):
    """`initial_learning_rate / (1 + decay_rate * step / decay_steps)`.

    >>> round(float(InverseTimeDecay(0.1, decay_steps=1, decay_rate=0.5)(2)), 6)
    0.05
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        decay_rate,
        staircase=False,
        name="InverseTimeDecay",
    ):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step):
        return _result(self.initial_learning_rate / (1.0 + self.decay_rate * self._progress(step)))


def _cosine(fraction, alpha):
    """Half a cosine from 1 down to `alpha` as `fraction` goes from 0 to 1."""
    return (1.0 - alpha) * 0.5 * (1.0 + np.cos(math.pi * fraction)) + alpha


class CosineDecay(LearningRateSchedule):
    """Cosine decay from the rate down to `alpha * rate` over `decay_steps`, then flat.

    With `warmup_target`, the rate first rises linearly from `initial_learning_rate` to
    `warmup_target` over `warmup_steps`, then decays from `warmup_target`.

    >>> schedule = CosineDecay(0.0, decay_steps=10, warmup_target=1.0, warmup_steps=10)
    >>> [round(float(schedule(s)), 6) for s in (5, 10, 15, 20)]
    [0.5, 1.0, 0.5, 0.0]
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        alpha=0.0,
        name="CosineDecay",
        warmup_target=None,
        warmup_steps=0,
    ):
        _check_decay_steps(decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def __call__(self, step):
        step = _steps(step)
        if self.warmup_target is None:
            step = np.minimum(step, self.decay_steps)
            return _result(
                self.initial_learning_rate * _cosine(step / self.decay_steps, self.alpha)
            )
        step = np.minimum(step, self.decay_steps + self.warmup_steps)
        decayed_steps = np.maximum(step - self.warmup_steps, 0.0)
        decayed = self.warmup_target * _cosine(decayed_steps / self.decay_steps, self.alpha)
        if self.warmup_steps <= 0:
            return _result(decayed)
        warm = self.initial_learning_rate + (
            (self.warmup_target - self.initial_learning_rate) * step / self.warmup_steps
        )
        return _result(np.where(step < self.warmup_steps, warm, decayed))

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR): period `i` lasts `first_decay_steps * t_mul**i`
    steps and starts at `initial_learning_rate * m_mul**i`.

    >>> schedule = CosineDecayRestarts(1.0, first_decay_steps=10, t_mul=1.0)
    >>> [round(float(schedule(s)), 6) for s in (0, 5, 10)]
    [1.0, 0.5, 1.0]
    """

    def __init__(
        self,
        initial_learning_rate,
        first_decay_steps,
        t_mul=2.0,
        m_mul=1.0,
        alpha=0.0,
        name="SGDRDecay",
    ):
        _check_decay_steps(first_decay_steps, "first_decay_steps")
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self._t_mul = t_mul
        self._m_mul = m_mul
        self.alpha = alpha
        self.name = name

    def __call__(self, step):
        fraction = _steps(step) / self.first_decay_steps
        t_mul = self._t_mul
        if t_mul == 1.0:
            restart = np.floor(fraction)
            fraction = fraction - restart
        else:
            # Periods grow geometrically: solve sum_{k<i} t_mul**k <= fraction for i.
            restart = np.floor(np.log(1.0 - fraction * (1.0 - t_mul)) / math.log(t_mul))
            elapsed = (1.0 - np.power(t_mul, restart)) / (1.0 - t_mul)
            fraction = (fraction - elapsed) / np.power(t_mul, restart)
        scale = np.power(self._m_mul, restart)
        decayed = (1.0 - self.alpha) * 0.5 * scale * (1.0 + np.cos(math.pi * fraction))
        return _result(self.initial_learning_rate * (decayed + self.alpha))

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self._t_mul,
            "m_mul": self._m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }


_SCHEDULES = {
    cls.__name__: cls
    for cls in (
        ExponentialDecay,
        PiecewiseConstantDecay,
        PolynomialDecay,
        InverseTimeDecay,
        CosineDecay,
        CosineDecayRestarts,
    )
}


def serialize(learning_rate_schedule):
    """The schedule as Keras writes it: `{"module", "class_name", "config", "registered_name"}`."""
    cls = type(learning_rate_schedule)
    builtin = _SCHEDULES.get(cls.__name__) is cls
    return {
        "module": "keras.optimizers.schedules" if builtin else cls.__module__,
        "class_name": cls.__name__,
        "config": learning_rate_schedule.get_config(),
        "registered_name": None if builtin else cls.__name__,
    }


def deserialize(config, custom_objects=None):
    """Rebuild a schedule from `serialize`'s dict (custom classes via `custom_objects`)."""
    name = config["class_name"]
    cls = (custom_objects or {}).get(name) or _SCHEDULES.get(name)
    if cls is None:
        raise ValueError(
            f"Unknown learning rate schedule: {name!r}. "
            f"Valid names are: {', '.join(sorted(_SCHEDULES))}."
        )
    return cls.from_config(dict(config.get("config", {})))
