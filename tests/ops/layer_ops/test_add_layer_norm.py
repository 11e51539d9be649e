"""layer_norm with a residual: Add -> LayerNormalization as one op (models/fusion.py's
AddLayerNorm rule), against central differences, PyTorch, the two ops in turn, and in a
transformer block fitted with and without the fusion."""

import numpy as np
import pytest

import numkeras
from numkeras import Variable, layers, ops
from numkeras.engine import autodiff
from numkeras.kernels import threads
from numkeras.models import fusion
from numkeras.ops.layer_ops.fused import layer_norm
from tests.engine.gradcheck import check_grad, compare_op, rand
from tests.models.test_fusion import fused_ops


@pytest.mark.parametrize("affine", [(True, True), (True, False), (False, True), (False, False)])
def test_gradients_match_central_differences(affine):
    params = [rand(4, seed=k) for k, use in zip((2, 3), affine) if use]

    def fn(x, r, *p):
        it = iter(p)
        gamma = next(it) if affine[0] else None
        beta = next(it) if affine[1] else None
        return layer_norm(x, gamma, beta, 1e-3, residual=r)

    check_grad(fn, rand(3, 2, 4), rand(3, 2, 4, seed=1), *params)


def test_agrees_with_torch_add_then_layer_norm():
    torch = pytest.importorskip("torch")
    compare_op(
        [(4, 5, 8), (4, 5, 8), (8,), (8,)],
        lambda x, r, g, b: torch.nn.functional.layer_norm(x + r, (8,), g, b, eps=1e-3),
        lambda x, r, g, b: layer_norm(x, g, b, 1e-3, residual=r),
    )


def _ops_in_turn(x, r, gamma, beta, g):
    """Values and gradients of add then layer_norm as two recorded ops."""
    tensors = [Variable(a) for a in (x, r, gamma, beta)]
    with numkeras.GradientTape() as tape:
        y = layer_norm(ops.add(tensors[0], tensors[1]), tensors[2], tensors[3], 1e-3)
        loss = ops.sum(y * g)
    return [np.asarray(y)] + tape.gradient(loss, tensors)


def _fused(x, r, gamma, beta, g):
    tensors = [Variable(a) for a in (x, r, gamma, beta)]
    with numkeras.GradientTape() as tape:
        y = layer_norm(tensors[0], tensors[2], tensors[3], 1e-3, residual=tensors[1])
        loss = ops.sum(y * g)
    return [np.asarray(y)] + tape.gradient(loss, tensors)


@pytest.mark.parametrize("workers", [1, 2])
def test_same_bits_as_add_then_layer_norm_on_any_thread_count(workers, monkeypatch):
    rng = np.random.default_rng(0)
    x, r, g = (rng.standard_normal((3, 200, 16)).astype("float32") for _ in range(3))
    gamma, beta = (rng.standard_normal(16).astype("float32") for _ in range(2))
    want = _ops_in_turn(x, r, gamma, beta, g)
    monkeypatch.setattr(threads, "workers", lambda: workers)
    for got, expected in zip(_fused(x, r, gamma, beta, g), want):
        np.testing.assert_array_equal(got, expected)


def test_a_residual_of_another_shape_or_dtype_is_refused():
    x = rand(2, 4, dtype="float32")
    with pytest.raises(ValueError, match="residual must have the inputs' shape and dtype"):
        layer_norm(x, None, None, 1e-3, residual=rand(2, 3, dtype="float32"))
    with pytest.raises(ValueError, match="residual must have the inputs' shape and dtype"):
        layer_norm(x, None, None, 1e-3, residual=rand(2, 4))


def test_only_the_inputs_that_need_it_get_a_gradient():
    x, r = Variable(rand(2, 4)), ops.convert_to_tensor(rand(2, 4, seed=1))
    with autodiff.enable_grad():
        y = layer_norm(x, None, None, 1e-3, residual=r)
    assert y.parents[:2] == (x, r)
    gx, gr = y.vjp(np.ones((2, 4)))
    assert gx is gr  # one array for both, as add's VJP hands its gradient on


def transformer_block(norm=None):
    inputs = numkeras.Input((6,), dtype="int32")
    x = layers.Embedding(20, 8)(inputs)
    a = layers.MultiHeadAttention(num_heads=2, key_dim=4)(x, x)
    x = (norm or layers.LayerNormalization)()(layers.Add()([x, a]))
    f = layers.Dense(8)(layers.Dense(16, activation="relu")(x))
    x = layers.LayerNormalization(epsilon=1e-3, center=False)(layers.Add()([x, f]))
    x = layers.GlobalAveragePooling1D()(x)
    return numkeras.Model(inputs, layers.Dense(2, activation="softmax")(x))


def _fitted(build):
    numkeras.utils.set_random_seed(3)
    model = build()
    x = np.random.default_rng(0).integers(0, 20, (8, 6)).astype("int32")
    y = np.arange(8) % 2
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False)
    return [w.numpy() for w in model.weights] + [model.predict(x, verbose=0)]


def test_a_transformer_block_fits_the_same_bits_with_and_without_the_rule(monkeypatch):
    seen = fused_ops(monkeypatch)
    fused = _fitted(transformer_block)
    assert seen and all(op == "layer_norm" for op in seen)  # both residual pairs, each step
    others = tuple(r for r in fusion.RULES if type(r) is not fusion.AddLayerNorm)
    monkeypatch.setattr(fusion, "RULES", others)
    for got, want in zip(fused, _fitted(transformer_block)):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize(
    "norm",
    [
        lambda: layers.LayerNormalization(axis=1),  # not the last axis
        lambda: layers.LayerNormalization(rms_scaling=True),
        lambda: layers.LayerNormalization(axis=[1, 2]),
    ],
)
def test_settings_the_op_does_not_cover_run_layer_by_layer(norm, monkeypatch):
    seen = fused_ops(monkeypatch)
    model = transformer_block(norm)
    model(np.zeros((2, 6), "int32"))
    # the first pair runs layer by layer (not planned, or refused); the second is fused
    assert seen[-1:] == ["layer_norm"]
    assert sum(op is not None for op in seen) == 1


def test_a_sum_the_model_also_returns_is_not_fused():
    inputs = numkeras.Input((4,))
    s = layers.Add()([inputs, inputs])
    y = layers.LayerNormalization()(s)
    model = numkeras.Model(inputs, [y, s])  # the sum is also an output
    assert model._fusable == {}
