"""Argument checks shared by layer constructors: clear errors naming the layer and argument."""


def positive_int(layer, name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(
            f"{type(layer).__name__}: `{name}` must be a positive integer, "
            f"received {name}={value!r}."
        )
    return value


def int_tuple(layer, name, value, n, allow_zero=False):
    """`value` (an int or a sequence of n ints) as a tuple of n ints, each >= 1 (or >= 0)."""
    values = (value,) * n if isinstance(value, int) and not isinstance(value, bool) else value
    try:
        values = tuple(values)
    except TypeError:
        values = ()
    low = 0 if allow_zero else 1
    if len(values) != n or any(
        isinstance(v, bool) or not isinstance(v, int) or v < low for v in values
    ):
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(
            f"{type(layer).__name__}: `{name}` must be an integer or a tuple of {n} {kind} "
            f"integers, received {name}={value!r}."
        )
    return values


def choice(layer, name, value, options):
    lowered = value.lower() if isinstance(value, str) else value
    if lowered not in options:
        raise ValueError(
            f"{type(layer).__name__}: `{name}` must be one of {options}, received {name}={value!r}."
        )
    return lowered


def data_format(layer, value):
    from numkeras.backend import image_data_format

    lowered = (
        (value or image_data_format()).lower() if isinstance(value, (str, type(None))) else value
    )
    if lowered not in ("channels_last", "channels_first"):  # raised here: a short traceback
        raise ValueError(
            f"{type(layer).__name__}: `data_format` must be one of "
            "('channels_last', 'channels_first'), received "
            f"data_format={value!r}."
        )
    return lowered
