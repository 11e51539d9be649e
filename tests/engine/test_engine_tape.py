"""GradientTape semantics: what is recorded, what comes back, and in which structure."""

import numpy as np
import pytest

import numkeras
from numkeras import GradientTape, Variable, ops
from numkeras.engine.autodiff import no_grad


def var(*shape, seed=0):
    return Variable(np.random.default_rng(seed).standard_normal(shape))


def test_two_layer_matches_hand_derivation():
    rng = np.random.default_rng(0)
    x, t = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    w1, b1, w2, b2 = var(3, 5, seed=1), var(5, seed=2), var(5, 2, seed=3), var(2, seed=4)
    with GradientTape() as tape:
        h = ops.relu(ops.matmul(x, w1) + b1)
        out = ops.matmul(h, w2) + b2
        loss = ops.mean(ops.square(out - t))
    grads = tape.gradient(loss, [w1, b1, w2, b2])

    pre = x @ w1.numpy() + b1.numpy()
    hn = np.maximum(pre, 0)
    g_out = 2 * (hn @ w2.numpy() + b2.numpy() - t) / t.size
    g_pre = (g_out @ w2.numpy().T) * (pre > 0)
    expected = [x.T @ g_pre, g_pre.sum(0), hn.T @ g_out, g_out.sum(0)]
    assert 0 < (pre > 0).mean() < 1  # the relu mask is not trivial
    for g, e in zip(grads, expected):
        np.testing.assert_allclose(g, e, rtol=1e-12)


def test_records_only_inside_the_tape():
    w = var(3)
    before = w * 2
    const = ops.convert_to_tensor(np.ones(3))
    with GradientTape(persistent=True) as tape:
        inside = w * 2
        total = ops.sum(inside)
        from_const = const * 3
    after = inside * 3
    assert not before.requires_grad and before.parents == ()
    assert not const.requires_grad and not from_const.requires_grad
    assert inside.requires_grad and inside.parents[0] is w
    assert not after.requires_grad and after.parents == ()
    assert tape.gradient(before, w) is None
    assert tape.gradient(after, w) is None
    np.testing.assert_array_equal(tape.gradient(total, w), np.full(3, 2.0))


def test_unconnected_sources_give_none_or_zeros():
    a, b = var(2, 3), var(4)
    with GradientTape(persistent=True) as tape:
        y = ops.sum(a * 2) + ops.sum(ops.cast(b > 0, "float64"))  # a comparison has no gradient
    ga, gb = tape.gradient(y, [a, b])
    np.testing.assert_array_equal(ga, np.full((2, 3), 2.0))
    assert gb is None
    gb = tape.gradient(y, b, unconnected_gradients="zero")
    assert gb.shape == (4,) and not gb.any()


def test_non_persistent_tape_allows_one_gradient_call():
    w = var(3)
    with GradientTape() as tape:
        y = ops.sum(w * w)
    tape.gradient(y, w)
    with pytest.raises(RuntimeError, match="persistent"):
        tape.gradient(y, w)


def test_persistent_tape_allows_many_calls():
    w = var(3)
    with GradientTape(persistent=True) as tape:
        y = ops.sum(w * w)
        z = ops.sum(ops.sin(w))
    first, second = tape.gradient(y, w), tape.gradient(y, w)
    np.testing.assert_allclose(first, 2 * w.numpy())
    np.testing.assert_array_equal(first, second)
    np.testing.assert_allclose(tape.gradient(z, w), np.cos(w.numpy()))


def test_watch_a_plain_tensor():
    x = ops.convert_to_tensor(np.array([1.0, -2.0, 3.0]))
    with GradientTape(persistent=True) as tape:
        unwatched = ops.sum(x * x)
        tape.watch(x)
        y = ops.sum(x * x)
    assert tape.gradient(unwatched, x) is None
    np.testing.assert_allclose(tape.gradient(y, x), 2 * x.numpy())


