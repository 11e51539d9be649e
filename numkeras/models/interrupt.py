"""Ctrl-C during `fit`: finish the training step under way, then raise KeyboardInterrupt.

A step mutates state in several places (moving statistics in the forward pass, then one
variable after another in the optimizer), so an interrupt in the middle would leave weights
that no number of steps produces. While `fit` runs, SIGINT is caught: inside a step it is
only noted, and KeyboardInterrupt is raised as soon as the step has finished; between steps
(reading data, callbacks) it is raised at once, as usual.
"""

import signal
import threading


class StepGuard:
    """Context manager for a training loop; `run(fn, *args)` runs one uninterruptible step.

    The SIGINT handler is installed only in the main thread and only over Python's default
    handler (a handler the user installed is left alone).

    >>> with StepGuard() as guard:
    ...     guard.run(sum, [1, 2])
    3
    """

    def __init__(self):
        self.in_step = False
        self.pending = False
        self._previous = None

    def __enter__(self):
        if (
            threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGINT) is signal.default_int_handler
        ):
            self._previous = signal.signal(signal.SIGINT, self._on_sigint)
        return self

    def __exit__(self, *exc_info):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None
        return False

    def _on_sigint(self, signum, frame):
        if not self.in_step:
            raise KeyboardInterrupt
        self.pending = True

    def run(self, fn, *args):
        self.in_step = True
        try:
            result = fn(*args)
        finally:
            self.in_step = False
        if self.pending:
            self.pending = False
            raise KeyboardInterrupt("Training interrupted after the current batch finished.")
        return result
