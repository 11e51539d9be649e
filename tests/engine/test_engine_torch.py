"""Every op PyTorch also has: float32 forward values and input gradients agree with torch."""

import numpy as np
import pytest
from gradcheck import compare_op, rand

from numkeras import ops
from numkeras.kernels.conv import output_size

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle
F = torch.nn.functional
EPS = 1e-7

POS = rand(3, 4, low=0.5, high=2.5, dtype="float32")
PROBS = rand(3, 5, low=0.01, high=1.0, dtype="float32")
TARGET = rand(3, 5, low=0.0, high=1.0, seed=3, dtype="float32")
LABELS = np.array([4, 0, 2])
# probabilities at the edges, so Keras's clipping to [1e-7, 1 - 1e-7] matters
EDGE = np.array([[1e-9, 0.3, 0.7], [0.999999999, 0.5, 1e-9]], "float32")
EDGE_T = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 1.0]], "float32")


def keras_categorical(t, p):
    p = torch.clamp(p / p.sum(-1, keepdim=True), EPS, 1 - EPS)
    return -(t * torch.log(p)).sum(-1)


def keras_binary(t, p):
    p = torch.clamp(p, EPS, 1 - EPS)
    return -(t * torch.log(p) + (1 - t) * torch.log(1 - p))


CASES = [
    # --- elementwise --------------------------------------------------------------------
    ("add", [(3, 4), (4,)], torch.add, ops.add),
    ("subtract", [(3, 1), (1, 4)], torch.sub, ops.subtract),
    ("multiply", [(2, 3, 4), (3, 1)], torch.mul, ops.multiply),
    ("divide", [(3, 4), POS], torch.div, ops.divide),
    ("power", [POS, (3, 4)], torch.pow, ops.power),
    ("maximum", [(3, 4), (3, 4)], torch.maximum, ops.maximum),
    ("minimum", [(3, 4), (4,)], torch.minimum, ops.minimum),
    (
        "where",
        [(3, 4), (3, 4)],
        lambda a, b: torch.where(a > b, a, b * 2),
        lambda a, b: ops.where(a > b, a, b * 2),
    ),
    ("negative", [(3, 4)], torch.neg, ops.negative),
    ("abs", [(3, 4)], torch.abs, ops.abs),
    ("exp", [(3, 4)], torch.exp, ops.exp),
    ("log", [POS], torch.log, ops.log),
    ("log1p", [POS], torch.log1p, ops.log1p),
    ("sqrt", [POS], torch.sqrt, ops.sqrt),
    ("rsqrt", [POS], torch.rsqrt, ops.rsqrt),
    ("square", [(3, 4)], torch.square, ops.square),
    ("sin", [(3, 4)], torch.sin, ops.sin),
    ("cos", [(3, 4)], torch.cos, ops.cos),
    ("tanh", [(3, 4)], torch.tanh, ops.tanh),
    ("clip", [(3, 4)], lambda x: torch.clamp(x, -0.5, 1.0), lambda x: ops.clip(x, -0.5, 1.0)),
    ("matmul", [(3, 4), (4, 5)], torch.matmul, ops.matmul),
    ("matmul_batched", [(2, 1, 3, 4), (3, 4, 2)], torch.matmul, ops.matmul),
    ("matmul_vector", [(4,), (2, 4, 3)], torch.matmul, ops.matmul),
    ("dot", [(3, 4), (4,)], torch.matmul, ops.dot),
    ("dot_nd", [(2, 3, 4), (5, 4, 2)], lambda a, b: torch.tensordot(a, b, ([2], [1])), ops.dot),
    # --- reductions ---------------------------------------------------------------------
    ("sum", [(2, 3, 4)], lambda x: x.sum((0, 2)), lambda x: ops.sum(x, axis=(0, 2))),
    ("mean", [(2, 3, 4)], lambda x: x.mean(1, keepdim=True), lambda x: ops.mean(x, 1, True)),
    ("max", [(3, 4)], lambda x: x.amax(-1), lambda x: ops.max(x, axis=-1)),
    ("min", [(3, 4)], lambda x: x.amin(0), lambda x: ops.min(x, axis=0)),
    ("prod", [(3, 4)], lambda x: x.prod(1), lambda x: ops.prod(x, axis=1)),
    ("var", [(3, 4)], lambda x: x.var(1, unbiased=False), lambda x: ops.var(x, axis=1)),
    ("std", [(3, 4)], lambda x: x.std(0, unbiased=False), lambda x: ops.std(x, axis=0)),
    ("logsumexp", [(3, 4)], lambda x: torch.logsumexp(x, -1), lambda x: ops.logsumexp(x, -1)),
    # --- shape ops ------------------------------------------------------------------------
    ("reshape", [(2, 6)], lambda x: x.reshape(3, 4) * 2, lambda x: ops.reshape(x, (3, 4)) * 2),
    ("transpose", [(2, 3, 4)], lambda x: x.permute(1, 2, 0), lambda x: ops.transpose(x, (1, 2, 0))),
    ("moveaxis", [(2, 3, 4)], lambda x: torch.movedim(x, 0, -1), lambda x: ops.moveaxis(x, 0, -1)),
    ("swapaxes", [(2, 3, 4)], lambda x: x.transpose(0, 2), lambda x: ops.swapaxes(x, 0, 2)),
    ("expand_dims", [(3, 4)], lambda x: x.unsqueeze(-1), lambda x: ops.expand_dims(x, -1)),
    ("squeeze", [(3, 1, 4)], lambda x: x.squeeze(1), lambda x: ops.squeeze(x, 1)),
    (
        "broadcast_to",
        [(3, 1)],
        lambda x: x.expand(2, 3, 4),
        lambda x: ops.broadcast_to(x, (2, 3, 4)),
    ),
    ("tile", [(2, 3)], lambda x: x.tile(2, 2), lambda x: ops.tile(x, (2, 2))),
    ("repeat", [(2, 3)], lambda x: x.repeat_interleave(2, 1), lambda x: ops.repeat(x, 2, axis=1)),
    (
        "concatenate",
        [(2, 3), (2, 2)],
        lambda a, b: torch.cat([a, b], 1),
        lambda a, b: ops.concatenate([a, b], axis=1),
    ),
    (
        "stack",
        [(2, 3), (2, 3)],
        lambda a, b: torch.stack([a, b], -1),
        lambda a, b: ops.stack([a, b], axis=-1),
    ),
    ("split", [(4, 3)], lambda x: torch.split(x, 1, 0)[3], lambda x: ops.split(x, 4, axis=0)[3]),
    ("getitem", [(4, 5)], lambda x: x[1:3, [0, 4, 0]], lambda x: x[1:3, [0, 4, 0]]),
    (
        "take",
        [(4, 5)],
        lambda x: x.index_select(1, torch.tensor([3, 3, 0])),
        lambda x: ops.take(x, [3, 3, 0], axis=1),
    ),
    (
        "take_along_axis",
        [(3, 5)],
        lambda x: torch.gather(x, 1, torch.tensor(LABELS)[:, None]),
        lambda x: ops.take_along_axis(x, LABELS[:, None], axis=1),
    ),
    ("pad", [(2, 3)], lambda x: F.pad(x, (2, 0, 1, 1)), lambda x: ops.pad(x, ((1, 1), (2, 0)))),
    # --- activations ---------------------------------------------------------------------
    ("relu", [(3, 4)], torch.relu, ops.relu),
    ("relu6", [rand(3, 4, low=-8, high=8)], F.relu6, ops.relu6),
    ("leaky_relu", [(3, 4)], lambda x: F.leaky_relu(x, 0.2), ops.leaky_relu),
    ("elu", [(3, 4)], F.elu, ops.elu),
    ("selu", [(3, 4)], F.selu, ops.selu),
    ("sigmoid", [rand(3, 4, low=-20, high=20)], torch.sigmoid, ops.sigmoid),
    ("hard_sigmoid", [rand(3, 4, low=-5, high=5)], lambda x: F.relu6(x + 3) / 6, ops.hard_sigmoid),
    ("softplus", [rand(3, 4, low=-20, high=20)], F.softplus, ops.softplus),
    ("softsign", [(3, 4)], F.softsign, ops.softsign),
    ("silu", [(3, 4)], F.silu, ops.silu),
    ("gelu", [rand(3, 4, low=-4, high=4)], lambda x: F.gelu(x, approximate="tanh"), ops.gelu),
    ("gelu_exact", [rand(3, 4, low=-4, high=4)], F.gelu, lambda x: ops.gelu(x, approximate=False)),
    ("softmax", [(3, 5)], lambda x: torch.softmax(x, -1), ops.softmax),
    ("softmax_axis0", [(3, 5)], lambda x: torch.softmax(x, 0), lambda x: ops.softmax(x, axis=0)),
    ("log_softmax", [(3, 5)], lambda x: torch.log_softmax(x, -1), ops.log_softmax),
    # --- losses ---------------------------------------------------------------------------
    ("categorical_ce", [TARGET, PROBS], keras_categorical, ops.categorical_crossentropy),
    ("categorical_ce_clipped", [EDGE_T, EDGE], keras_categorical, ops.categorical_crossentropy),
    (
        "categorical_ce_logits",
        [TARGET, (3, 5)],
        lambda t, z: F.cross_entropy(z, t, reduction="none"),
        lambda t, z: ops.categorical_crossentropy(t, z, from_logits=True),
    ),
    (
        "sparse_ce",
        [PROBS],
        lambda p: keras_categorical(F.one_hot(torch.tensor(LABELS), 5), p),
        lambda p: ops.sparse_categorical_crossentropy(LABELS, p),
    ),
    (
        "sparse_ce_logits",
        [(3, 5)],
        lambda z: F.cross_entropy(z, torch.tensor(LABELS), reduction="none"),
        lambda z: ops.sparse_categorical_crossentropy(LABELS, z, from_logits=True),
    ),
    # a softmax or sigmoid output may be replaced by its logits, but only for its own loss
    (
        "categorical_ce_of_softmax",
        [TARGET, (3, 5)],
        lambda t, z: keras_categorical(t, torch.softmax(z, -1)),
        lambda t, z: ops.categorical_crossentropy(t, ops.softmax(z)),
    ),
    (
        "categorical_ce_of_softmax_other_axis",
        [TARGET, (3, 5)],
        lambda t, z: keras_categorical(t, torch.softmax(z, 0)),
        lambda t, z: ops.categorical_crossentropy(t, ops.softmax(z, axis=0)),
    ),
    (
        "categorical_ce_of_sigmoid",
        [TARGET, (3, 5)],
        lambda t, z: keras_categorical(t, torch.sigmoid(z)),
        lambda t, z: ops.categorical_crossentropy(t, ops.sigmoid(z)),
    ),
    (
        "binary_ce_of_sigmoid",
        [TARGET, (3, 5)],
        lambda t, z: keras_binary(t, torch.sigmoid(z)),
        lambda t, z: ops.binary_crossentropy(t, ops.sigmoid(z)),
    ),
    (
        "binary_ce_of_softmax",
        [TARGET, (3, 5)],
        lambda t, z: keras_binary(t, torch.softmax(z, -1)),
        lambda t, z: ops.binary_crossentropy(t, ops.softmax(z)),
    ),
    ("binary_ce", [TARGET, PROBS], keras_binary, ops.binary_crossentropy),
    ("binary_ce_clipped", [EDGE_T, EDGE], keras_binary, ops.binary_crossentropy),
    (
        "binary_ce_logits",
        [TARGET, rand(3, 5, low=-30, high=30)],
        lambda t, z: F.binary_cross_entropy_with_logits(z, t, reduction="none"),
        lambda t, z: ops.binary_crossentropy(t, z, from_logits=True),
    ),
]


