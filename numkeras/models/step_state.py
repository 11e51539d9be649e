"""A training step is all or nothing: if it raises, every variable it changed (moving
statistics, metric state, ...) gets back the value it had before the step.

Until the optimizer runs, variables change only by `assign`, which the step's journal notes
(see `Variable`); `Model.train_step` runs the optimizer, which updates in place, last, so
whatever fails before it (forward pass, loss, gradients, metrics) leaves the model as it was.
"""

import functools

from numkeras.engine.variable import assignments_undone_on_error


def all_or_nothing(step):
    """`step` (a train step) with every `assign` it makes undone if it raises."""

    @functools.wraps(step)
    def run(*args):
        with assignments_undone_on_error():
            return step(*args)

    return run
