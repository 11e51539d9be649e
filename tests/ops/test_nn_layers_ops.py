"""Convolution variants, adaptive pooling, attention and CTC ops against real keras.ops."""

import numpy as np
import pytest

from numkeras import ops
from tests.engine.gradcheck import check_grad, rand
from tests.ops.oracle import compare_with_keras

X2 = rand(2, 7, 9, 3, seed=1, dtype="float32")
X1 = rand(2, 10, 3, seed=2, dtype="float32")
DW = rand(3, 3, 3, 2, seed=3, dtype="float32")
PW = rand(1, 1, 6, 4, seed=4, dtype="float32")
Q = rand(2, 5, 4, 8, seed=5, dtype="float32")
K = rand(2, 6, 2, 8, seed=6, dtype="float32")
V = rand(2, 6, 2, 8, seed=7, dtype="float32")
LOGITS = rand(2, 8, 5, seed=8, dtype="float32")
LABELS = np.array([[1, 2, 2], [3, 1, 0]], "int32")

FORWARD = [
    ("depthwise_conv", (X2, DW), {}),
    ("depthwise_conv", (X2, DW), {"strides": 2, "padding": "same"}),
    ("depthwise_conv", (X1, DW[0]), {"dilation_rate": 2}),
    ("separable_conv", (X2, DW, PW), {}),
    ("separable_conv", (X2, DW, PW), {"padding": "same"}),
    ("adaptive_average_pool", (X2, (3, 4)), {}),
    ("adaptive_max_pool", (X2, 4), {}),
    ("adaptive_average_pool", (X1, 4), {}),
    ("adaptive_max_pool", (X1, 3), {}),
    ("adaptive_average_pool", (np.moveaxis(X2, -1, 1), (2, 5)), {"data_format": "channels_first"}),
    ("adaptive_max_pool", (rand(1, 5, 6, 7, 2, dtype="float32"), (2, 3, 4)), {}),
    ("dot_product_attention", (Q, K, V), {}),
    ("dot_product_attention", (Q, K, V), {"is_causal": True, "scale": 0.5}),
    ("dot_product_attention", (Q, K, V), {"mask": rand(2, 1, 5, 6, seed=9) > 0}),
    ("dot_product_attention", (Q, K, V), {"bias": rand(5, 6, seed=10, dtype="float32")}),
    ("ctc_loss", (LABELS, LOGITS, np.array([3, 2]), np.array([8, 6])), {}),
    ("ctc_loss", (LABELS, LOGITS, np.array([3, 1]), np.array([8, 8])), {"mask_index": 4}),
    ("ctc_decode", (LOGITS, np.array([8, 5])), {}),
    ("ctc_decode", (LOGITS, np.array([8, 8])), {"merge_repeated": False, "mask_index": 2}),
]


@pytest.mark.parametrize("name,args,kwargs", FORWARD, ids=lambda v: v if isinstance(v, str) else "")
def test_matches_keras(name, args, kwargs):
    compare_with_keras(name, args, kwargs, atol=1e-4, rtol=1e-4)


def test_attention_soft_cap_and_bias_with_mask_follow_the_formula():
    # Keras allows the soft cap only on JAX/TPU and bias with mask not on torch: known math
    bias, mask = rand(5, 6, seed=10), rand(2, 1, 5, 6, seed=9) > 0
    kr, vr = np.repeat(K, 2, axis=2), np.repeat(V, 2, axis=2)
    logits = np.einsum("btnh,bsnh->bnts", Q, kr) / np.sqrt(8) + bias
    logits = np.tanh(logits / 2.0) * 2.0
    logits = np.where(mask, logits, -1e30)
    probs = np.exp(logits - logits.max(-1, keepdims=True))
    probs /= probs.sum(-1, keepdims=True)
    expected = np.einsum("bnts,bsnh->btnh", probs, vr)
    got = ops.dot_product_attention(Q, K, V, bias=bias, mask=mask, attn_logits_soft_cap=2.0)
    np.testing.assert_allclose(np.asarray(got), expected, atol=1e-5)


GRAD = [
    (
        "depthwise_conv",
        lambda x, k: ops.depthwise_conv(x, k, padding="same"),
        [rand(1, 4, 5, 2), rand(3, 3, 2, 2, seed=1)],
    ),
    (
        "separable_conv",
        lambda x, d, p: ops.separable_conv(x, d, p),
        [rand(1, 4, 4, 2), rand(2, 2, 2, 1, seed=1), rand(1, 1, 2, 3, seed=2)],
    ),
    ("adaptive_average_pool", lambda x: ops.adaptive_average_pool(x, (2, 3)), [rand(1, 5, 7, 2)]),
    ("adaptive_max_pool", lambda x: ops.adaptive_max_pool(x, 3), [rand(1, 7, 2)]),
    (
        "dot_product_attention",
        lambda q, k, v: ops.dot_product_attention(q, k, v, is_causal=True),
        [rand(1, 3, 2, 4), rand(1, 3, 1, 4, seed=1), rand(1, 3, 1, 4, seed=2)],
    ),
    (
        "ctc_loss",
        lambda x: ops.ctc_loss(LABELS, x, np.array([3, 2]), np.array([6, 5])),
        [rand(2, 6, 5)],
    ),
]


@pytest.mark.parametrize("name,fn,arrays", GRAD, ids=[g[0] for g in GRAD])
def test_gradient(name, fn, arrays):
    check_grad(fn, *arrays)


def test_errors():
    with pytest.raises(ValueError, match="multiple"):
        ops.dot_product_attention(Q, K[:, :, :1].repeat(3, 2), V[:, :, :1].repeat(3, 2))
    with pytest.raises(ValueError, match="4D"):
        ops.dot_product_attention(Q[0], K[0], V[0])
    with pytest.raises(ValueError, match="1D/2D/3D"):
        ops.adaptive_max_pool(np.ones((2, 3)), 2)
    with pytest.raises(NotImplementedError, match="greedy"):
        ops.ctc_decode(LOGITS, np.array([8, 8]), strategy="beam_search")
