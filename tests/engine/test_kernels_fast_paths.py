"""The kernels' special paths against plain per-pixel float64 loops.

im2col copies K-major below `FEW_CHANNELS` input channels and col2im runs one GEMM per
kernel offset above it; max pooling writes (rather than adds) the gradient of disjoint
windows and routes tied windows to their first maximum. Each side of each switch is
checked here on small shapes, including the cropped, padded, gapped and tied cases.
"""

import numpy as np
import pytest

from numkeras.kernels import conv as kernels
from numkeras.kernels import pool as pool_kernels


def reference_conv(x, kernel, strides, padding, dilation, groups):
    """Direct convolution, one output pixel at a time: (y, gx, gkernel) for upstream g."""
    KH, KW, Cg, CO = kernel.shape
    OH, OW, pad_h, pad_w = kernels._geometry(x.shape, (KH, KW), strides, padding, dilation)
    xp = np.pad(x, ((0, 0), pad_h, pad_w, (0, 0)))
    COg = CO // groups

    def patch(oh, ow, grp):
        rows = oh * strides[0] + dilation[0] * np.arange(KH)
        columns = ow * strides[1] + dilation[1] * np.arange(KW)
        return np.ix_(rows, columns, np.arange(grp * Cg, (grp + 1) * Cg))

    y = np.zeros((x.shape[0], OH, OW, CO))
    for n, oh, ow, grp in np.ndindex(x.shape[0], OH, OW, groups):
        window = xp[n][patch(oh, ow, grp)]
        outs = slice(grp * COg, (grp + 1) * COg)
        y[n, oh, ow, outs] = np.tensordot(window, kernel[..., outs], 3)
    return y, (xp, patch, pad_h, pad_w)


def reference_conv_grads(g, x, kernel, context, groups):
    xp, patch, pad_h, pad_w = context
    COg = kernel.shape[-1] // groups
    gxp, gkernel = np.zeros_like(xp), np.zeros_like(kernel)
    for n, oh, ow, grp in np.ndindex(*g.shape[:3], groups):
        index, outs = patch(oh, ow, grp), slice(grp * COg, (grp + 1) * COg)
        gxp[n][index] += kernel[..., outs] @ g[n, oh, ow, outs]
        gkernel[..., outs] += np.multiply.outer(xp[n][index], g[n, oh, ow, outs])
    H, W = x.shape[1:3]
    return gxp[:, pad_h[0] : pad_h[0] + H, pad_w[0] : pad_w[0] + W], gkernel


@pytest.mark.parametrize("channels", [1, 3, kernels.FEW_CHANNELS, 6])
@pytest.mark.parametrize(
    "strides, padding, dilation, groups",
    [
        ((1, 1), "valid", (1, 1), 1),
        ((2, 1), "same", (1, 1), 1),
        ((1, 2), "valid", (2, 1), 1),
        ((2, 2), "same", (2, 2), 1),
        ((1, 1), "same", (1, 1), 2),
    ],
)
def test_conv_matches_a_per_pixel_loop(channels, strides, padding, dilation, groups):
    rng = np.random.default_rng(0)
    C = channels * groups
    x = rng.standard_normal((2, 7, 6, C))
    kernel = rng.standard_normal((3, 2, channels, 2 * groups))
    y, cache = kernels.conv2d_forward(x, kernel, strides, padding, dilation, groups)
    want_y, context = reference_conv(x, kernel, strides, padding, dilation, groups)
    np.testing.assert_allclose(y, want_y, atol=1e-12)
    g = rng.standard_normal(y.shape)
    gx, gkernel = kernels.conv2d_backward(g, cache)
    want_gx, want_gkernel = reference_conv_grads(g, x, kernel, context, groups)
    np.testing.assert_allclose(gx, want_gx, atol=1e-12)
    np.testing.assert_allclose(gkernel, want_gkernel, atol=1e-12)
    assert kernels.conv2d_backward(g, cache, need_x=False)[0] is None
    assert kernels.conv2d_backward(g, cache, need_kernel=False)[1] is None


@pytest.mark.parametrize("block_bytes", [1, 1000, 5000, 30000])
@pytest.mark.parametrize("channels", [1, 6])
@pytest.mark.parametrize("strides, padding", [((1, 1), "same"), ((2, 1), "valid")])
def test_conv_blocks_tile_the_output(monkeypatch, block_bytes, channels, strides, padding):
    """Blocks of one output row, of several rows of an image and of several whole images."""
    monkeypatch.setattr(kernels, "BLOCK_BYTES", block_bytes)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 7, 6, channels))
    kernel = rng.standard_normal((3, 2, channels, 4))
    y, cache = kernels.conv2d_forward(x, kernel, strides, padding, (1, 1))
    want_y, context = reference_conv(x, kernel, strides, padding, (1, 1), 1)
    np.testing.assert_allclose(y, want_y, atol=1e-12)
    g = rng.standard_normal(y.shape)
    gx, gkernel = kernels.conv2d_backward(g, cache)
    want_gx, want_gkernel = reference_conv_grads(g, x, kernel, context, 1)
    np.testing.assert_allclose(gx, want_gx, atol=1e-12)
    np.testing.assert_allclose(gkernel, want_gkernel, atol=1e-12)


