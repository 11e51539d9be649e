"""Property-based tests over layer arguments and input shapes (hypothesis): building a layer and
calling it either succeeds, with the output shape `compute_output_shape` promises (eagerly and
symbolically), or fails with a ValueError that names an argument or the layer, never with
another exception type."""

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import numkeras  # noqa: E402
from numkeras import layers  # noqa: E402

SETTINGS = settings(
    max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
RNG = np.random.default_rng(0)

sizes = st.integers(1, 7)
positive = st.integers(1, 5)
paddings = st.sampled_from(["valid", "same"])
formats = st.sampled_from(["channels_last", "channels_first"])
# One argument in about three is replaced by a value that may be wrong: zero, negative, a float,
# a string, None, a tuple of the wrong length.
JUNK = st.sampled_from([0, -1, 2.5, "x", None, (2, 2, 2), True])


def spoil(names):
    """(name of the argument to replace or None, the replacement)."""
    return st.tuples(st.sampled_from([None] * (len(names) * 2) + list(names)), JUNK)


def spoiled(kwargs, spoiler):
    name, value = spoiler
    return {**kwargs, name: value} if name else kwargs


def shape_of(output):
    return (
        [tuple(o.shape) for o in output]
        if isinstance(output, (list, tuple))
        else tuple(output.shape)
    )


def unbatched(shapes):
    if isinstance(shapes, list):
        return [unbatched(s) for s in shapes]
    return tuple(shapes[1:])


def assert_names_something(error, kwargs, layer=None):
    message = str(error)
    names = [f"`{k}`" for k in kwargs] + [f"{k}=" for k in kwargs] + [f"{k} " for k in kwargs]
    if layer is not None:
        names += [f'"{layer.name}"', f"'{layer.name}'"]
    assert any(name in message for name in names), (kwargs, message)


def check(cls, kwargs, input_shape, inputs=None):
    """The property: a ValueError naming an argument (or the layer), or matching shapes."""
    try:
        layer = cls(**kwargs)
    except ValueError as error:
        assert_names_something(error, kwargs)
        event("refused by the constructor")
        return None
    symbolic_layer = cls(**kwargs)
    try:  # on a symbolic Input (unknown batch size), as in a functional model
        symbolic = unbatched(shape_of(symbolic_layer(numkeras.Input(input_shape[1:]))))
    except ValueError as error:
        assert_names_something(error, kwargs, symbolic_layer)
        symbolic = None
    x = RNG.standard_normal(input_shape).astype("float32") if inputs is None else inputs
    try:
        output = layer(x)
    except ValueError as error:
        assert_names_something(error, kwargs, layer)
        event("refused by the call")
        return None
    event("built and called")
    expected = layer.compute_output_shape((None,) + tuple(input_shape[1:]))
    expected = unbatched(
        [tuple(s) for s in expected] if isinstance(expected, list) else tuple(expected)
    )
    assert unbatched(shape_of(output)) == expected
    assert symbolic is None or symbolic == expected
    return output


@SETTINGS
@given(
    units=positive,
    use_bias=st.booleans(),
    shape=st.lists(sizes, min_size=1, max_size=3),
    spoiler=spoil(["units", "use_bias", "activation"]),
)
def test_dense(units, use_bias, shape, spoiler):
    check(layers.Dense, spoiled({"units": units, "use_bias": use_bias}, spoiler), (2, *shape))


@SETTINGS
@given(
    filters=positive,
    kernel=positive,
    strides=st.integers(1, 3),
    padding=st.sampled_from(["valid", "same", "causal"]),
    dilation=st.integers(1, 3),
    steps=sizes,
    channels=sizes,
    spoiler=spoil(["filters", "kernel_size", "strides", "padding", "dilation_rate"]),
)
def test_conv1d(filters, kernel, strides, padding, dilation, steps, channels, spoiler):
    kwargs = {
        "filters": filters,
        "kernel_size": kernel,
        "strides": strides,
        "padding": padding,
        "dilation_rate": dilation,
    }
    check(layers.Conv1D, spoiled(kwargs, spoiler), (2, steps, channels))


@SETTINGS
@given(
    filters=positive,
    kernel=st.tuples(positive, positive),
    strides=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    padding=paddings,
    data_format=formats,
    height=sizes,
    width=sizes,
    channels=st.integers(1, 3),
    spoiler=spoil(["filters", "kernel_size", "strides", "padding", "data_format"]),
)
def test_conv2d(filters, kernel, strides, padding, data_format, height, width, channels, spoiler):
    kwargs = {
        "filters": filters,
        "kernel_size": kernel,
        "strides": strides,
        "padding": padding,
        "data_format": data_format,
    }
    check(layers.Conv2D, spoiled(kwargs, spoiler), (2, height, width, channels))


@SETTINGS
@given(
    cls=st.sampled_from([layers.MaxPooling1D, layers.AveragePooling1D, layers.GlobalMaxPooling1D]),
    pool=positive,
    strides=st.none() | st.integers(1, 3),
    padding=paddings,
    data_format=formats,
    steps=sizes,
    channels=sizes,
    spoiler=spoil(["pool_size", "strides", "padding", "data_format"]),
)
def test_pooling1d(cls, pool, strides, padding, data_format, steps, channels, spoiler):
    kwargs = {"pool_size": pool, "strides": strides, "padding": padding, "data_format": data_format}
    if cls is layers.GlobalMaxPooling1D:
        kwargs = {"data_format": data_format}
    check(cls, spoiled(kwargs, spoiler) if "pool_size" in kwargs else kwargs, (2, steps, channels))


@SETTINGS
@given(
    cls=st.sampled_from([layers.MaxPooling2D, layers.AveragePooling2D]),
    pool=st.tuples(positive, positive),
    strides=st.none() | st.integers(1, 3),
    padding=paddings,
    data_format=formats,
    height=sizes,
    width=sizes,
    spoiler=spoil(["pool_size", "strides", "padding", "data_format"]),
)
def test_pooling2d(cls, pool, strides, padding, data_format, height, width, spoiler):
    kwargs = {"pool_size": pool, "strides": strides, "padding": padding, "data_format": data_format}
    check(cls, spoiled(kwargs, spoiler), (2, height, width, 2))


@SETTINGS
@given(
    target=st.lists(st.integers(-1, 6), min_size=1, max_size=3),
    shape=st.lists(sizes, min_size=1, max_size=3),
    spoiler=spoil(["target_shape"]),
)
def test_reshape(target, shape, spoiler):
    output = check(layers.Reshape, spoiled({"target_shape": tuple(target)}, spoiler), (2, *shape))
    if output is not None:
        assert np.prod(output.shape[1:]) == np.prod(shape)


@SETTINGS
@given(
    data_format=formats,
    shape=st.lists(sizes, min_size=0, max_size=3),
    spoiler=spoil(["data_format"]),
)
def test_flatten(data_format, shape, spoiler):
    output = check(layers.Flatten, spoiled({"data_format": data_format}, spoiler), (2, *shape))
    if output is not None:
        assert output.shape == (2, int(np.prod(shape)))


@SETTINGS
@given(
    rate=st.floats(0, 1),
    noise=st.booleans(),
    shape=st.lists(sizes, min_size=1, max_size=3),
    training=st.booleans(),
    spoiler=spoil(["rate", "noise_shape", "seed"]),
)
def test_dropout(rate, noise, shape, training, spoiler):
    kwargs = spoiled(
        {"rate": rate, "noise_shape": (None,) + (1,) * len(shape) if noise else None}, spoiler
    )
    output = check(layers.Dropout, kwargs, (2, *shape))
    if output is not None:  # and in training mode
        layer = layers.Dropout(**kwargs)
        assert layer(np.ones((2, *shape), "float32"), training=training).shape == (2, *shape)


@SETTINGS
@given(
    input_dim=st.integers(1, 8),
    output_dim=positive,
    high=st.integers(1, 10),
    length=sizes,
    spoiler=spoil(["input_dim", "output_dim"]),
)
def test_embedding(input_dim, output_dim, high, length, spoiler):
    ids = RNG.integers(0, high, (2, length))
    check(
        layers.Embedding,
        spoiled({"input_dim": input_dim, "output_dim": output_dim}, spoiler),
        (2, length),
        inputs=ids,
    )


@SETTINGS
@given(
    axis=st.integers(-4, 3),
    momentum=st.floats(0, 1),
    center=st.booleans(),
    scale=st.booleans(),
    shape=st.lists(sizes, min_size=1, max_size=3),
    spoiler=spoil(["axis", "epsilon", "momentum"]),
)
def test_batch_normalization(axis, momentum, center, scale, shape, spoiler):
    kwargs = {"axis": axis, "momentum": momentum, "center": center, "scale": scale}
    check(layers.BatchNormalization, spoiled(kwargs, spoiler), (2, *shape))


@settings(max_examples=80, deadline=None, derandomize=True)
@given(
    units=positive,
    return_sequences=st.booleans(),
    return_state=st.booleans(),
    go_backwards=st.booleans(),
    dropout=st.sampled_from([0.0, 0.5]),
    steps=sizes,
    features=st.integers(1, 3),
    spoiler=spoil(["units", "dropout", "activation"]),
)
def test_lstm(
    units, return_sequences, return_state, go_backwards, dropout, steps, features, spoiler
):
    kwargs = {
        "units": units,
        "return_sequences": return_sequences,
        "return_state": return_state,
        "go_backwards": go_backwards,
        "dropout": dropout,
    }
    check(layers.LSTM, spoiled(kwargs, spoiler), (2, steps, features))