def test_watch_a_non_trainable_variable_and_a_list():
    frozen = Variable(np.array([1.0, 2.0]), trainable=False)
    t = ops.convert_to_tensor(np.array([3.0, 4.0]))
    with GradientTape(persistent=True) as tape:
        unwatched = ops.sum(frozen * t)
        tape.watch([frozen, t])
        y = ops.sum(frozen * t)
    assert tape.gradient(unwatched, frozen) is None
    gf, gt = tape.gradient(y, [frozen, t])
    np.testing.assert_array_equal(gf, t.numpy())
    np.testing.assert_array_equal(gt, frozen.numpy())


def test_watch_rejects_non_tensors():
    with GradientTape() as tape, pytest.raises(TypeError, match="watch"):
        tape.watch(np.ones(3))


@pytest.mark.parametrize(
    "fn, grad",
    [
        (lambda w: w * w + 3 * w, lambda w: 2 * w + 3),
        (lambda w: w + ops.exp(w), lambda w: 1 + np.exp(w)),
        (
            lambda w: ops.square(ops.exp(w)) + ops.sin(ops.exp(w)),
            lambda w: (2 * np.exp(w) + np.cos(np.exp(w))) * np.exp(w),
        ),
        (
            lambda w: ops.exp(w) * (ops.exp(w) + w) * w,
            lambda w: np.exp(w) * ((np.exp(w) + w) * w + (np.exp(w) + 1) * w + np.exp(w) + w),
        ),
    ],
)
def test_gradients_accumulate_over_every_use(fn, grad):
    w = var(4)
    with GradientTape() as tape:
        y = ops.sum(fn(w))
    np.testing.assert_allclose(tape.gradient(y, w), grad(w.numpy()), rtol=1e-12)


def test_deep_chain_has_no_recursion_limit():
    w = Variable(np.array([1.0]))
    with GradientTape() as tape:
        y = w
        for _ in range(5000):
            y = y * 1.0001
    np.testing.assert_allclose(tape.gradient(y, w), [1.0001**5000], rtol=1e-10)


def test_variable_used_in_two_layers():
    x, w = np.arange(6.0).reshape(2, 3), var(3, 3)
    with GradientTape() as tape:
        y = ops.sum(ops.matmul(ops.matmul(x, w), w))
    wn, ones = w.numpy(), np.ones((2, 3))
    expected = x.T @ (ones @ wn.T) + (x @ wn).T @ ones
    np.testing.assert_allclose(tape.gradient(y, w), expected, rtol=1e-12)


def test_gradient_of_an_intermediate_tensor():
    w = var(3)
    with GradientTape() as tape:
        h = w * 2
        y = ops.sum(h * h)
    gh, gw = tape.gradient(y, [h, w])
    np.testing.assert_allclose(gh, 2 * h.numpy())
    np.testing.assert_allclose(gw, 8 * w.numpy())


def test_no_grad_and_stop_gradient_cut_the_graph():
    w = var(3)
    with GradientTape(persistent=True) as tape:
        with no_grad():
            hidden = w * 2
        y = ops.sum(ops.stop_gradient(w * w) * w)
    assert not hidden.requires_grad
    np.testing.assert_allclose(tape.gradient(y, w), w.numpy() ** 2)


def test_output_gradients_seed_the_backward_pass():
    w, r = var(2, 3), np.random.default_rng(5).standard_normal((2, 3))
    with GradientTape() as tape:
        y = ops.sin(w)
    np.testing.assert_allclose(tape.gradient(y, w, output_gradients=r), r * np.cos(w.numpy()))


def test_sources_keep_their_structure():
    a, b = var(2), var(3)
    with GradientTape(persistent=True) as tape:
        y = ops.sum(a) + 2 * ops.sum(b)
    assert isinstance(tape.gradient(y, (a, b)), tuple)
    assert isinstance(tape.gradient(y, [a, b]), list)
    grads = tape.gradient(y, {"a": a, "b": b})
    assert set(grads) == {"a", "b"}
    np.testing.assert_array_equal(grads["b"], np.full(3, 2.0))
    assert isinstance(tape.gradient(y, a), np.ndarray)


