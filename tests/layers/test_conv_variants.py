"""Conv1D/2DTranspose, DepthwiseConv1D/2D, SeparableConv1D/2D and `ops.conv_transpose`:
harness, float64 finite differences, torch forward/gradients, real Keras after a weight copy,
configs, bad arguments."""

import numpy as np
import pytest

from numkeras import layers, ops
from numkeras.saving import deserialize_keras_object
from tests.engine.gradcheck import check_grad, compare_op, rand
from tests.layers.harness import run_layer_test
from tests.layers.reference import assert_matches_torch

CF = {"data_format": "channels_first"}
CASES = [
    (layers.Conv2DTranspose, {"filters": 4, "kernel_size": 3}, (2, 5, 6, 3), (2, 7, 8, 4), 2),
    (
        layers.Conv2DTranspose,
        {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"},
        (2, 5, 6, 3),
        (2, 10, 12, 4),
        2,
    ),
    (
        layers.Conv2DTranspose,
        {
            "filters": 2,
            "kernel_size": (2, 3),
            "strides": (3, 2),
            "output_padding": (1, 0),
            "use_bias": False,
        },
        (2, 4, 3, 3),
        (2, 12, 7, 2),
        1,
    ),
    (
        layers.Conv2DTranspose,
        {"filters": 4, "kernel_size": 3, "dilation_rate": 2, **CF},
        (2, 3, 5, 6),
        (2, 4, 9, 10),
        2,
    ),
    (
        layers.Conv1DTranspose,
        {"filters": 4, "kernel_size": 3, "strides": 2},
        (2, 5, 3),
        (2, 11, 4),
        2,
    ),
    (
        layers.Conv1DTranspose,
        {"filters": 4, "kernel_size": 4, "strides": 2, "padding": "same", **CF},
        (2, 3, 5),
        (2, 4, 10),
        2,
    ),
    (layers.DepthwiseConv2D, {"kernel_size": 3}, (2, 6, 7, 3), (2, 4, 5, 3), 2),
    (
        layers.DepthwiseConv2D,
        {"kernel_size": 3, "depth_multiplier": 2, "strides": 2, "padding": "same"},
        (2, 6, 7, 3),
        (2, 3, 4, 6),
        2,
    ),
    (
        layers.DepthwiseConv2D,
        {"kernel_size": 2, "dilation_rate": 2, "use_bias": False, **CF},
        (2, 3, 6, 6),
        (2, 3, 4, 4),
        1,
    ),
    (layers.DepthwiseConv1D, {"kernel_size": 3, "depth_multiplier": 3}, (2, 7, 2), (2, 5, 6), 2),
    (layers.SeparableConv2D, {"filters": 5, "kernel_size": 3}, (2, 6, 7, 3), (2, 4, 5, 5), 3),
    (
        layers.SeparableConv2D,
        {
            "filters": 5,
            "kernel_size": 3,
            "depth_multiplier": 2,
            "padding": "same",
            "strides": 2,
            **CF,
        },
        (2, 3, 6, 7),
        (2, 5, 3, 4),
        3,
    ),
    (
        layers.SeparableConv1D,
        {"filters": 4, "kernel_size": 2, "use_bias": False},
        (2, 6, 3),
        (2, 5, 4),
        2,
    ),
]


@pytest.mark.parametrize("cls, kwargs, shape, out_shape, n_weights", CASES)
def test_harness(cls, kwargs, shape, out_shape, n_weights):
    run_layer_test(
        cls,
        kwargs,
        input_shape=shape,
        expected_output_shape=out_shape,
        expected_num_weights=n_weights,
    )


# --- ops.conv_transpose -----------------------------------------------------------------------
# (kernel, strides, dilation, padding, output_padding, crops): the crops of torch's full output
# (n - 1) * s + (k - 1) * d + 1 that give Keras's output, derived by hand from TensorFlow's
# conv padding (a negative crop extends with zeros on that side).
OP_CASES = [
    (3, 2, 1, "valid", None, (0, 0)),
    (3, 2, 1, "same", None, (0, 1)),  # conv 'same' of 2n with k=3, s=2 pads (0, 1)
    (4, 2, 1, "same", None, (1, 1)),  # pads (1, 1)
    (3, 1, 2, "same", None, (2, 2)),  # span 5 pads (2, 2)
    (3, 2, 1, "valid", 1, (0, -1)),  # one extra row of zeros on the right
    (2, 3, 1, "valid", None, (0, -1)),  # stride > kernel: output (n - 1) * s + s
    (3, 2, 1, "same", 1, (0, 1)),
    (5, 2, 1, "same", 0, (2, 2)),  # output (n - 1) * s + k % 2 + output_padding
    (3, 2, 2, "valid", None, (0, 0)),  # stride with dilation: col2im adds into the full output
    (4, 3, 1, "same", None, (0, 1)),  # stride 3: three output residues of 2, 1 and 1 taps
]


def _torch_conv_transpose(torch, rank, k, s, d, crops):
    F = torch.nn.functional

    def fn(x, w):
        if rank == 1:
            y = F.conv_transpose1d(x.permute(0, 2, 1), w.permute(2, 1, 0), stride=s, dilation=d)
            return F.pad(y, (-crops[0], -crops[1])).permute(0, 2, 1)
        y = F.conv_transpose2d(x.permute(0, 3, 1, 2), w.permute(3, 2, 0, 1), stride=s, dilation=d)
        return F.pad(y, (-crops[0], -crops[1]) * 2).permute(0, 2, 3, 1)

    return fn


@pytest.mark.parametrize("rank", [1, 2])
@pytest.mark.parametrize("k, s, d, padding, output_padding, crops", OP_CASES)
def test_conv_transpose_matches_torch(torch, rank, k, s, d, padding, output_padding, crops):
    x_shape, w_shape = ((2, 5, 3), (k, 4, 3)) if rank == 1 else ((2, 4, 5, 3), (k, k, 4, 3))
    compare_op(
        [x_shape, w_shape],
        _torch_conv_transpose(torch, rank, k, s, d, crops),
        lambda x, w: ops.conv_transpose(x, w, s, padding, output_padding, None, d),
        atol=1e-4,
        grad_atol=1e-4,
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"strides": 2, "padding": "same"},
        {"strides": (2, 3), "padding": "valid", "output_padding": (1, 2)},
        {"dilation_rate": 2, "padding": "same", "data_format": "channels_first"},
    ],
)
def test_conv_transpose_float64_finite_differences(kwargs):
    x = rand(2, 3, 3, 2, seed=1) if kwargs.get("data_format") is None else rand(2, 2, 3, 3)
    check_grad(lambda x, w: ops.conv_transpose(x, w, **kwargs), x, rand(2, 3, 3, 2, seed=2))


