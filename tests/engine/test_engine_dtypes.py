"""float32 stays float32, bad inputs fail early with named errors, and values convert both ways."""

import pickle

import numpy as np
import pytest
import test_engine_gradcheck as gradcheck_cases
from gradcheck import analytic_grads

from numkeras import GradientTape, Variable, ops

F32 = np.arange(1.0, 7.0, dtype="float32").reshape(2, 3)

# --- float32 end to end ---------------------------------------------------------------------

BINARY = [ops.add, ops.subtract, ops.multiply, ops.divide, ops.power, ops.maximum, ops.minimum]
BARE = {
    "python_float": 1.5,
    "python_int": 2,
    "float64_array": np.full(3, 1.5),
    "float64_scalar": np.float64(1.5),
    "list": [1.0, 2.0, 3.0],
}


@pytest.mark.parametrize("op", BINARY, ids=lambda op: op.__name__)
@pytest.mark.parametrize("other", BARE.values(), ids=BARE.keys())
def test_bare_operands_take_the_tensor_float32(op, other):
    x = Variable(F32)
    for y in (op(x, other), op(other, x)):
        assert y.dtype == "float32"
    with GradientTape() as tape:
        y = ops.sum(op(x, other) + op(other, x))
    assert tape.gradient(y, x).dtype == np.float32


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: x * 0.5 + 1,
        lambda x: 2.0**x / 3,
        lambda x: ops.matmul(x, np.ones((3, 2))),
        lambda x: ops.matmul(np.ones((4, 2)), x),
        lambda x: ops.where(np.ones((2, 3), bool), x, 0.0),
        lambda x: ops.clip(x, np.float64(0.1), 2),
        lambda x: ops.categorical_crossentropy(np.full((2, 3), 1 / 3), ops.softmax(x)),
        lambda x: ops.binary_crossentropy(np.full((2, 3), 0.5), x, from_logits=True),
        lambda x: ops.sparse_categorical_crossentropy(np.array([0, 2]), x, from_logits=True),
        lambda x: ops.conv(x[None, :, :, None], np.ones((2, 2, 1, 2))),
    ],
    ids=[
        "scalars",
        "rpow",
        "matmul_right",
        "matmul_left",
        "where",
        "clip",
        "categorical",
        "binary",
        "sparse",
        "conv_float64_kernel",
    ],
)
def test_float64_numpy_arguments_keep_float32(fn):
    assert fn(Variable(F32)).dtype == "float32"


def test_python_floats_are_exact_for_float64_tensors():
    x = ops.convert_to_tensor(np.ones(2))
    assert (x * 0.1).numpy()[0] == 0.1 and ops.clip(x, 0.0, 0.3).numpy()[0] == 0.3
    assert (ops.convert_to_tensor(np.ones(2, "float32")) * 0.1).numpy()[0] == np.float32(0.1)


def test_sums_of_bools_and_int32_are_int32():
    assert ops.sum(np.array([True, False, True])).dtype == "int32"
    assert ops.sum(np.array([[1, 2]], "int32"), axis=1).dtype == "int32"


def test_integer_tensors_meet_floats_as_keras_does():
    ints = ops.convert_to_tensor(np.array([1, 2], "int32"))
    assert (ints * 0.5).dtype == "float32"
    assert (ints / ints).dtype == "float32"
    assert ops.add(ints, ops.ones(2)).dtype == "float32"
    assert (ints + 1).dtype == "int32"
    mean = ops.mean(ints)
    assert mean.dtype == "float32" and float(mean) == 1.5


@pytest.mark.parametrize(
    "fn, specs",
    [
        pytest.param(f, s, id=n)
        for n, f, s in gradcheck_cases.CASES
        + gradcheck_cases.CONV_CASES
        + gradcheck_cases.POOL_CASES
        if not n.startswith("cast")
    ],
)
def test_every_op_keeps_float32_forward_and_backward(fn, specs):
    arrays = [a.astype("float32") for a in gradcheck_cases.inputs(specs)]
    y, grads = analytic_grads(fn, arrays, np.ones(fn(*arrays).shape, "float32"))
    assert y.dtype == "float32"
    assert [g.dtype for g in grads] == [np.float32] * len(arrays)


# --- bad inputs fail early, naming the op and the shapes ------------------------------------

