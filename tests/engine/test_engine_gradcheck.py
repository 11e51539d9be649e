"""Every differentiable op: float64 central differences against GradientTape, every input."""

import numpy as np
import pytest
from gradcheck import check_grad, rand

from numkeras import ops


def P(*shape, seed=0):
    """Positive values, away from zero (for log, sqrt, divide, power bases)."""
    return rand(*shape, seed=seed, low=0.5, high=2.5)


def U(*shape, seed=0):
    """Probabilities in (0, 1), away from the clipping range."""
    return rand(*shape, seed=seed, low=0.05, high=0.95)


def inputs(specs):
    return [rand(*s, seed=i) if isinstance(s, tuple) else s for i, s in enumerate(specs)]


LABELS = np.array([[0, 2, 1], [3, 3, 0]])

# (name, op, low, high): each elementwise op on a scalar, an odd-sized vector and a 3-D array
ELEMENTWISE = [
    ("negative", ops.negative, -2, 2),
    ("abs", ops.abs, -2, 2),
    ("exp", ops.exp, -2, 2),
    ("log", ops.log, 0.5, 2.5),
    ("log1p", ops.log1p, -0.5, 2),
    ("sqrt", ops.sqrt, 0.5, 2.5),
    ("rsqrt", ops.rsqrt, 0.5, 2.5),
    ("square", ops.square, -2, 2),
    ("sin", ops.sin, -3, 3),
    ("cos", ops.cos, -3, 3),
    ("tanh", ops.tanh, -3, 3),
    ("relu", ops.relu, -2, 2),
    ("relu6", ops.relu6, -8, 8),
    ("leaky_relu", ops.leaky_relu, -2, 2),
    ("leaky_relu_slope", lambda x: ops.leaky_relu(x, negative_slope=0.05), -2, 2),
    ("elu", ops.elu, -2, 2),
    ("elu_alpha", lambda x: ops.elu(x, alpha=0.5), -2, 2),
    ("selu", ops.selu, -2, 2),
    ("sigmoid", ops.sigmoid, -20, 20),
    ("hard_sigmoid", ops.hard_sigmoid, -5, 5),
    ("softplus", ops.softplus, -20, 20),
    ("softsign", ops.softsign, -2, 2),
    ("silu", ops.silu, -3, 3),
    ("swish", ops.swish, -3, 3),
    ("gelu_tanh", ops.gelu, -4, 4),
    ("gelu_exact", lambda x: ops.gelu(x, approximate=False), -4, 4),
]
SHAPES = [(), (7,), (2, 3, 5)]

# (name, op, positive inputs): each binary op on broadcasting pairs of shapes
BINARY = [
    ("add", ops.add, ()),
    ("subtract", ops.subtract, ()),
    ("multiply", ops.multiply, ()),
    ("divide", ops.divide, (1,)),
    ("power", ops.power, (0,)),
    ("maximum", ops.maximum, ()),
    ("minimum", ops.minimum, ()),
]
SHAPE_PAIRS = [((), (3,)), ((4, 1), (3,)), ((2, 1, 5), (3, 1)), ((2, 3, 5), (2, 3, 5))]


def shape_id(*shapes):
    return "-".join("x".join(map(str, s)) or "scalar" for s in shapes)