def test_conv_transpose_is_the_adjoint_of_conv():
    """<conv(x, K), y> == <x, conv_transpose(y, K)> for 'same' strided convolutions."""
    x, y, kernel = rand(2, 8, 6, 3, seed=1), rand(2, 4, 3, 5, seed=2), rand(3, 3, 3, 5, seed=3)
    left = np.sum(ops.conv(x, kernel, 2, "same").numpy() * y)
    right = np.sum(x * ops.conv_transpose(y, kernel, 2, "same").numpy())
    np.testing.assert_allclose(left, right, rtol=1e-10)


def test_conv_transpose_by_hand():
    x = np.array([1.0, 2.0], "float32").reshape(1, 2, 1)
    w = np.array([1.0, 10.0, 100.0], "float32").reshape(3, 1, 1)
    # each input scatters the kernel at stride 2: [1, 10, 100+2, 20, 200]
    np.testing.assert_allclose(ops.conv_transpose(x, w, 2).numpy().ravel(), [1, 10, 102, 20, 200])
    np.testing.assert_allclose(
        ops.conv_transpose(x, w, 2, "same").numpy().ravel(), [1, 10, 102, 20]
    )


def test_conv_transpose_keeps_float32_with_a_numpy_kernel():
    x = ops.convert_to_tensor(np.ones((1, 3, 3, 2), "float32"))
    assert ops.conv_transpose(x, np.ones((2, 2, 4, 2)), 2).dtype == "float32"


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: ops.conv_transpose(np.zeros((1, 4, 4, 3)), np.zeros((3, 3, 2, 5))), "3 channels"),
        (lambda: ops.conv_transpose(np.zeros((1, 4, 3)), np.zeros((3, 3, 2, 3))), "4-D input"),
        (
            lambda: ops.conv_transpose(np.zeros((1, 4, 3)), np.zeros((3, 2, 3)), padding="full"),
            "padding",
        ),
        (
            lambda: ops.conv_transpose(np.zeros((1, 4, 3)), np.zeros((3, 2, 3)), output_padding=-1),
            "output_padding",
        ),
    ],
)
def test_conv_transpose_bad_inputs(call, message):
    with pytest.raises(ValueError, match=f"Op `conv_transpose`.*{message}"):
        call()


