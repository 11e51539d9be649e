"""Scaled dot-product attention with Keras's layout (batch, length, heads, head_dim), masks,
causal masking, grouped-query heads and logit soft-capping, built from differentiable ops."""

import numpy as np

from numkeras.engine import math_ops as m
from numkeras.engine.shape_ops import repeat
from numkeras.engine.tensor import Tensor, as_array, as_tensor
from numkeras.ops.layer_ops.nn_ops import softmax
from numkeras.ops.products import einsum


def dot_product_attention(
    query,
    key,
    value,
    bias=None,
    mask=None,
    scale=None,
    is_causal=False,
    flash_attention=None,
    attn_logits_soft_cap=None,
):
    """softmax(q k^T * scale + bias, masked) v; q (B, T, N, H), k and v (B, S, K, H)."""
    if flash_attention:
        raise ValueError(
            "Flash attention is not supported by the NumPy engine. "
            f"Received: flash_attention={flash_attention}"
        )
    q, k, v = as_tensor(query), as_tensor(key), as_tensor(value)
    if q.ndim != 4 or k.ndim != 4 or v.ndim != 4:
        raise ValueError(
            "`dot_product_attention` only supports 4D inputs. Received: "
            f"query.shape={q.shape}, key.shape={k.shape}, value.shape={v.shape}."
        )
    heads, kv_heads = q.shape[2], k.shape[2]
    if heads % kv_heads:
        raise ValueError(
            f"The number of query heads ({heads}) must be a multiple of the number "
            f"of key/value heads ({kv_heads})."
        )
    if kv_heads != heads:  # grouped-query attention: each key/value head serves a group
        k, v = repeat(k, heads // kv_heads, axis=2), repeat(v, heads // kv_heads, axis=2)
    dtype = q.data.dtype
    scale = 1.0 / np.sqrt(q.shape[-1]) if scale is None else scale
    logits = m.multiply(einsum("BTNH,BSNH->BNTS", q, k), np.asarray(scale, dtype))
    if bias is not None:
        logits = m.add(logits, m.cast(as_tensor(bias), dtype))
    if attn_logits_soft_cap is not None:
        cap = np.asarray(attn_logits_soft_cap, dtype)
        logits = m.multiply(m.tanh(m.divide(logits, cap)), cap)
    keep = None
    if mask is not None:
        keep = as_array(mask).astype(bool)
    if is_causal:
        t, s = logits.shape[-2:]
        causal = np.tril(np.ones((t, s), bool))
        keep = causal if keep is None else keep & causal
    if keep is not None:
        large_negative = Tensor(np.asarray(-0.7 * np.finfo(dtype).max, dtype))
        logits = m.where(np.broadcast_to(keep, logits.shape), logits, large_negative)
    probs = softmax(logits, axis=-1)
    out = einsum("BNTS,BSNH->BTNH", probs, v)
    return out


__all__ = ["dot_product_attention"]
