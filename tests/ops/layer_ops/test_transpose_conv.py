"""ops/layer_ops/transpose_conv.py's kernels: the input and kernel gradients, computed together
from one patch matrix per block when both are needed, have the bits of each computed alone."""

import numpy as np
import pytest

import numkeras
from numkeras import ops
from numkeras.kernels import conv as kernels
from tests.engine.gradcheck import rand

CASES = [  # input shape, kernel shape (KH, KW, out, in), strides, padding, dilation
    ((2, 5, 6, 3), (3, 3, 4, 3), 2, "same", 1),
    ((2, 4, 5, 2), (4, 3, 3, 2), (2, 3), "valid", 1),
    ((1, 6, 5, 4), (3, 3, 2, 4), 1, "same", 2),
    ((2, 7, 3), (5, 2, 3), 2, "same", 1),
]


def gradients(x, kernel, wanted, strides, padding, dilation):
    """conv_transpose's gradients for the inputs `wanted` ("x", "kernel") to be Variables."""
    tensors = {"x": x, "kernel": kernel}
    for name in wanted:
        tensors[name] = numkeras.Variable(tensors[name])
    with numkeras.GradientTape() as tape:
        y = ops.conv_transpose(
            tensors["x"], tensors["kernel"], strides, padding, None, None, dilation
        )
        loss = ops.sum(ops.multiply(y, np.cos(np.arange(y.size)).reshape(y.shape)))
    return dict(zip(wanted, tape.gradient(loss, [tensors[n] for n in wanted])))


@pytest.mark.parametrize("x_shape, k_shape, strides, padding, dilation", CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gradients_together_equal_each_alone(x_shape, k_shape, strides, padding, dilation, dtype):
    x, kernel = rand(*x_shape, dtype=dtype), rand(*k_shape, seed=1, dtype=dtype)
    both = gradients(x, kernel, ("x", "kernel"), strides, padding, dilation)
    alone_x = gradients(x, kernel, ("x",), strides, padding, dilation)
    alone_k = gradients(x, kernel, ("kernel",), strides, padding, dilation)
    assert both["x"].shape == x.shape and both["kernel"].shape == kernel.shape
    assert both["x"].dtype == dtype and both["kernel"].dtype == dtype
    np.testing.assert_array_equal(both["x"], alone_x["x"])
    np.testing.assert_array_equal(both["kernel"], alone_k["kernel"])


def test_conv_and_kernel_gradient_is_the_two_kernels(monkeypatch):
    monkeypatch.setattr(kernels, "BLOCK_BYTES", 3000)  # many blocks and runs
    rng = np.random.default_rng(0)
    xp = rng.standard_normal((3, 11, 9, 4)).astype(np.float32)
    kernel = rng.standard_normal((3, 3, 4, 5)).astype(np.float32)
    g = rng.standard_normal((3, 5, 4, 6)).astype(np.float32)
    out = np.empty((3, 5, 4, 5), np.float32)
    y, gk = kernels.conv_and_kernel_gradient(xp, kernel, g, (2, 2), (1, 1), out)
    assert y is out
    want = kernels.conv_blocks(xp, kernel, (2, 2), (1, 1), np.empty_like(out))
    np.testing.assert_array_equal(y, want)
    np.testing.assert_array_equal(gk, kernels.kernel_gradient(xp, g, (3, 3, 4, 6), (2, 2), (1, 1)))


@pytest.mark.parametrize("x_shape, k_shape, strides, padding, dilation", CASES)
def test_forward_in_small_blocks_equals_one_block(
    monkeypatch, x_shape, k_shape, strides, padding, dilation
):
    """Row blocks, where phases of unequal lengths end inside a block, give the same values
    (to rounding: the BLAS may sum a small GEMM in another order)."""
    x, kernel = rand(*x_shape, dtype="float32"), rand(*k_shape, seed=1, dtype="float32")
    whole = ops.conv_transpose(x, kernel, strides, padding, None, None, dilation).numpy()
    monkeypatch.setattr(kernels, "BLOCK_BYTES", 200)
    small = ops.conv_transpose(x, kernel, strides, padding, None, None, dilation).numpy()
    np.testing.assert_allclose(small, whole, rtol=1e-5, atol=1e-5)


def test_forward_matches_torch_with_odd_phase_lengths(torch):
    """'valid', stride 2, 3 taps: 11 output rows, phases of 6 and 5 rows, 2 and 1 taps."""
    F = torch.nn.functional
    x, kernel = rand(2, 5, 6, 3, dtype="float32"), rand(3, 3, 4, 3, seed=1, dtype="float32")
    want = F.conv_transpose2d(
        torch.tensor(x).permute(0, 3, 1, 2), torch.tensor(kernel).permute(3, 2, 0, 1), stride=2
    )
    got = ops.conv_transpose(x, kernel, 2).numpy()
    assert got.shape == (2, 11, 13, 4)
    np.testing.assert_allclose(got, want.permute(0, 2, 3, 1).numpy(), atol=1e-5)
