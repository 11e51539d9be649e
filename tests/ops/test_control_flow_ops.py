"""Control flow, scatter and segment ops against real keras.ops, and their gradients."""

import numpy as np
import pytest

from numkeras import ops
from tests.engine.gradcheck import check_grad, rand
from tests.ops.oracle import compare_with_keras, keras_ops

X = rand(4, 3, seed=1, dtype="float32")
IDS = np.array([0, 2, 0, 1], "int32")

FORWARD = [
    (
        "scatter",
        (np.array([[0, 1], [2, 0], [0, 1]], "int32"), np.array([1.0, 2.0, 3.0], "float32"), (3, 2)),
        {},
    ),
    ("scatter", (np.array([[1], [0]], "int32"), X[:2], (3, 3)), {}),
    (
        "scatter_update",
        (X, np.array([[0, 1], [3, 2]], "int32"), np.array([9.0, 8.0], "float32")),
        {},
    ),
    ("slice_update", (X, (1, 1), np.ones((2, 2), "float32")), {}),
    ("segment_sum", (X, IDS), {}),
    ("segment_sum", (X, IDS), {"num_segments": 4}),
    ("segment_max", (X, IDS), {}),
    ("segment_max", (X, IDS), {"num_segments": 4}),
    ("select", ([X > 0.5, X < -0.5], [X, X * 2]), {}),
    ("select", ([X > 0.5], [X]), {"default": -1.0}),
]


@pytest.mark.parametrize("name,args,kwargs", FORWARD, ids=lambda v: v if isinstance(v, str) else "")
def test_matches_keras(name, args, kwargs):
    compare_with_keras(name, args, kwargs)


@pytest.mark.parametrize("reduction", ["add", "max", "min", "mul"])
def test_scatter_update_reductions_match_keras_numpy(reduction):
    # Keras's NumPy backend semantics (ufunc.at); Keras-torch has no reduction argument here
    idx = np.array([[0, 1], [0, 1], [3, 2]])
    updates = np.array([9.0, -8.0, 0.5], "float32")
    expected = X.copy()
    {"add": np.add, "max": np.maximum, "min": np.minimum, "mul": np.multiply}[reduction].at(
        expected, tuple(idx.T), updates
    )
    got = ops.scatter_update(X, idx, updates, reduction=reduction)
    np.testing.assert_allclose(np.asarray(got), expected)


def test_segment_min_and_prod_match_numpy():
    for op, ufunc, fill in [
        (ops.segment_min, np.minimum, np.inf),
        (ops.segment_prod, np.multiply, 1.0),
    ]:
        expected = np.full((3, 3), fill, "float32")
        ufunc.at(expected, IDS, X)
        np.testing.assert_allclose(np.asarray(op(X, IDS)), expected, rtol=1e-6)


def test_control_flow_matches_keras():
    kops = keras_ops()
    body = lambda i, v: v * 2 + i
    assert float(ops.fori_loop(0, 4, body, 1.0)) == float(kops.fori_loop(0, 4, body, 1.0))
    ours = ops.while_loop(lambda a, b: a < 10, lambda a, b: (a + 3, b * 2), (1, 1.5))
    theirs = kops.while_loop(lambda a, b: a < 10, lambda a, b: (a + 3, b * 2), (1, 1.5))
    assert [float(v) for v in ours] == [float(kops.convert_to_numpy(v)) for v in theirs]
    assert float(ops.while_loop(lambda a: a < 10, lambda a: a + 4, 1, maximum_iterations=2)) == 9
    assert float(ops.cond(X[0, 0] > 0, lambda: 1.0, lambda: 2.0)) == 2.0
    assert float(ops.switch(5, [lambda x: x, lambda x: -x], 3.0)) == -3.0

    def step(carry, x):
        return carry + x, carry * x

    for reverse in (False, True):
        c1, y1 = ops.scan(step, np.zeros(3, "float32"), X, reverse=reverse)
        c2, y2 = kops.scan(step, kops.zeros(3), X, reverse=reverse)
        np.testing.assert_allclose(np.asarray(c1), kops.convert_to_numpy(c2), rtol=1e-6)
        np.testing.assert_allclose(np.asarray(y1), kops.convert_to_numpy(y2), rtol=1e-6)
        np.testing.assert_allclose(
            np.asarray(ops.associative_scan(ops.add, X, reverse=reverse, axis=1)),
            kops.convert_to_numpy(kops.associative_scan(kops.add, X, reverse=reverse, axis=1)),
            rtol=1e-6,
        )
    np.testing.assert_allclose(
        np.asarray(ops.map(lambda r: ops.sum(r) * 2, X)),
        kops.convert_to_numpy(kops.map(lambda r: kops.sum(r) * 2, X)),
    )
    np.testing.assert_allclose(np.asarray(ops.vectorized_map(lambda r: r[::-1], X)), X[:, ::-1])
    dot = ops.vectorize(lambda a, b: ops.sum(a * b), signature="(n),(n)->()")
    np.testing.assert_allclose(np.asarray(dot(X, X[0])), X @ X[0], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(ops.vectorize(lambda a: a * 2)(X)), X * 2)