def test_returned_gradients_are_independent_writable_arrays():
    a, b, r = var(2, 3), var(2, 3), np.ones((2, 3))
    with GradientTape(persistent=True) as tape:
        y = a + b
        total = ops.sum(a)
    ga, gb = tape.gradient(y, [a, b], output_gradients=r)
    ga *= 0.5  # an optimizer clipping in place must not touch the other gradient or the seed
    np.testing.assert_array_equal(gb, np.ones((2, 3)))
    np.testing.assert_array_equal(r, np.ones((2, 3)))
    g = tape.gradient(total, a)  # the VJP of sum is a broadcast, a read-only view
    g -= 1
    np.testing.assert_array_equal(g, np.zeros((2, 3)))


def test_fresh_gradients_are_handed_out_and_graph_values_copied():
    a = var(2, 3)
    with GradientTape(persistent=True) as tape:
        h = ops.matmul(ops.convert_to_tensor(np.ones((4, 2))), a)
        y = numkeras.engine.Tensor(h.data * 1, (h,), lambda g: (h.data,))  # VJP: a graph value
        x = numkeras.engine.Tensor(a.data * 1, (a,), lambda g: (a.data,))  # VJP: the source's
    first = tape.gradient(h, a)
    first += 100  # the caller owns it: the next call is unaffected
    np.testing.assert_array_equal(tape.gradient(h, a), np.full((2, 3), 4.0))
    g = tape.gradient(y, a)
    assert g is not h.data and not np.shares_memory(g, h.data)
    g = tape.gradient(x, a)
    assert g is not a.data and not np.shares_memory(g, a.data)


def test_a_reshaped_fresh_gradient_is_handed_out_once_and_its_memory_never_shared():
    a, b, c = var(2, 3), var(6), var(2, 3)
    with GradientTape() as tape:
        h = numkeras.engine.Tensor(np.ones(6).reshape(2, 3), (c,), lambda g: (g,))  # a view
        # one fresh array's reshaped view for `a`, the array itself for `b`, h's value for `c`
        y = numkeras.engine.Tensor(
            a.data.sum(), (a, b, h), lambda g: (lambda f: (f.reshape(2, 3), f, h.data))(np.ones(6))
        )
    ga, gb, gc = tape.gradient(y, [a, b, c])
    assert not ga.flags.owndata  # the view itself: no copy
    assert not np.shares_memory(ga, gb) and not np.shares_memory(gc, h.data)
    np.testing.assert_array_equal(gb, np.ones(6))


def test_gradient_uses_values_from_when_the_op_ran():
    w = Variable(np.array([1.0, 2.0]))
    with GradientTape() as tape:
        y = ops.sum(w * w)
        view = w[0]
    w.assign([10.0, 20.0])
    np.testing.assert_array_equal(tape.gradient(y, w), [2.0, 4.0])
    assert float(view) == 1.0


def test_nested_tapes_each_record():
    w = var(3)
    with GradientTape() as outer:
        with GradientTape() as inner:
            y = ops.sum(w * w)
        z = y * 3
    np.testing.assert_allclose(inner.gradient(y, w), 2 * w.numpy())
    np.testing.assert_allclose(outer.gradient(z, w), 6 * w.numpy())


def test_gradient_target_must_be_a_tensor():
    w = var(3)
    with GradientTape() as tape, pytest.raises(TypeError, match="target"):
        tape.gradient(np.ones(3), w)


def test_float32_variable_gets_float32_gradient():
    w = Variable(np.ones((2, 2), "float32"))
    with numkeras.GradientTape() as tape:
        y = ops.mean(ops.gelu(ops.matmul(w, np.ones((2, 2)))) * 0.5 + 1)
    assert tape.gradient(y, w).dtype == np.float32