# --- layers against torch ---------------------------------------------------------------------
def _nchw(torch, fn, first):
    if first:
        return fn
    return lambda t, ws: fn(t.permute(0, 3, 1, 2), ws).permute(0, 2, 3, 1)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kernel_size": 3, "depth_multiplier": 2},
        {"kernel_size": 3, "padding": "same", "dilation_rate": 2, "use_bias": False},
        {"kernel_size": (2, 3), "strides": 2, "depth_multiplier": 3, **CF},
    ],
)
def test_depthwise_matches_torch_groups(torch, kwargs):
    F = torch.nn.functional
    layer = layers.DepthwiseConv2D(**kwargs)
    first = kwargs.get("data_format") == "channels_first"
    x = rand(2, 3, 7, 8, dtype="float32") if first else rand(2, 7, 8, 3, dtype="float32")
    layer(x)

    def fn(t, ws):
        kh, kw, cin, mult = ws[0].shape
        weight = ws[0].reshape(kh, kw, cin * mult).permute(2, 0, 1).unsqueeze(1)
        y = F.conv2d(
            t,
            weight,
            stride=layer.strides,
            padding=layer.padding,
            dilation=layer.dilation_rate,
            groups=cin,
        )
        return y + ws[1].reshape(1, -1, 1, 1) if layer.use_bias else y

    assert_matches_torch(layer, x, _nchw(torch, fn, first), atol=1e-4)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"filters": 4, "kernel_size": 3, "depth_multiplier": 2},
        {"filters": 5, "kernel_size": 3, "padding": "same", **CF},
    ],
)
def test_separable_matches_torch(torch, kwargs):
    F = torch.nn.functional
    layer = layers.SeparableConv2D(**kwargs)
    first = kwargs.get("data_format") == "channels_first"
    x = rand(2, 3, 6, 7, dtype="float32") if first else rand(2, 6, 7, 3, dtype="float32")
    layer(x)

    def fn(t, ws):
        kh, kw, cin, mult = ws[0].shape
        depthwise = ws[0].reshape(kh, kw, cin * mult).permute(2, 0, 1).unsqueeze(1)
        y = F.conv2d(t, depthwise, padding=layer.padding, groups=cin)
        y = F.conv2d(y, ws[1].permute(3, 2, 0, 1))
        return y + ws[2].reshape(1, -1, 1, 1)

    assert_matches_torch(layer, x, _nchw(torch, fn, first), atol=1e-4)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_conv2d_transpose_layer_matches_torch_with_bias(torch, data_format):
    """bias + relu: one fused op for channels_last, the separate ops otherwise."""
    F = torch.nn.functional
    layer = layers.Conv2DTranspose(4, 3, strides=2, activation="relu", data_format=data_format)
    first = data_format == "channels_first"
    x = rand(2, 3, 4, 5, dtype="float32") if first else rand(2, 4, 5, 3, dtype="float32")
    layer(x)
    layer.bias.assign(rand(4, seed=5, dtype="float32"))
    assert layer(x).op == ("relu" if first else "conv_transpose_bias_relu")

    def fn(t, ws):
        t = t if first else t.permute(0, 3, 1, 2)
        y = F.relu(F.conv_transpose2d(t, ws[0].permute(3, 2, 0, 1), ws[1], stride=2))
        return y if first else y.permute(0, 2, 3, 1)

    assert_matches_torch(layer, x, fn, atol=1e-4)


def test_conv1d_transpose_layer_matches_torch_with_bias_relu(torch):
    F = torch.nn.functional
    layer = layers.Conv1DTranspose(4, 3, strides=2, padding="same", activation="relu")
    x = rand(2, 6, 3, dtype="float32")
    layer(x)
    layer.bias.assign(rand(4, seed=5, dtype="float32"))
    assert layer(x).op == "conv_transpose_bias_relu"

    def fn(t, ws):
        y = F.conv_transpose1d(t.permute(0, 2, 1), ws[0].permute(2, 1, 0), ws[1], stride=2)
        return F.relu(F.pad(y, (0, -1))).permute(0, 2, 1)  # 'same' crops the last column

    assert_matches_torch(layer, x, fn, atol=1e-4)