BAD = [
    ("add", lambda: ops.add(np.ones((2, 3)), np.ones((4, 5))), ["(2, 3)", "(4, 5)"]),
    ("multiply", lambda: ops.ones((2, 3, 4)) * ops.ones((3, 1, 5)), ["(2, 3, 4)", "(3, 1, 5)"]),
    ("add", lambda: ops.ones((2, 3)) + "abc", ["(2, 3)", "dtype"]),
    ("matmul", lambda: ops.matmul(ops.ones((2, 3)), ops.ones((4, 5))), ["(2, 3)", "(4, 5)"]),
    ("matmul", lambda: ops.ones((2, 3, 4)) @ ops.ones((5, 4, 6)), ["(2, 3, 4)", "(5, 4, 6)"]),
    (
        "concatenate",
        lambda: ops.concatenate([ops.ones((2, 3)), ops.ones((3, 4))]),
        ["(2, 3)", "(3, 4)"],
    ),
    ("reshape", lambda: ops.reshape(ops.ones((2, 3)), (4, 2)), ["(2, 3)", "(4, 2)"]),
    ("stack", lambda: ops.stack([ops.ones((2, 3)), ops.ones((3, 2))]), ["(2, 3)", "(3, 2)"]),
    ("broadcast_to", lambda: ops.broadcast_to(ops.ones((3, 2)), (4, 5)), ["(3, 2)", "(4, 5)"]),
    ("where", lambda: ops.where(np.ones((4,), bool), ops.ones((2, 3)), 0.0), ["(4,)", "(2, 3)"]),
    (
        "conv",
        lambda: ops.conv(ops.ones((1, 5, 5, 3)), ops.ones((3, 3, 2, 4))),
        ["(1, 5, 5, 3)", "(3, 3, 2, 4)"],
    ),
    (
        "conv",
        lambda: ops.conv(ops.ones((1, 5, 5)), ops.ones((3, 3, 5, 4))),
        ["(1, 5, 5)", "(3, 3, 5, 4)"],
    ),
    (
        "categorical_crossentropy",
        lambda: ops.categorical_crossentropy(ops.ones((3, 4)), ops.ones((3, 5))),
        ["(3, 4)", "(3, 5)"],
    ),
    (
        "categorical_crossentropy",
        lambda: ops.categorical_crossentropy(ops.ones((3, 4)), ops.ones((3, 5)), from_logits=True),
        ["(3, 4)", "(3, 5)"],
    ),
    (
        "binary_crossentropy",
        lambda: ops.binary_crossentropy(ops.ones((3, 1)), ops.ones((3,))),
        ["(3, 1)", "(3,)"],
    ),
    (
        "sparse_categorical_crossentropy",
        lambda: ops.sparse_categorical_crossentropy(np.array([0, 4]), ops.ones((2, 4))),
        ["[0, 4)"],
    ),
    (
        "sparse_categorical_crossentropy",
        lambda: ops.sparse_categorical_crossentropy(np.array([0, -1]), ops.ones((2, 4))),
        ["[0, 4)"],
    ),
    (
        "sparse_categorical_crossentropy",
        lambda: ops.sparse_categorical_crossentropy(np.array([0, 1, 2]), ops.ones((2, 4))),
        ["(2,)", "(3,)"],
    ),
    (
        "sparse_categorical_crossentropy",
        lambda: ops.sparse_categorical_crossentropy([[0, 1]], ops.ones((1, 3, 2)), axis=1),
        ["axis=1", "(1, 3, 2)"],
    ),
    ("take", lambda: ops.take(ops.ones((2, 3)), [3], axis=1), ["3"]),
    ("transpose", lambda: ops.transpose(ops.ones((2, 3)), (0, 0)), ["(2, 3)"]),
    ("squeeze", lambda: ops.squeeze(ops.ones((2, 3)), 1), ["(2, 3)"]),
    ("split", lambda: ops.split(ops.ones((2, 3)), 2, axis=1), ["(2, 3)"]),
]


@pytest.mark.parametrize(
    "name, call, parts", [pytest.param(*c, id=f"{c[0]}_{i}") for i, c in enumerate(BAD)]
)
def test_bad_inputs_raise_named_errors(name, call, parts):
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    message = str(info.value)
    assert f"`{name}`" in message, message
    for part in parts:
        assert part in message, message


def test_conv_rejects_output_channels_not_divisible_by_groups():
    with pytest.raises(ValueError, match="`conv`"):
        ops.conv(ops.ones((1, 4, 4, 4)), ops.ones((1, 1, 2, 3)))  # 2 groups, 3 filters


def test_errors_come_before_any_computation():
    x = Variable(np.ones((2, 3)))
    with GradientTape() as tape:
        with pytest.raises(ValueError):
            ops.add(x, np.ones((4, 3)))
        y = ops.sum(x)
    np.testing.assert_array_equal(tape.gradient(y, x), np.ones((2, 3)))


# --- conversions ----------------------------------------------------------------------------


