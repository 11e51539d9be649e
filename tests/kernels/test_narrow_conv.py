"""kernels/narrow_conv.py: convolutions to one output channel, which `ops.conv` runs by shifted
sums of one GEMM's tap products instead of a patch-matrix GEMV, against the patch-matrix
kernels, PyTorch and central differences."""

import itertools

import numpy as np
import pytest

import numkeras
from numkeras import layers, ops
from numkeras.kernels import conv as kernels
from numkeras.kernels import narrow_conv
from numkeras.kernels.conv import output_size
from tests.engine.gradcheck import check_grad, compare_op, rand

GEOMETRIES = [  # (H, W), (KH, KW), strides, dilation
    ((7, 6), (3, 3), (1, 1), (1, 1)),
    ((5, 9), (2, 4), (2, 1), (1, 1)),
    ((8, 7), (5, 2), (3, 2), (1, 1)),  # stride 3: some inputs reached by no tap
    ((6, 7), (1, 1), (3, 3), (1, 1)),  # 1x1 kernel, stride above the kernel
    ((9, 8), (3, 2), (1, 1), (2, 3)),  # dilation
    ((4, 3), (5, 5), (1, 1), (1, 1)),  # 'same' taps that miss the input entirely
]


def _fits(geometry, padding):
    (H, W), (KH, KW), _, dilation = geometry
    return padding == "same" or ((KH - 1) * dilation[0] < H and (KW - 1) * dilation[1] < W)


@pytest.mark.parametrize(
    "geometry, padding",
    [(g, p) for g in GEOMETRIES for p in ("same", "valid") if _fits(g, p)],
)
@pytest.mark.parametrize("channels, outputs", [(1, 1), (5, 1), (3, 2), (4, 3)])
def test_equals_the_patch_matrix_kernels(geometry, padding, channels, outputs):
    (H, W), (KH, KW), strides, dilation = geometry
    x, kernel = rand(2, H, W, channels), rand(KH, KW, channels, outputs, seed=1)
    want, want_cache = kernels.conv2d_forward(x, kernel, strides, padding, dilation)
    got, cache = narrow_conv.forward(x, kernel, strides, padding, dilation)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    g = rand(*want.shape, seed=2)
    for a, b in zip(narrow_conv.backward(g, cache), kernels.conv2d_backward(g, want_cache)):
        assert a.shape == b.shape and a.dtype == np.float64
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_backward_skips_what_is_not_needed():
    x, kernel = rand(2, 5, 5, 3), rand(3, 3, 3, 1, seed=1)
    y, cache = narrow_conv.forward(x, kernel, (1, 1), "same", (1, 1))
    gx, gk = narrow_conv.backward(np.ones_like(y), cache, need_x=False)
    assert gx is None and gk.shape == kernel.shape
    gx, gk = narrow_conv.backward(np.ones_like(y), cache, need_kernel=False)
    assert gk is None and gx.shape == x.shape


def test_ops_conv_takes_it_for_one_output_channel(monkeypatch):
    calls = []
    forward = narrow_conv.forward
    monkeypatch.setattr(narrow_conv, "forward", lambda *a: calls.append(1) or forward(*a))
    x = rand(1, 5, 5, 2, dtype="float32")
    ops.conv(x, rand(3, 3, 2, 2, seed=1, dtype="float32"), padding="same")
    assert not calls
    y = ops.conv(x, rand(3, 3, 2, 1, seed=1, dtype="float32"), padding="same")
    assert calls and y.dtype == "float32" and y.shape == (1, 5, 5, 1)


def _torch_conv(torch, strides, padding, dilation, channels_first, rank):
    F = torch.nn.functional

    def run(x, k):
        x = x if channels_first else x.movedim(-1, 1)
        w = k.permute(-1, -2, *range(rank))
        if padding == "same":
            pads = []
            for n, kk, s, d in zip(x.shape[2:], k.shape[:rank], strides, dilation):
                pads = list(output_size(n, kk, s, "same", d)[1]) + pads
            x = F.pad(x, pads)
        conv = F.conv1d if rank == 1 else F.conv2d
        y = conv(x, w, stride=strides, dilation=dilation)
        return y if channels_first else y.movedim(1, -1)

    return run


TORCH_CASES = [  # rank, input shape (channels last), kernel size, strides, padding, dilation
    (2, (2, 7, 6, 4), (3, 3), (1, 1), "same", (1, 1)),
    (2, (2, 8, 7, 3), (3, 2), (2, 2), "same", (1, 1)),
    (2, (1, 9, 9, 2), (3, 3), (1, 1), "same", (2, 2)),
    (2, (2, 7, 8, 5), (4, 3), (2, 3), "valid", (1, 1)),
    (1, (2, 11, 3), (5,), (2,), "same", (1,)),
    (1, (2, 12, 2), (3,), (1,), "valid", (3,)),
]


