"""This process's part in a multi-process run. In data-parallel training (numkeras.distribution,
which sets it) only the chief, process 0, writes files and prints; alone, a process is the chief."""

_role = {"chief": True}


def is_chief():
    """Whether this process writes files and prints (True unless a distribution says otherwise)."""
    return _role["chief"]


def set_chief(chief):
    """Called by numkeras.distribution when a distribution is set or unset."""
    _role["chief"] = bool(chief)