def test_custom_gradient_replaces_the_gradient():
    @ops.custom_gradient
    def clipped_identity(x):
        def grad(*args, upstream=None):
            upstream = args[0] if upstream is None else upstream
            return ops.clip(upstream, -0.1, 0.1)

        return x * 1.0, grad

    import numkeras

    v = numkeras.Variable(np.ones(3, "float32"))
    with numkeras.GradientTape() as tape:
        y = ops.sum(clipped_identity(v) * np.array([1.0, 0.05, -3.0], "float32"))
    np.testing.assert_allclose(tape.gradient(y, v), [0.1, 0.05, -0.1])


GRAD = [
    ("scatter", lambda v: ops.scatter(np.array([[0], [2], [0]]), v, (3, 2)), [rand(3, 2)]),
    (
        "scatter_update",
        lambda x, u: ops.scatter_update(x, np.array([[0, 1], [2, 0]]), u),
        [rand(3, 2), rand(2, seed=1)],
    ),
    (
        "scatter_update_max",
        lambda x, u: ops.scatter_update(x, np.array([[0, 1], [2, 0]]), u, reduction="max"),
        [rand(3, 2), rand(2, seed=1)],
    ),
    ("slice_update", lambda x, u: ops.slice_update(x, (1, 0), u), [rand(3, 2), rand(2, 1, seed=1)]),
    ("segment_sum", lambda d: ops.segment_sum(d, IDS), [rand(4, 2)]),
    ("segment_max", lambda d: ops.segment_max(d, IDS), [rand(4, 2)]),
    ("segment_min", lambda d: ops.segment_min(d, IDS), [rand(4, 2)]),
    ("segment_prod", lambda d: ops.segment_prod(d, IDS), [rand(4, 2)]),
    ("select", lambda a, b: ops.select([a > 0, b > 0], [a, b]), [rand(3, 2), rand(3, 2, seed=1)]),
    ("scan", lambda x: ops.scan(lambda c, r: (c * r, c + r), np.ones(2), x)[1], [rand(3, 2)]),
    ("associative_scan", lambda x: ops.associative_scan(ops.multiply, x), [rand(3, 2)]),
    ("fori_loop", lambda x: ops.fori_loop(0, 3, lambda i, v: ops.sin(v) * x, x), [rand(3)]),
    (
        "while_loop",
        lambda x: ops.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, v * x), (0, x))[1],
        [rand(3)],
    ),
    ("map", lambda x: ops.map(ops.cumsum, x), [rand(3, 2)]),
]


@pytest.mark.parametrize("name,fn,arrays", GRAD, ids=[g[0] for g in GRAD])
def test_gradient(name, fn, arrays):
    check_grad(fn, *arrays)


def test_errors():
    with pytest.raises(ValueError, match="reduction"):
        ops.scatter_update(X, [[0, 0]], [1.0], reduction="mean")
    with pytest.raises(ValueError, match="segment_ids"):
        ops.segment_sum(X, IDS[:2])
    with pytest.raises(ValueError, match="xs"):
        ops.scan(lambda c, x: (c, x), 0.0)


def test_jvp_matches_keras():
    kops = keras_ops()

    def fun(x, y):
        return ops.sin(x) * y + ops.sum(x * x)

    def kfun(x, y):
        return kops.sin(x) * y + kops.sum(x * x)

    primals = (X[0], X[1])
    tangents = (np.ones(3, "float32"), rand(3, seed=5, dtype="float32"))
    out, tan = ops.jvp(fun, primals, tangents)
    kout, ktan = kops.jvp(
        kfun,
        tuple(kops.convert_to_tensor(p) for p in primals),
        tuple(kops.convert_to_tensor(t) for t in tangents),
    )
    np.testing.assert_allclose(np.asarray(out), kops.convert_to_numpy(kout), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(tan), kops.convert_to_numpy(ktan), rtol=1e-5)
    _, _, aux = ops.linalg.jvp(lambda x: (x * 2, "aux"), (X[0],), (X[1],), has_aux=True)
    assert aux == "aux"
