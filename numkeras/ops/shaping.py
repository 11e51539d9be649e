"""Block rearrangements: depth_to_space, space_to_depth, unfold/fold (im2col and col2im) and
einops-style `rearrange`. All are position maps, so gradients scatter back exactly."""

import numpy as np

from numkeras.engine.shape_ops import reshape, transpose
from numkeras.engine.tensor import Tensor, as_tensor
from numkeras.ops.rearranging import moved


def _check_format(name, data_format):
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            f"Op `{name}`: data_format must be 'channels_last' or 'channels_first', "
            f"got {data_format!r}."
        )


def depth_to_space(x, block_size, data_format="channels_last"):
    """Move channel blocks into block_size x block_size spatial tiles (DCR order)."""
    _check_format("depth_to_space", data_format)
    x = as_tensor(x)
    b = block_size
    if data_format == "channels_last":
        n, h, w, c = x.shape
        y = transpose(reshape(x, (n, h, w, b, b, c // (b * b))), (0, 1, 3, 2, 4, 5))
        return reshape(y, (n, h * b, w * b, c // (b * b)))
    n, c, h, w = x.shape
    y = transpose(reshape(x, (n, c // (b * b), b, b, h, w)), (0, 1, 4, 2, 5, 3))
    return reshape(y, (n, c // (b * b), h * b, w * b))


def space_to_depth(x, block_size, data_format="channels_last"):
    """Move block_size x block_size spatial tiles into channels (the inverse of depth_to_space)."""
    _check_format("space_to_depth", data_format)
    x = as_tensor(x)
    b = block_size
    if data_format == "channels_last":
        n, h, w, c = x.shape
        y = transpose(reshape(x, (n, h // b, b, w // b, b, c)), (0, 1, 3, 2, 4, 5))
        return reshape(y, (n, h // b, w // b, c * b * b))
    n, c, h, w = x.shape
    y = transpose(reshape(x, (n, c, h // b, b, w // b, b)), (0, 1, 3, 5, 2, 4))
    return reshape(y, (n, c * b * b, h // b, w // b))


def _two(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _im2col(p, k, d, pad, s):
    """Sliding blocks of a (N, C, H, W) array as (N, C*kH*kW, L), zero padded."""
    p = np.pad(p, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    n, c, h, w = p.shape
    oh = (h - d[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (w - d[1] * (k[1] - 1) - 1) // s[1] + 1
    rows = (np.arange(k[0]) * d[0])[:, None, None, None] + (np.arange(oh) * s[0])[
        None, None, :, None
    ]
    cols = (np.arange(k[1]) * d[1])[None, :, None, None] + (np.arange(ow) * s[1])[
        None, None, None, :
    ]
    blocks = p[:, :, rows, cols]  # (N, C, kH, kW, oH, oW)
    return blocks.reshape(n, c * k[0] * k[1], oh * ow)


def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding local blocks of an NCHW image: (N, C * kH * kW, L), as torch's unfold."""
    x = as_tensor(x)
    if x.ndim != 4:
        raise ValueError(f"Op `unfold`: expected a 4-D (N, C, H, W) input, got shape {x.shape}.")
    args = _two(kernel_size), _two(dilation), _two(padding), _two(stride)
    return moved("unfold", x, lambda p: _im2col(p, *args))


def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sum sliding blocks (N, C * kH * kW, L) back into an (N, C, H, W) image (col2im)."""
    x = as_tensor(x)
    k = _two(kernel_size)
    n, ckk, _ = x.shape
    c = ckk // (k[0] * k[1])
    oh, ow = _two(output_size)
    positions = np.arange(1, n * c * oh * ow + 1).reshape(n, c, oh, ow)
    source = _im2col(positions, k, _two(dilation), _two(padding), _two(stride))
    if source.shape != x.shape:
        raise ValueError(
            f"Op `fold`: blocks of shape {x.shape} do not match output_size "
            f"{(oh, ow)} (expected {source.shape})."
        )
    flat = np.zeros(n * c * oh * ow + 1, x.data.dtype)
    np.add.at(flat, source.reshape(-1), x.data.reshape(-1))
    y = flat[1:].reshape(n, c, oh, ow)

    def vjp(g):
        padded = np.concatenate([np.zeros(1, g.dtype), g.reshape(-1)])
        return (padded[source],)

    return Tensor(y, (x,), vjp, "fold")


def _groups(side):
    groups, current = [], None
    for token in side.replace("(", " ( ").replace(")", " ) ").split():
        if token == "(":
            current = []
        elif token == ")":
            groups.append(current)
            current = None
        elif current is not None:
            current.append(token)
        else:
            groups.append([token])
    return groups


def rearrange(tensor, pattern, **axes_lengths):
    """einops-style rearrange, e.g. "b (h w) c -> b c h w" with h given."""
    x = as_tensor(tensor)
    left, _, right = pattern.partition("->")
    lhs, rhs = _groups(left), _groups(right)
    if len(lhs) != x.ndim:
        raise ValueError(
            f"Op `rearrange`: pattern {pattern!r} names {len(lhs)} axes, the input "
            f"has shape {x.shape}."
        )
    sizes = dict(axes_lengths)
    for group, n in zip(lhs, x.shape):
        unknown = [a for a in group if a not in sizes]
        known = int(np.prod([sizes[a] for a in group if a in sizes]))
        if len(unknown) > 1:
            raise ValueError(f"Op `rearrange`: cannot infer the sizes of {unknown} in {pattern!r}.")
        if unknown:
            sizes[unknown[0]] = n // known
        if int(np.prod([sizes[a] for a in group])) != n:
            raise ValueError(f"Op `rearrange`: axis group {group} does not divide size {n}.")
    names = [a for group in lhs for a in group]
    order = [a for group in rhs for a in group]
    if sorted(names) != sorted(order):
        raise ValueError(f"Op `rearrange`: {pattern!r} must use the same axes on both sides.")
    y = reshape(x, tuple(sizes[a] for a in names))
    y = transpose(y, [names.index(a) for a in order])
    return reshape(y, tuple(int(np.prod([sizes[a] for a in group])) for group in rhs))


__all__ = ["depth_to_space", "fold", "rearrange", "space_to_depth", "unfold"]