@pytest.mark.parametrize("rank, x_shape, size, strides, padding, dilation", TORCH_CASES)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_matches_torch(torch, rank, x_shape, size, strides, padding, dilation, data_format):
    first = data_format == "channels_first"
    if first:
        x_shape = (x_shape[0], x_shape[-1]) + x_shape[1:-1]
    compare_op(
        [x_shape, size + (x_shape[1 if first else -1], 1)],
        _torch_conv(torch, strides, padding, dilation, first, rank),
        lambda x, k: ops.conv(x, k, strides, padding, data_format, dilation),
        atol=1e-4,
        grad_atol=1e-4,
    )


@pytest.mark.parametrize(
    "x_shape, k_shape, kwargs",
    [
        ((2, 4, 5, 2), (3, 3, 2, 1), {"padding": "same"}),
        ((1, 6, 5, 3), (3, 2, 3, 1), {"strides": 2, "padding": "same"}),
        ((2, 5, 6, 2), (2, 3, 2, 1), {"dilation_rate": (2, 1)}),
        ((2, 7, 3), (3, 3, 1), {"strides": 2, "padding": "same"}),
    ],
)
def test_float64_gradients_match_central_differences(x_shape, k_shape, kwargs):
    check_grad(lambda x, k: ops.conv(x, k, **kwargs), rand(*x_shape), rand(*k_shape, seed=1))


def test_a_model_gives_the_same_values_with_or_without_a_following_pool():
    """The fusion pass leaves a one-channel conv + pool unfused: the pair's values are the
    layers' values."""
    numkeras.utils.set_random_seed(0)
    model = numkeras.Sequential(
        [layers.Input((6, 6, 3)), layers.Conv2D(1, 3, activation="relu"), layers.MaxPooling2D()]
    )
    x = rand(2, 6, 6, 3, dtype="float32")
    y = model(x)
    assert y.op == "max_pool"
    np.testing.assert_array_equal(np.asarray(y), np.asarray(model.layers[1](model.layers[0](x))))


def test_taps_list_exactly_the_outputs_reading_the_input():
    """_reach's slices, against a loop over every output position."""
    for offset, stride, n_in, n_out in itertools.product(range(-4, 5), (1, 2, 3), (1, 4, 7), (5,)):
        reach = narrow_conv._reach(offset, stride, n_in, n_out)
        pairs = [(o, o * stride + offset) for o in range(n_out) if 0 <= o * stride + offset < n_in]
        if reach is None:
            assert not pairs
        else:
            outs, ins = reach
            assert list(zip(range(n_out)[outs], range(n_in)[ins])) == pairs


def test_kernel_gradient_in_chunks_equals_one_chunk(monkeypatch):
    """The kernel gradient summed over chunks of pixels."""
    x, kernel = rand(2, 5, 6, 3), rand(3, 3, 3, 1, seed=1)
    y, cache = narrow_conv.forward(x, kernel, (1, 1), "same", (1, 1))
    g = rand(*y.shape, seed=2)
    _, whole = narrow_conv.backward(g, cache, need_x=False)
    monkeypatch.setattr(narrow_conv, "CHUNK", 7)  # 60 pixels: 10 chunks of 6
    _, chunked = narrow_conv.backward(g, cache, need_x=False)
    np.testing.assert_allclose(chunked, whole, rtol=1e-12)
    _, want = kernels.conv2d_backward(
        g, kernels.conv2d_forward(x, kernel, (1, 1), "same", (1, 1))[1]
    )
    np.testing.assert_allclose(chunked, want, rtol=1e-12)


@pytest.mark.parametrize("block_pixels", [1, 100, 400])  # 1 or 2 images a block; one block
def test_blocks_of_images_give_the_whole_batchs_results(monkeypatch, block_pixels):
    """The batch runs a block of images at a time (an uneven count too: 5 images)."""
    x, kernel = rand(5, 6, 7, 3), rand(3, 3, 3, 2, seed=1)
    g = rand(5, 6, 7, 2, seed=2)
    y, cache = narrow_conv.forward(x, kernel, (1, 1), "same", (1, 1))
    whole = (y,) + narrow_conv.backward(g, cache)
    monkeypatch.setattr(narrow_conv, "BLOCK_PIXELS", block_pixels)
    assert len(narrow_conv._blocks(5, 6, 7)) == {1: 5, 100: 4, 400: 1}[block_pixels]
    y, cache = narrow_conv.forward(x, kernel, (1, 1), "same", (1, 1))
    for got, want in zip((y,) + narrow_conv.backward(g, cache), whole):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