CASES = (
    [
        (f"{name}-{shape_id(shape)}", op, [rand(*shape, low=low, high=high)])
        for name, op, low, high in ELEMENTWISE
        for shape in SHAPES
    ]
    + [
        (
            f"{name}-{shape_id(*shapes)}",
            op,
            [P(*s, seed=i) if i in positive else rand(*s, seed=i) for i, s in enumerate(shapes)],
        )
        for name, op, positive in BINARY
        for shapes in SHAPE_PAIRS
    ]
    + [
        # --- where and operators ------------------------------------------------------------
        ("where", lambda a, b: ops.where(rand(3, 4) > 0, a, b), [(3, 4), (3, 4)]),
        ("where_broadcast", lambda a, b: ops.where(rand(3, 1) > 0, a, b), [(1, 4), (3, 4)]),
        ("operators", lambda a, b: (a * b - a / (b * b + 1)) ** 2 + 1 - a, [(3, 4), (4,)]),
        ("reflected_ops", lambda a: 2 / (1.5 + a * a) - 3 * a + 2**a, [(2, 5)]),
        ("mod", ops.mod, [P(3, 4), P(4, seed=1) + 1.0]),
        # --- unary with arguments ------------------------------------------------------------
        ("clip", lambda x: ops.clip(x, -0.7, 1.1), [(4, 5)]),
        ("cast_float64", lambda x: ops.cast(x, "float64") * 2, [(3, 4)]),
        # --- matmul -------------------------------------------------------------------------
        ("matmul", ops.matmul, [(3, 4), (4, 5)]),
        ("matmul_batched", ops.matmul, [(2, 3, 4), (2, 4, 5)]),
        ("matmul_broadcast_batch", ops.matmul, [(2, 1, 3, 4), (3, 4, 2)]),
        ("matmul_vector_matrix", ops.matmul, [(4,), (4, 3)]),
        ("matmul_matrix_vector", ops.matmul, [(2, 3, 4), (4,)]),
        ("matmul_vector_vector", ops.matmul, [(5,), (5,)]),
        ("dot", ops.dot, [(3, 4), (4, 2)]),
        ("dot_nd", ops.dot, [(2, 3, 4), (2, 4, 3)]),
        ("dot_scalar", ops.dot, [(), (2, 3)]),
        # --- reductions ---------------------------------------------------------------------
        ("sum_all", ops.sum, [(3, 4)]),
        ("sum_axis", lambda x: ops.sum(x, axis=1), [(2, 3, 4)]),
        ("sum_axes_keepdims", lambda x: ops.sum(x, axis=(0, -1), keepdims=True), [(2, 3, 4)]),
        ("mean_all", ops.mean, [(3, 5)]),
        ("mean_axis", lambda x: ops.mean(x, axis=-1), [(2, 3, 5)]),
        ("mean_keepdims", lambda x: ops.mean(x, axis=(0, 2), keepdims=True), [(2, 3, 5)]),
        ("max_all", ops.max, [(3, 5)]),
        ("max_axis", lambda x: ops.max(x, axis=0), [(3, 5)]),
        ("max_keepdims", lambda x: ops.max(x, axis=(1, 2), keepdims=True), [(2, 3, 4)]),
        ("min_axis", lambda x: ops.min(x, axis=-1), [(3, 5)]),
        ("prod_all", ops.prod, [(2, 3)]),
        ("prod_axis", lambda x: ops.prod(x, axis=1), [(3, 4, 2)]),
        ("prod_axes_keepdims", lambda x: ops.prod(x, axis=(0, 2), keepdims=True), [(3, 2, 3)]),
        ("prod_with_zero", lambda x: ops.prod(x, axis=0), [np.array([[0.0, 1.5], [2.0, -1.0]])]),
        ("var", lambda x: ops.var(x, axis=1), [(3, 5)]),
        ("std", lambda x: ops.std(x, axis=0, keepdims=True), [(4, 3)]),
        ("logsumexp", lambda x: ops.logsumexp(x, axis=-1), [(3, 5)]),
        ("logsumexp_all", ops.logsumexp, [(2, 3, 2)]),
        # --- shape ops ------------------------------------------------------------------------
        ("reshape", lambda x: ops.reshape(x, (4, -1)), [(2, 3, 2)]),
        ("method_reshape_T", lambda x: x.reshape(3, 4).T * 1, [(2, 6)]),
        ("transpose", lambda x: ops.transpose(x, (2, 0, 1)), [(2, 3, 4)]),
        ("moveaxis", lambda x: ops.moveaxis(x, 0, 2), [(2, 3, 4)]),
        ("moveaxis_negative", lambda x: ops.moveaxis(x, -1, 1), [(2, 3, 4)]),
        ("swapaxes", lambda x: ops.swapaxes(x, 0, -1), [(2, 3, 4)]),
        ("expand_dims", lambda x: ops.expand_dims(x, 1), [(3, 4)]),
        ("squeeze", lambda x: ops.squeeze(x, 1), [(3, 1, 4)]),
        ("flatten", ops.flatten, [(2, 3, 2)]),
        ("broadcast_to", lambda x: ops.broadcast_to(x, (2, 3, 4)), [(3, 1)]),
        ("tile", lambda x: ops.tile(x, (2, 1, 3)), [(3, 2)]),
        ("repeat_axis", lambda x: ops.repeat(x, 3, axis=1), [(2, 3)]),
        ("repeat_varying", lambda x: ops.repeat(x, [1, 0, 2], axis=0), [(3, 2)]),
        ("repeat_flat", lambda x: ops.repeat(x, 2), [(2, 3)]),
        ("concatenate", lambda a, b: ops.concatenate([a, b, a], axis=1), [(2, 3), (2, 1)]),
        (
            "concatenate_neg_axis",
            lambda a, b: ops.concatenate([a, b], axis=-1),
            [(2, 3, 1), (2, 3, 2)],
        ),
        ("stack", lambda a, b: ops.stack([a, b], axis=1), [(2, 3), (2, 3)]),
        ("stack_last", lambda a, b: ops.stack([a, b, a], axis=-1), [(2, 3), (2, 3)]),
        ("unstack", lambda x: ops.unstack(x, axis=1)[1] * ops.unstack(x, axis=1)[2], [(2, 3, 2)]),
        ("split", lambda x: ops.split(x, 3, axis=1)[2] - ops.split(x, [1], axis=1)[0], [(2, 3)]),
        ("getitem_slice", lambda x: x[1:, ::2], [(3, 5)]),
        ("getitem_int_ellipsis", lambda x: x[..., 1, None], [(2, 3, 4)]),
        ("getitem_repeated_indices", lambda x: x[np.array([0, 2, 0, 0])], [(3, 4)]),
        ("getitem_mixed", lambda x: x[np.array([1, 1]), :, np.array([0, 2])], [(2, 3, 4)]),
        ("getitem_mask", lambda x: x[rand(3, 4) > 0], [(3, 4)]),
        ("take", lambda x: ops.take(x, np.array([[2, 0], [2, 2]]), axis=1), [(3, 4, 2)]),
        ("take_flat", lambda x: ops.take(x, np.array([5, 0, 5, -1])), [(2, 3)]),
        (
            "take_along_axis",
            lambda x: ops.take_along_axis(x, np.array([[1], [0], [1]]), axis=1),
            [(3, 4)],
        ),
        ("take_along_axis_repeats", lambda x: ops.take_along_axis(x, LABELS, axis=-1), [(2, 4)]),
        (
            "take_along_axis_broadcast",
            lambda x: ops.take_along_axis(x, np.array([[1], [0], [1]]), axis=0),
            [(2, 4)],
        ),
        (
            "take_along_axis_flat",
            lambda x: ops.take_along_axis(x, np.array([5, 0, 5]), None),
            [(2, 3)],
        ),
        ("pad", lambda x: ops.pad(x, ((1, 0), (2, 3))), [(2, 3)]),
        ("pad_int", lambda x: ops.pad(x, 1, constant_values=2.0), [(2, 3)]),
        # --- softmax and dropout -------------------------------------------------------------
        ("softmax", ops.softmax, [(3, 5)]),
        ("softmax_axis0", lambda x: ops.softmax(x, axis=0), [(3, 5)]),
        ("softmax_3d", lambda x: ops.softmax(x, axis=1), [(2, 3, 4)]),
        ("log_softmax", ops.log_softmax, [(3, 5)]),
        ("log_softmax_axis0", lambda x: ops.log_softmax(x, axis=0), [(3, 5)]),
        ("dropout", lambda x: ops.dropout(x, 0.4, seed=3), [(4, 5)]),
        # --- losses (target and output both get gradients) ------------------------------------
        ("categorical_ce", ops.categorical_crossentropy, [U(3, 4), U(3, 4, seed=1)]),
        ("categorical_ce_3d", ops.categorical_crossentropy, [U(2, 2, 3), U(2, 2, 3, seed=1)]),
        (
            "categorical_ce_logits",
            lambda t, z: ops.categorical_crossentropy(t, z, from_logits=True),
            [U(3, 4), (3, 4)],
        ),
        (
            "categorical_ce_of_softmax",
            lambda t, z: ops.categorical_crossentropy(t, ops.softmax(z)),
            [U(3, 4), (3, 4)],
        ),
        ("sparse_ce", lambda p: ops.sparse_categorical_crossentropy(LABELS, p), [U(2, 3, 4)]),
        (
            "sparse_ce_logits",
            lambda z: ops.sparse_categorical_crossentropy(LABELS, z, from_logits=True),
            [(2, 3, 4)],
        ),
        (
            "sparse_ce_column_labels",
            lambda z: ops.sparse_categorical_crossentropy(LABELS[0, :, None], z, from_logits=True),
            [(3, 4)],
        ),
        ("binary_ce", ops.binary_crossentropy, [U(3, 4), U(3, 4, seed=1)]),
        (
            "binary_ce_logits",
            lambda t, z: ops.binary_crossentropy(t, z, from_logits=True),
            [U(3, 4), rand(3, 4, high=9)],
        ),
        (
            "binary_ce_of_sigmoid",
            lambda t, z: ops.binary_crossentropy(t, ops.sigmoid(z)),
            [U(3, 4), (3, 4)],
        ),
    ]
)


