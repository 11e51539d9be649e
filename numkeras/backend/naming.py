"""Process-global name counters behind Keras's automatic names (`dense`, `dense_1`, ...).

Keras keeps one counter per base name for the whole process, so a second model built in the
same session gets `sequential_1`, `dense_1`, and so on; `clear_session()` starts them over.
"""

import collections
import re

__all__ = ["auto_name", "reset", "to_snake_case", "uniquify"]

_name_counts = collections.defaultdict(int)
uids = {}  # get_uid's counters, by prefix


def to_snake_case(name):
    """`"MaxPooling2D"` -> `"max_pooling2d"`, the way Keras derives default layer names.

    >>> to_snake_case("MaxPooling2D"), to_snake_case("Conv2D"), to_snake_case("dense")
    ('max_pooling2d', 'conv2d', 'dense')
    """
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def uniquify(name):
    """Return `name` the first time it is seen in this session, then `name_1`, `name_2`, ..."""
    count = _name_counts[name]
    _name_counts[name] += 1
    return f"{name}_{count}" if count else name


def auto_name(base):
    """A session-unique snake_case name built from `base` (a class name or a snake_case name).

    >>> reset()
    >>> auto_name("Dense"), auto_name("dense"), auto_name("MaxPooling2D")
    ('dense', 'dense_1', 'max_pooling2d')
    >>> reset()
    """
    return uniquify(to_snake_case(base))


def reset():
    """Forget every name and uid handed out so far (what `clear_session()` does)."""
    _name_counts.clear()
    uids.clear()