# --- layers against real Keras ----------------------------------------------------------------
KERAS_CASES = [
    (
        layers.Conv2DTranspose,
        {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"},
        (2, 5, 6, 3),
    ),
    (
        layers.Conv2DTranspose,
        {
            "filters": 3,
            "kernel_size": (4, 3),
            "strides": (2, 3),
            "output_padding": (1, 2),
            "activation": "tanh",
        },
        (2, 4, 3, 2),
    ),
    (
        layers.Conv2DTranspose,
        {"filters": 2, "kernel_size": 3, "dilation_rate": 2, "padding": "same", **CF},
        (2, 3, 5, 6),
    ),
    (
        layers.Conv1DTranspose,
        {"filters": 4, "kernel_size": 5, "strides": 2, "padding": "same", "output_padding": 0},
        (2, 6, 3),
    ),
    (
        layers.DepthwiseConv2D,
        {"kernel_size": 3, "depth_multiplier": 2, "strides": 2, "padding": "same"},
        (2, 7, 6, 3),
    ),
    (layers.DepthwiseConv2D, {"kernel_size": 2, "dilation_rate": 2, **CF}, (2, 3, 6, 6)),
    (
        layers.DepthwiseConv1D,
        {"kernel_size": 3, "depth_multiplier": 2, "padding": "same"},
        (2, 7, 3),
    ),
    (
        layers.SeparableConv2D,
        {
            "filters": 5,
            "kernel_size": 3,
            "depth_multiplier": 2,
            "strides": 2,
            "padding": "same",
            "activation": "relu",
        },
        (2, 7, 6, 3),
    ),
    (layers.SeparableConv1D, {"filters": 4, "kernel_size": 3, "dilation_rate": 2, **CF}, (2, 3, 9)),
]


def _plain(value):
    """Keras writes tuples where numkeras writes lists (as JSON would)."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # inside Keras's torch backend
@pytest.mark.parametrize("cls, kwargs, shape", KERAS_CASES)
def test_matches_real_keras_after_weight_copy(keras, cls, kwargs, shape):
    x = rand(*shape, seed=3, dtype="float32")
    theirs = getattr(keras.layers, cls.__name__)(**kwargs)
    ours = deserialize_keras_object(keras.saving.serialize_keras_object(theirs))
    expected = keras.ops.convert_to_numpy(theirs(x))
    assert type(ours) is cls
    ours(x)
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    ours.set_weights([keras.ops.convert_to_numpy(w) for w in theirs.weights])
    np.testing.assert_allclose(ours(x).numpy(), expected, rtol=1e-4, atol=1e-5)
    assert _comparable(ours.get_config()) == _comparable(theirs.get_config())


def _comparable(config):
    """Config values to compare: initializers by class (Keras 3.15's GlorotUniform config adds
    `input_axes`), tuples as lists, without the name and dtype."""
    return {
        k: v["class_name"] if k.endswith("_initializer") else _plain(v)
        for k, v in config.items()
        if k not in ("name", "dtype")
    }


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_keras_reads_our_configs(keras):
    for cls, kwargs, _ in KERAS_CASES:
        config = cls(**kwargs).get_config()
        theirs = getattr(keras.layers, cls.__name__).from_config({**config, "name": "theirs"})
        assert _plain(theirs.get_config())["kernel_size"] == config["kernel_size"]


# --- bad arguments ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "cls, kwargs, name",
    [
        (layers.Conv2DTranspose, {"filters": 0, "kernel_size": 3}, "filters"),
        (layers.Conv2DTranspose, {"filters": 2, "kernel_size": (3, 0)}, "kernel_size"),
        (layers.Conv2DTranspose, {"filters": 2, "kernel_size": 3, "padding": "causal"}, "padding"),
        (
            layers.Conv2DTranspose,
            {"filters": 2, "kernel_size": 3, "strides": 2, "output_padding": 2},
            "output_padding",
        ),
        (
            layers.Conv2DTranspose,
            {"filters": 2, "kernel_size": 3, "output_padding": -1},
            "output_padding",
        ),
        (
            layers.Conv2DTranspose,
            {"filters": 2, "kernel_size": 3, "strides": 2, "dilation_rate": 2},
            "strides",
        ),
        (
            layers.Conv1DTranspose,
            {"filters": 2, "kernel_size": 3, "data_format": "nhwc"},
            "data_format",
        ),
        (layers.DepthwiseConv2D, {"kernel_size": 3, "depth_multiplier": 0}, "depth_multiplier"),
        (layers.DepthwiseConv2D, {"kernel_size": 3, "strides": (1, 2, 3)}, "strides"),
        (layers.DepthwiseConv1D, {"kernel_size": 3, "padding": "full"}, "padding"),
        (layers.SeparableConv2D, {"filters": -1, "kernel_size": 3}, "filters"),
        (
            layers.SeparableConv2D,
            {"filters": 2, "kernel_size": 3, "depth_multiplier": 1.5},
            "depth_multiplier",
        ),
        (
            layers.SeparableConv1D,
            {"filters": 2, "kernel_size": 3, "dilation_rate": 0},
            "dilation_rate",
        ),
    ],
)
def test_bad_arguments_name_the_argument(cls, kwargs, name):
    with pytest.raises(ValueError, match=f"{cls.__name__}: `{name}`"):
        cls(**kwargs)


@pytest.mark.parametrize(
    "layer",
    [
        layers.DepthwiseConv2D(5, name="dw"),
        layers.SeparableConv2D(3, 5, name="dw"),
    ],
)
def test_kernel_larger_than_input_names_the_layer(layer):
    with pytest.raises(ValueError, match=r'"dw": the kernel \(5, 5\)'):
        layer(np.zeros((1, 4, 4, 2), "float32"))


def test_wrong_channel_count_after_build():
    layer = layers.Conv2DTranspose(2, 3, name="up")
    layer(np.zeros((1, 4, 4, 3), "float32"))
    with pytest.raises(ValueError, match="'up' is incompatible.*axis -1"):
        layer(np.zeros((1, 4, 4, 5), "float32"))