def params(cases):
    return [pytest.param(*case[1:], id=case[0]) for case in cases]


@pytest.mark.parametrize("shapes, torch_fn, our_fn", params(CASES))
def test_matches_torch(shapes, torch_fn, our_fn):
    compare_op(shapes, torch_fn, our_fn)


def nhwc(fn):
    """Run a torch NCHW function on NHWC (or NWC) tensors."""

    def run(x, *args):
        if x.ndim == 3:
            return fn(x.permute(0, 2, 1), *args).permute(0, 2, 1)
        return fn(x.permute(0, 3, 1, 2), *args).permute(0, 2, 3, 1)

    return run


def tf_pad(x, kernel, strides, dilation, value=0.0):
    """TensorFlow's 'same' padding of an NCHW (or NCW) torch tensor, asymmetric if needed."""
    pads = []
    for n, k, s, d in zip(x.shape[2:], kernel, strides, dilation):
        pads = list(output_size(n, k, s, "same", d)[1]) + pads
    return F.pad(x, pads, value=value)


def torch_conv(strides=1, padding="valid", dilation=1, channels_first=False):
    def run(x, k):
        rank = k.ndim - 2
        s, d = (strides,) * rank if isinstance(strides, int) else strides, (dilation,) * rank
        x = x if channels_first else x.movedim(-1, 1)
        w = k.permute(-1, -2, *range(rank))  # (kh, kw, in, out) -> (out, in, kh, kw)
        if padding == "same":
            x = tf_pad(x, k.shape[:rank], s, d)
        groups = x.shape[1] // k.shape[-2]
        conv = F.conv1d if rank == 1 else F.conv2d
        y = conv(x, w, stride=s, dilation=d, groups=groups)
        return y if channels_first else y.movedim(1, -1)

    return run


