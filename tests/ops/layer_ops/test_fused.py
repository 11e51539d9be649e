"""ops/layer_ops/fused.py's batch_norm_train against central differences and the separate ops."""

import numpy as np
import pytest

from numkeras import layers, ops
from numkeras.ops.layer_ops.fused import layer_norm
from numkeras.ops.layer_ops.norm_fused import batch_norm_train
from tests.engine.gradcheck import check_grad, rand


@pytest.mark.parametrize("affine", [(True, True), (True, False), (False, True), (False, False)])
def test_batch_norm_train_gradients_match_central_differences(affine):
    x = rand(3, 2, 4)
    params = [rand(4, seed=k) for k, use in zip((1, 2), affine) if use]

    def fn(x, *p):
        it = iter(p)
        gamma = next(it) if affine[0] else None
        beta = next(it) if affine[1] else None
        return batch_norm_train(x, gamma, beta, 1e-3)[0]

    check_grad(fn, x, *params)


def test_batch_norm_train_equals_the_separate_ops():
    x = rand(5, 3, 6, low=-3, high=5)
    gamma, beta = rand(6, seed=1), rand(6, seed=2)
    y, mean, var = batch_norm_train(
        x, ops.convert_to_tensor(gamma), ops.convert_to_tensor(beta), 1e-3
    )
    want_mean, want_var = x.mean((0, 1)), x.var((0, 1))
    np.testing.assert_allclose(mean, want_mean, rtol=1e-12)
    np.testing.assert_allclose(var, want_var, rtol=1e-12)
    want = gamma * (x - want_mean) / np.sqrt(want_var + 1e-3) + beta
    np.testing.assert_allclose(np.asarray(y), want, rtol=1e-12, atol=1e-12)


def test_the_layer_uses_it_while_training_and_its_output_is_eager():
    layer = layers.BatchNormalization()
    buf = rand(4, 5, 3, dtype="float32")
    y = layer(buf, training=True)
    assert y.op == "batch_norm_train"
    want = np.asarray(y).copy()
    buf[:] = 0
    np.testing.assert_array_equal(np.asarray(y), want)
    assert layer(buf, training=False).op != "batch_norm_train"
    channels_first = layers.BatchNormalization(axis=1)
    assert channels_first(rand(4, 3, 5, dtype="float32"), training=True).op != "batch_norm_train"


@pytest.mark.parametrize("affine", [(True, True), (True, False), (False, True), (False, False)])
def test_layer_norm_gradients_match_central_differences(affine):
    params = [rand(4, seed=k) for k, use in zip((1, 2), affine) if use]

    def fn(x, *p):
        it = iter(p)
        gamma = next(it) if affine[0] else None
        beta = next(it) if affine[1] else None
        return layer_norm(x, gamma, beta, 1e-3)

    check_grad(fn, rand(3, 2, 4), *params)


def test_layer_norm_equals_the_formula_and_the_layer_uses_it():
    x = rand(5, 3, 6, low=-3, high=5)
    gamma, beta = rand(6, seed=1), rand(6, seed=2)
    y = layer_norm(x, ops.convert_to_tensor(gamma), ops.convert_to_tensor(beta), 1e-3)
    mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    np.testing.assert_allclose(
        np.asarray(y), gamma * (x - mean) / np.sqrt(var + 1e-3) + beta, rtol=1e-12, atol=1e-12
    )
    assert layers.LayerNormalization()(rand(2, 3, dtype="float32")).op == "layer_norm"
    assert layers.LayerNormalization(axis=1)(rand(2, 3, 4, dtype="float32")).op != "layer_norm"


@pytest.mark.parametrize("affine", [(True, True), (False, True), (False, False)])
def test_layer_norm_same_bits_on_any_thread_count(affine, monkeypatch):
    """Rows are split over the kernel threads: values and gradients keep their bits, and the
    split happens when there are several workers and rows enough."""
    from numkeras import Variable
    from numkeras.engine import autodiff
    from numkeras.kernels import threads

    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 200, 16)).astype("float32")
    g = rng.standard_normal(x.shape).astype("float32")
    gamma, beta = (rng.standard_normal(16).astype("float32") for _ in range(2))

    def run(workers):
        monkeypatch.setattr(threads, "workers", lambda: workers)
        calls = []
        run = threads.run
        monkeypatch.setattr(threads, "run", lambda tasks: (calls.append(len(tasks)), run(tasks)))
        params = [Variable(p) if use else None for p, use in zip((gamma, beta), affine)]
        with autodiff.enable_grad():
            y = layer_norm(Variable(x), *params, 1e-3)
        grads = y.vjp(g)
        monkeypatch.undo()
        return [y.data] + [d for d in grads if d is not None], calls

    one, calls1 = run(1)
    two, calls2 = run(2)
    assert calls1 == [1, 1] and calls2 == [2, 2]
    assert len(one) == 2 + sum(affine)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)