@pytest.mark.parametrize("fn, specs", [pytest.param(f, s, id=n) for n, f, s in CASES])
def test_gradcheck(fn, specs):
    check_grad(fn, *inputs(specs))


def conv(**kw):
    return lambda x, k: ops.conv(x, k, **kw)


CONV_CASES = [
    ("valid", conv(), [(2, 5, 6, 3), (3, 3, 3, 4)]),
    ("stride2", conv(strides=2), [(1, 7, 6, 2), (3, 3, 2, 3)]),
    ("stride_hw", conv(strides=(2, 1)), [(1, 6, 5, 2), (2, 3, 2, 2)]),
    ("same", conv(padding="same"), [(2, 5, 4, 2), (3, 3, 2, 3)]),
    ("same_even_kernel", conv(padding="same"), [(1, 5, 5, 2), (2, 4, 2, 2)]),
    ("same_stride2", conv(padding="same", strides=2), [(1, 6, 5, 2), (3, 3, 2, 2)]),
    ("dilation", conv(dilation_rate=2), [(1, 7, 6, 2), (3, 2, 2, 3)]),
    ("dilation_same", conv(dilation_rate=(2, 1), padding="same"), [(1, 6, 5, 2), (3, 3, 2, 2)]),
    ("groups", conv(), [(2, 5, 5, 4), (3, 3, 2, 6)]),
    ("depthwise_groups", conv(padding="same"), [(1, 4, 4, 3), (3, 3, 1, 3)]),
    ("1x1", conv(), [(2, 3, 3, 4), (1, 1, 4, 2)]),
    ("conv1d", conv(), [(2, 7, 3), (3, 3, 4)]),
    ("conv1d_same_stride", conv(padding="same", strides=2), [(2, 7, 2), (4, 2, 3)]),
    ("conv1d_dilation", conv(dilation_rate=2), [(1, 9, 2), (3, 2, 2)]),
    ("conv1d_channels_first", conv(data_format="channels_first"), [(2, 3, 7), (3, 3, 2)]),
    ("channels_first", conv(data_format="channels_first"), [(2, 3, 5, 4), (3, 2, 3, 2)]),
    (
        "channels_first_same_stride",
        conv(data_format="channels_first", padding="same", strides=2),
        [(1, 2, 5, 6), (3, 3, 2, 3)],
    ),
]