def our_conv(**kw):
    return lambda x, k: ops.conv(x, k, **kw)


def conv_case(name, shapes, **kw):
    torch_kw = dict(kw)
    torch_kw["dilation"] = torch_kw.pop("dilation_rate", 1)
    torch_kw["channels_first"] = torch_kw.pop("data_format", None) == "channels_first"
    return pytest.param(shapes, torch_conv(**torch_kw), our_conv(**kw), id=name)


CONV_CASES = [
    conv_case("valid", [(2, 6, 5, 3), (3, 3, 3, 4)]),
    conv_case("strides", [(2, 7, 6, 3), (3, 2, 3, 4)], strides=(2, 1)),
    conv_case("same", [(2, 5, 6, 3), (3, 3, 3, 2)], padding="same"),
    conv_case("same_even_kernel_stride2", [(1, 6, 7, 2), (4, 4, 2, 3)], padding="same", strides=2),
    conv_case("dilation", [(1, 8, 7, 2), (3, 3, 2, 3)], dilation_rate=2),
    conv_case("dilation_same", [(1, 6, 6, 2), (3, 3, 2, 3)], dilation_rate=2, padding="same"),
    conv_case("groups", [(2, 5, 5, 6), (3, 3, 2, 9)]),
    conv_case("depthwise", [(2, 5, 5, 4), (3, 3, 1, 4)], padding="same"),
    conv_case("depth_multiplier", [(2, 6, 5, 2), (3, 3, 1, 6)]),
    conv_case("input_smaller_than_kernel", [(1, 2, 2, 3), (3, 3, 3, 2)], padding="same", strides=2),
    conv_case("conv1d", [(2, 9, 3), (3, 3, 5)]),
    conv_case(
        "conv1d_groups_dilation_same",
        [(2, 4, 9), (3, 2, 6)],
        data_format="channels_first",
        dilation_rate=2,
        padding="same",
    ),
    conv_case("conv1d_same_stride", [(2, 9, 3), (4, 3, 2)], padding="same", strides=2),
    conv_case("channels_first", [(2, 3, 6, 5), (3, 3, 3, 4)], data_format="channels_first"),
    conv_case(
        "conv1d_channels_first", [(2, 3, 8), (3, 3, 2)], data_format="channels_first", strides=2
    ),
]