def test_numpy_array_protocol():
    v = Variable(F32)
    array = np.asarray(v)
    assert isinstance(array, np.ndarray) and array.dtype == np.float32
    np.testing.assert_array_equal(array, F32)
    assert np.asarray(v, dtype="float64").dtype == np.float64
    np.testing.assert_array_equal(np.asarray(ops.convert_to_tensor(F32) * 2), F32 * 2)
    v.assign(F32 + 1)
    assert array[0, 0] == 1.0  # assign makes a new array; earlier views keep their values


def test_numpy_method_returns_a_copy():
    v = Variable(F32)
    values = v.numpy()
    values[0, 0] = 100
    assert v.numpy()[0, 0] == 1.0 and isinstance(values, np.ndarray)


def test_assign_family():
    v = Variable(F32, name="w")
    v.assign(np.zeros((2, 3)))
    assert v.dtype == "float32" and not v.numpy().any()
    v.assign_add(np.ones((2, 3)))
    v.assign_sub([[0.5, 0.5, 0.5], [0.0, 0.0, 0.0]])
    np.testing.assert_array_equal(v.numpy(), [[0.5] * 3, [1.0] * 3])
    with pytest.raises(ValueError, match=r"\(3, 2\).*\(2, 3\)"):
        v.assign(np.ones((3, 2)))
    before = v.value
    v.assign(np.full((2, 3), 7.0))
    assert before.numpy()[0, 0] == 0.5 and float(v[0, 0]) == 7.0


@pytest.mark.parametrize(
    "value, dtype",
    [
        ([1.0, 2.0], "float32"),
        ([[1, 2]], "int32"),
        (2.0, "float32"),
        (True, "bool"),
        (np.ones(2), "float64"),
        (np.ones(2, "float16"), "float16"),
        (np.float32(3), "float32"),
    ],
)
def test_convert_to_tensor_dtypes(value, dtype):
    t = ops.convert_to_tensor(value)
    assert ops.is_tensor(t) and t.dtype == dtype
    np.testing.assert_array_equal(ops.convert_to_numpy(t), np.asarray(value))


def test_convert_both_ways():
    v = Variable(F32)
    assert ops.convert_to_tensor(v) is v
    t = ops.convert_to_tensor(F32)
    assert ops.convert_to_tensor(t) is t
    assert ops.convert_to_tensor(t, "float64").dtype == "float64"
    back = ops.convert_to_numpy(t)
    assert isinstance(back, np.ndarray) and back.dtype == np.float32
    back[0, 0] = 50  # a copy: the tensor keeps its value
    assert float(t[0, 0]) == 1.0
    np.testing.assert_array_equal(ops.convert_to_numpy(v), F32)
    np.testing.assert_array_equal(ops.convert_to_numpy([1, 2]), [1, 2])
    stacked = ops.convert_to_tensor([t[0], t[1]])
    np.testing.assert_array_equal(stacked.numpy(), F32)
    with pytest.raises(TypeError):
        ops.convert_to_tensor([{"a": 1}])


def test_python_protocols():
    t = ops.convert_to_tensor(F32)
    assert len(t) == 2 and [r.shape for r in t] == [(3,), (3,)]
    assert float(t[1, 2]) == 6.0 and int(t[0, 1]) == 2 and t[0, 0].item() == 1.0
    assert bool(ops.convert_to_tensor(1.0)) and "shape=(2, 3)" in repr(t)


def test_variable_pickles():
    v = Variable(F32, trainable=False, name="kernel")
    back = pickle.loads(pickle.dumps(v))
    assert back.name == "kernel" and not back.trainable
    np.testing.assert_array_equal(back.numpy(), F32)


def test_variable_initializers_and_shapes():
    v = Variable("zeros", shape=(2, 3), name="bias")
    assert v.shape == (2, 3) and v.dtype == "float32" and not v.numpy().any()
    v = Variable(lambda shape, dtype: np.ones(shape, dtype), shape=[2], dtype="float64")
    assert v.dtype == "float64" and v.numpy().tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match="shape"):
        Variable("zeros")
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        Variable(np.ones(2), shape=(3,))
    v = Variable(np.ones(2, "int32"))
    v.assign(ops.convert_to_tensor([2.7, -1.2]))  # the variable keeps its dtype
    assert v.dtype == "int32" and v.numpy().tolist() == [2, -1]
    source = np.ones(3)
    v = Variable(source)
    source[0] = 5  # the variable owns a copy
    assert v.numpy()[0] == 1.0


def test_ops_namespace_exports_every_name():
    assert sorted(set(ops.__all__)) == sorted(ops.__all__)
    missing = [name for name in ops.__all__ if not callable(getattr(ops, name, None))]
    assert not missing
