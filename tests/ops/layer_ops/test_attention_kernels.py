"""Packed self-attention (ops/layer_ops/attention.py) and MultiHeadAttention's use of it:
float64 gradients against central differences, values and gradients against PyTorch, and the
layer's fast path against its general path, taken only where it applies."""

import numpy as np
import pytest

import numkeras
from numkeras import layers, ops
from numkeras.layers.attention.multi_head_attention import MultiHeadAttention
from numkeras.ops.layer_ops.attention import packed_self_attention
from tests.engine.gradcheck import check_grad, compare_op, rand


@pytest.mark.parametrize("heads, key_dim, value_dim", [(2, 3, 4), (1, 2, 2)])
def test_packed_self_attention_gradients_match_central_differences(heads, key_dim, value_dim):
    width = heads * (2 * key_dim + value_dim)
    check_grad(
        lambda x: packed_self_attention(x, heads, key_dim, value_dim),
        rand(2, 5, width, low=-1, high=1),
    )


def test_packed_self_attention_matches_torch():
    torch = pytest.importorskip("torch")
    B, T, H, dk, dv = 3, 7, 2, 4, 5

    def reference(x):
        q, k, v = torch.split(x, [H * dk, H * dk, H * dv], dim=-1)
        q, k, v = (t.reshape(B, T, H, -1).transpose(1, 2) for t in (q, k, v))
        out = torch.nn.functional.scaled_dot_product_attention(q, k, v)
        return out.transpose(1, 2).reshape(B, T, H * dv)

    compare_op(
        [(B, T, H * (2 * dk + dv))],
        reference,
        lambda x: packed_self_attention(x, H, dk, dv),
    )


@pytest.mark.parametrize("batch", [1, 5])
def test_packed_self_attention_same_bits_on_any_thread_count(batch, monkeypatch):
    """The examples are split over the kernel threads: values and gradients keep their bits,
    and the split really happens when there are several workers."""
    from numkeras.engine import autodiff
    from numkeras.kernels import threads

    x = np.random.default_rng(1).standard_normal((batch, 9, 4 * 7)).astype("float32")
    g = np.random.default_rng(2).standard_normal((batch, 9, 4 * 3)).astype("float32")

    def run(workers):
        monkeypatch.setattr(threads, "workers", lambda: workers)
        calls = []
        run = threads.run
        monkeypatch.setattr(threads, "run", lambda tasks: (calls.append(len(tasks)), run(tasks)))
        with autodiff.enable_grad():
            y = packed_self_attention(numkeras.Variable(x), 4, 2, 3)
        (dx,) = y.vjp(g)
        monkeypatch.undo()
        return y.data, dx, calls

    y1, dx1, calls1 = run(1)
    y2, dx2, calls2 = run(2)
    assert calls1 == [1, 1] and calls2 == [min(2, batch)] * 2
    np.testing.assert_array_equal(y1, y2)
    np.testing.assert_array_equal(dx1, dx2)


def test_packed_self_attention_names_a_bad_width():
    with pytest.raises(ValueError, match="packed_self_attention.*30"):
        packed_self_attention(np.zeros((2, 3, 29), "float32"), 3, 3, 4)


def outputs_and_grads(model, x, **kwargs):
    with numkeras.GradientTape() as tape:
        y = model(x, **kwargs)
        loss = ops.sum(y * np.linspace(-1, 1, y.size).reshape(y.shape).astype("float32"))
    return [np.asarray(y)] + tape.gradient(loss, model.trainable_weights)


def self_attention_model(**kwargs):
    numkeras.utils.set_random_seed(0)
    inputs = numkeras.Input((6, 8))
    return numkeras.Model(
        inputs, layers.MultiHeadAttention(2, 3, value_dim=5, **kwargs)(inputs, inputs)
    )


def count_packed(monkeypatch):
    calls = []
    packed = MultiHeadAttention._packed_self_attention
    monkeypatch.setattr(
        MultiHeadAttention,
        "_packed_self_attention",
        lambda self, q: calls.append(1) or packed(self, q),
    )
    return calls


@pytest.mark.parametrize("use_bias", [True, False])
def test_self_attention_equals_the_general_path(monkeypatch, use_bias):
    model = self_attention_model(use_bias=use_bias, dropout=0.5)  # no dropout in inference
    x = rand(3, 6, 8, dtype="float32", low=-1, high=1)
    calls = count_packed(monkeypatch)
    fast = outputs_and_grads(model, x)
    assert calls == [1]
    monkeypatch.setattr(MultiHeadAttention, "_packs", lambda *a: False)
    slow = outputs_and_grads(model, x)
    for got, want in zip(fast, slow):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "kwargs, call",
    [
        ({"dropout": 0.2}, {"training": True}),
        ({}, {"return_attention_scores": True}),
        ({}, {"use_causal_mask": True}),
        ({"use_gate": True}, {}),
    ],
)
def test_other_settings_take_the_general_path(monkeypatch, kwargs, call):
    layer = layers.MultiHeadAttention(2, 3, **kwargs)
    x = numkeras.ops.convert_to_tensor(rand(2, 4, 6, dtype="float32"))
    calls = count_packed(monkeypatch)
    layer(x, x, **call)
    assert not calls


def test_a_subclass_with_its_own_attend_takes_the_general_path(monkeypatch):
    class Doubled(MultiHeadAttention):
        def _attend(self, q, k, v, mask, training):
            outputs, scores = super()._attend(q, k, v, mask, training)
            return outputs * 2, scores

    calls = count_packed(monkeypatch)
    x = numkeras.ops.convert_to_tensor(rand(2, 4, 6, dtype="float32"))
    layer = Doubled(2, 3)
    doubled = np.asarray(layer(x, x))
    assert not calls
    monkeypatch.setattr(Doubled, "_attend", MultiHeadAttention._attend)
    np.testing.assert_allclose(doubled, 2 * np.asarray(layer(x, x)), rtol=1e-5, atol=1e-6)
    assert calls == [1]


def test_cross_attention_and_masked_inputs_take_the_general_path(monkeypatch):
    calls = count_packed(monkeypatch)
    layer = layers.MultiHeadAttention(2, 3)
    x = numkeras.ops.convert_to_tensor(rand(2, 4, 6, dtype="float32"))
    layer(x, numkeras.ops.convert_to_tensor(rand(2, 5, 6, dtype="float32")))
    layer(x, x, attention_mask=np.tril(np.ones((4, 4), bool)))
    model = numkeras.Sequential([layers.Input((4,)), layers.Embedding(10, 6, mask_zero=True)])
    e = model(np.array([[1, 2, 0, 0]]))
    layers.MultiHeadAttention(2, 3)(e, e)
    assert not calls
    layer(x, x)  # the same layer, unmasked self-attention: packed
    assert calls == [1]