@pytest.mark.parametrize("fn, specs", [pytest.param(f, s, id=n) for n, f, s in CONV_CASES])
def test_gradcheck_conv(fn, specs):
    check_grad(fn, *inputs(specs), rtol=1e-5, atol=1e-6)


def pool(op, *args, **kw):
    return lambda x: op(x, *args, **kw)


POOL_CASES = [
    ("max_2x2", pool(ops.max_pool, 2), [(2, 4, 6, 3)]),
    ("max_odd_valid", pool(ops.max_pool, 2), [(1, 5, 5, 2)]),
    ("max_overlap", pool(ops.max_pool, 3, strides=1), [(1, 5, 4, 2)]),
    ("max_overlap_stride2", pool(ops.max_pool, 3, strides=2), [(1, 7, 6, 2)]),
    ("max_same", pool(ops.max_pool, 2, padding="same"), [(1, 5, 5, 2)]),
    ("max_same_overlap", pool(ops.max_pool, 3, strides=1, padding="same"), [(1, 4, 5, 2)]),
    ("max_rect", pool(ops.max_pool, (2, 3), strides=(1, 2)), [(1, 5, 7, 1)]),
    ("max_1d", pool(ops.max_pool, 3, strides=2), [(2, 7, 3)]),
    ("max_1d_same", pool(ops.max_pool, 2, padding="same"), [(2, 5, 3)]),
    ("max_channels_first", pool(ops.max_pool, 2, data_format="channels_first"), [(1, 3, 4, 5)]),
    ("avg_2x2", pool(ops.average_pool, 2), [(2, 4, 6, 3)]),
    ("avg_overlap", pool(ops.average_pool, 3, strides=1), [(1, 5, 4, 2)]),
    ("avg_same", pool(ops.average_pool, 2, padding="same"), [(1, 5, 5, 2)]),
    ("avg_same_overlap", pool(ops.average_pool, 3, strides=2, padding="same"), [(1, 6, 5, 2)]),
    ("avg_1d", pool(ops.average_pool, 3, strides=1), [(2, 6, 2)]),
    ("avg_1d_same", pool(ops.average_pool, 2, padding="same"), [(2, 5, 3)]),
    (
        "avg_channels_first",
        pool(ops.average_pool, 2, padding="same", data_format="channels_first"),
        [(1, 2, 5, 3)],
    ),
]


@pytest.mark.parametrize("fn, specs", [pytest.param(f, s, id=n) for n, f, s in POOL_CASES])
def test_gradcheck_pool(fn, specs):
    check_grad(fn, *inputs(specs))
