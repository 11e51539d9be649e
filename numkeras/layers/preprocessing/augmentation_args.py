"""Argument checks shared by the random image augmentation layers."""


def factor_range(layer, name, factor, low=-1.0, high=1.0, low_open=False):
    """`(lower, upper)` from a number f, read as (max(-|f|, low), |f|), or a pair (sorted).

    Every number must lie in [low, high] ((low, high] with `low_open`), as Keras requires.
    """
    pair = isinstance(factor, (tuple, list))
    values = tuple(factor) if pair else (factor,)
    if (pair and len(values) != 2) or not all(
        isinstance(v, (int, float))
        and not isinstance(v, bool)
        and (low < v if low_open else low <= v)
        and v <= high
        for v in values
    ):
        bounds = f"{'(' if low_open else '['}{low}, {high}]"
        raise ValueError(
            f"{type(layer).__name__}: `{name}` must be a number (or a list of two numbers) in "
            f"the range {bounds}, received {name}={factor!r}."
        )
    if pair:
        return tuple(sorted(values))
    return max(-abs(factor), low), abs(factor)


def pixel_range(layer, value):
    """The pixel value range: a list or tuple of two numbers."""
    if (
        not isinstance(value, (tuple, list))
        or len(value) != 2
        or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
    ):
        raise ValueError(
            f"{type(layer).__name__}: `value_range` must be a list of two numbers, "
            f"received value_range={value!r}."
        )
    return value
