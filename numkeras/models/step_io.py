"""What `train_step`/`test_step` receive (Keras's packed batch) and what callbacks get back."""

from numkeras.engine import Tensor


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """A batch as Keras hands it to a step: `(x, y, sample_weight)`, `(x, y)` without sample
    weights, and `x` alone (`(x,)` for a tuple or list `x`) without targets.

    >>> pack_x_y_sample_weight("x", "y")
    ('x', 'y')
    """
    if sample_weight is not None:
        return (x, y, sample_weight)
    if y is None:
        return (x,) if isinstance(x, (tuple, list)) else x
    return (x, y)


def pythonify_logs(logs):
    """Step logs for callbacks in Keras's order (top-level keys sorted, a nested dict's
    entries, such as a metrics container's results, in its key's place), tensors and NumPy
    scalars made Python floats.

    >>> import numpy as np
    >>> pythonify_logs({"loss": np.float32(0.5), "compile_metrics": {"mae": 1}})
    {'mae': 1.0, 'loss': 0.5}
    """
    out = {}
    for key, value in sorted((logs or {}).items()):
        if isinstance(value, dict):
            out.update(pythonify_logs(value))
            continue
        try:
            out[key] = float(value.data if isinstance(value, Tensor) else value)
        except (TypeError, ValueError):  # a non-scalar value is passed on as it is
            out[key] = value
    return out