@pytest.mark.parametrize("shapes, torch_fn, our_fn", CONV_CASES)
def test_conv_matches_torch(shapes, torch_fn, our_fn):
    compare_op(shapes, torch_fn, our_fn, atol=1e-4, grad_atol=1e-4)


def torch_max_pool_same(pool, strides):
    def run(x):
        x = tf_pad(
            x,
            (pool,) * (x.ndim - 2),
            (strides,) * (x.ndim - 2),
            (1,) * (x.ndim - 2),
            value=-float("inf"),
        )
        return (F.max_pool1d if x.ndim == 3 else F.max_pool2d)(x, pool, strides)

    return run


POOL_CASES = [
    ("max", [(2, 4, 6, 3)], nhwc(lambda x: F.max_pool2d(x, 2)), lambda x: ops.max_pool(x, 2)),
    (
        "max_overlap",
        [(1, 7, 6, 2)],
        nhwc(lambda x: F.max_pool2d(x, 3, 2)),
        lambda x: ops.max_pool(x, 3, 2),
    ),
    (
        "max_rect",
        [(1, 5, 7, 2)],
        nhwc(lambda x: F.max_pool2d(x, (2, 3), (1, 2))),
        lambda x: ops.max_pool(x, (2, 3), (1, 2)),
    ),
    (
        "max_same",
        [(1, 5, 7, 2)],
        nhwc(torch_max_pool_same(2, 2)),
        lambda x: ops.max_pool(x, 2, padding="same"),
    ),
    (
        "max_same_overlap",
        [(1, 6, 5, 2)],
        nhwc(torch_max_pool_same(3, 2)),
        lambda x: ops.max_pool(x, 3, 2, padding="same"),
    ),
    ("max_1d", [(2, 7, 3)], nhwc(lambda x: F.max_pool1d(x, 3, 2)), lambda x: ops.max_pool(x, 3, 2)),
    (
        "max_channels_first",
        [(1, 2, 4, 6)],
        lambda x: F.max_pool2d(x, 2),
        lambda x: ops.max_pool(x, 2, data_format="channels_first"),
    ),
    ("avg", [(2, 4, 6, 3)], nhwc(lambda x: F.avg_pool2d(x, 2)), lambda x: ops.average_pool(x, 2)),
    (
        "avg_overlap",
        [(1, 7, 6, 2)],
        nhwc(lambda x: F.avg_pool2d(x, 3, 2)),
        lambda x: ops.average_pool(x, 3, 2),
    ),
    # Keras's 'same' average excludes the padding, which is torch's count_include_pad=False
    (
        "avg_same",
        [(1, 5, 6, 2)],
        nhwc(lambda x: F.avg_pool2d(x, 3, 1, padding=1, count_include_pad=False)),
        lambda x: ops.average_pool(x, 3, 1, padding="same"),
    ),
    (
        "avg_1d",
        [(2, 7, 3)],
        nhwc(lambda x: F.avg_pool1d(x, 2, 1)),
        lambda x: ops.average_pool(x, 2, 1),
    ),
    (
        "avg_channels_first",
        [(1, 2, 4, 6)],
        lambda x: F.avg_pool2d(x, 2),
        lambda x: ops.average_pool(x, 2, data_format="channels_first"),
    ),
]


@pytest.mark.parametrize("shapes, torch_fn, our_fn", params(POOL_CASES))
def test_pool_matches_torch(shapes, torch_fn, our_fn):
    compare_op(shapes, torch_fn, our_fn)
