"""Errors and warnings about a user's arguments, reported at the user's own line.

The checks on what `fit`, `evaluate` or `predict` receive run a few calls deep (data
conversion, shape and label checks). A ValueError or TypeError they raise is about the
arguments, so the public method re-raises it from its own frame: the traceback ends one or
two frames below the user's call, with no chain of internal exceptions. Only the
argument-checking part of a public call is wrapped (never the training loop), only these
exact exception types and only when numkeras itself raised them (an error from NumPy keeps its
whole traceback), and no frame is ever filtered out of any other traceback.
"""

import os
import sys
import warnings

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep  # numkeras/


class checking_arguments:
    """Context manager around a public call's argument checks.

    Args:
        *types: the exception types to re-raise from here (ValueError and TypeError by
            default; exactly these classes, not subclasses).

    >>> import traceback
    >>> from numkeras.layers import Dense
    >>> def public(units):
    ...     with checking_arguments():
    ...         return Dense(units)  # the check that fails is two calls further down
    >>> try:
    ...     public(0)
    ... except ValueError as error:
    ...     print([frame.name for frame in traceback.extract_tb(error.__traceback__)])
    ['<module>', 'public', '__exit__']
    """

    def __init__(self, *types):
        self.types = types or (ValueError, TypeError)

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if kind in self.types and _raised_by_numkeras(traceback):
            raise error.with_traceback(None) from None
        return False


def _raised_by_numkeras(traceback):
    while traceback.tb_next is not None:
        traceback = traceback.tb_next
    return os.path.abspath(traceback.tb_frame.f_code.co_filename).startswith(_PACKAGE)


def user_stacklevel():
    """The `stacklevel` that makes a warning point at the first frame outside numkeras."""
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    return level


def warn_user(message, category=UserWarning):
    """`warnings.warn` attributed to the user's line that called into numkeras."""
    warnings.warn(message, category, stacklevel=user_stacklevel())