def test_conv_keeps_float32():
    x = np.ones((2, 5, 5, 1), np.float32)
    for channels in (1, kernels.FEW_CHANNELS):
        kernel = np.ones((3, 3, 1, channels), np.float32)
        y, cache = kernels.conv2d_forward(x, kernel, (1, 1), "same", (1, 1))
        gx, gkernel = kernels.conv2d_backward(y, cache)
        assert y.dtype == gx.dtype == gkernel.dtype == np.float32


def reference_max_pool(x, g, pool, strides, padding):
    """Window maxima and the gradient routed to each window's first maximum (row-major)."""
    OH, OW, pad_h, pad_w = kernels._geometry(x.shape, pool, strides, padding, (1, 1))
    xp = np.pad(x, ((0, 0), pad_h, pad_w, (0, 0)), constant_values=-np.inf)
    y = np.zeros((x.shape[0], OH, OW, x.shape[3]))
    gxp = np.zeros(xp.shape)
    for n, oh, ow, c in np.ndindex(y.shape):
        rows = slice(oh * strides[0], oh * strides[0] + pool[0])
        columns = slice(ow * strides[1], ow * strides[1] + pool[1])
        window = xp[n, rows, columns, c]
        first = np.unravel_index(np.argmax(window), window.shape)  # argmax: first maximum
        y[n, oh, ow, c] = window[first]
        gxp[n, rows, columns, c][first] += g[n, oh, ow, c]
    return y, gxp[:, pad_h[0] : pad_h[0] + x.shape[1], pad_w[0] : pad_w[0] + x.shape[2]]


@pytest.mark.parametrize(
    "shape, pool, strides, padding",
    [
        ((2, 8, 6, 3), (2, 2), (2, 2), "valid"),  # disjoint, exact fit
        ((2, 9, 8, 3), (3, 2), (3, 2), "valid"),  # disjoint, 3 rows by 2 columns
        ((2, 6, 9, 2), (2, 3), (2, 3), "valid"),  # disjoint, 2 rows by 3 columns
        ((2, 5, 7, 2), (1, 2), (1, 2), "valid"),  # two offsets in one row, cropped
        ((2, 6, 6, 2), (2, 2), (2, 2), "same"),  # 'same' that needs no padding
        ((2, 6, 6, 2), (2, 1), (1, 1), "valid"),  # overlapping, two offsets
        ((2, 7, 9, 3), (2, 2), (2, 2), "valid"),  # disjoint, cropped remainder
        ((2, 7, 5, 3), (2, 2), (2, 2), "same"),  # disjoint, padded
        ((2, 9, 8, 2), (2, 3), (3, 4), "valid"),  # disjoint with gaps between windows
        ((2, 7, 6, 2), (3, 3), (2, 1), "valid"),  # overlapping
        ((2, 6, 7, 2), (3, 2), (2, 2), "same"),  # overlapping in one axis, padded
        ((1, 17, 17, 2), (17, 17), (1, 1), "valid"),  # 289 offsets: an index wider than uint8
        ((2, 5, 4, 2), (1, 1), (1, 1), "valid"),  # a single offset
    ],
)
@pytest.mark.parametrize("values", ["distinct", "relu_ties", "all_equal"])
def test_max_pool_routes_to_the_first_maximum(shape, pool, strides, padding, values):
    rng = np.random.default_rng(1)
    x = {
        "distinct": rng.permutation(np.arange(np.prod(shape))).reshape(shape) * 0.5,
        "relu_ties": np.maximum(np.round(rng.standard_normal(shape)), 0),
        "all_equal": np.zeros(shape),
    }[values]
    y, cache = pool_kernels.max_pool_forward(x, pool, strides, padding)
    g = rng.standard_normal(y.shape)
    want_y, want_gx = reference_max_pool(x, g, pool, strides, padding)
    np.testing.assert_array_equal(y, want_y)
    np.testing.assert_allclose(pool_kernels.max_pool_backward(g, cache), want_gx, atol=1e-12)


def test_max_pool_keeps_float32():
    x = np.maximum(np.random.default_rng(2).standard_normal((2, 6, 6, 3)), 0).astype(np.float32)
    y, cache = pool_kernels.max_pool_forward(x, (2, 2), (2, 2), "valid")
    assert y.dtype == pool_kernels.max_pool_backward(y, cache).dtype == np.float32
