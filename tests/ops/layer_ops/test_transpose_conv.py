"""ops/layer_ops/transpose_conv.py's kernels: the input and kernel gradients, computed together
from one patch matrix per block when both are needed, have the bits of each computed alone."""

import numpy as np
import pytest

import numkeras
from numkeras import ops
from numkeras.kernels import conv as kernels
from numkeras.ops.layer_ops import transpose_conv
from numkeras.ops.layer_ops.transpose_conv import conv_transpose_bias_relu
from tests.engine.gradcheck import check_grad, compare_op, rand

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


# --- conv_transpose_bias_relu ----------------------------------------------------------------
FUSED_CASES = CASES + [
    ((2, 4, 5, 3), (3, 3, 4, 3), 2, "valid", 1),  # phases of unequal lengths
    ((1, 4, 4, 2), (3, 3, 3, 2), 2, "same", 2),  # stride with dilation: the col2im path
    ((2, 3, 4, 2), (2, 2, 3, 2), 3, "valid", 1),  # stride above the kernel: tapless phases
]
# phases whose taps start at different input positions (spans with zeros between their rows)
PHASE_CASES = [
    ((2, 5, 4, 3), (4, 4, 3, 3), 2, "same", 1),
    ((1, 3, 4, 2), (5, 3, 2, 2), (3, 2), "valid", 1),
]
FUSED_CASES += PHASE_CASES


def separate(x, kernel, bias, strides, padding, dilation):
    y = ops.conv_transpose(x, kernel, strides, padding, None, None, dilation)
    return ops.relu(y + bias)


def fused(x, kernel, bias, strides, padding, dilation):
    return conv_transpose_bias_relu(x, kernel, bias, strides, padding, None, dilation)


@pytest.mark.parametrize("x_shape, k_shape, strides, padding, dilation", FUSED_CASES)
def test_fused_values_equal_the_separate_ops(x_shape, k_shape, strides, padding, dilation):
    x, kernel = rand(*x_shape, dtype="float32"), rand(*k_shape, seed=1, dtype="float32")
    bias = rand(k_shape[-2], seed=2, low=-1, high=1, dtype="float32")
    y = fused(x, kernel, bias, strides, padding, dilation)
    assert y.op == "conv_transpose_bias_relu" and y.dtype == "float32"
    want = separate(x, kernel, bias, strides, padding, dilation)
    assert 0 < np.mean(np.asarray(want) > 0) < 1  # the relu cuts somewhere
    np.testing.assert_array_equal(np.asarray(y), np.asarray(want))


@pytest.mark.parametrize("x_shape, k_shape, strides, padding, dilation", FUSED_CASES)
@pytest.mark.parametrize("block_bytes", [None, 200])  # one block, or row blocks
def test_fused_gradients_equal_the_separate_ops(
    monkeypatch, block_bytes, x_shape, k_shape, strides, padding, dilation
):
    """The input and kernel gradients have the separate ops' bits, the bias's (summed by
    blocks, each over the rows it owns) their values."""
    if block_bytes:
        monkeypatch.setattr(kernels, "BLOCK_BYTES", block_bytes)
    arrays = [
        rand(*x_shape, dtype="float32"),
        rand(*k_shape, seed=1, dtype="float32"),
        rand(k_shape[-2], seed=2, low=-1, high=1, dtype="float32"),
    ]
    r = np.cos(np.arange(np.prod(np.shape(fused(*arrays, strides, padding, dilation)))))
    grads = []
    for fn in (fused, separate):
        variables = [numkeras.Variable(a) for a in arrays]
        with numkeras.GradientTape() as tape:
            y = fn(*variables, strides, padding, dilation)
            loss = ops.sum(ops.multiply(y, r.reshape(y.shape).astype("float32")))
        grads.append(tape.gradient(loss, variables))
    (gx, gk, gb), (want_x, want_k, want_b) = grads
    np.testing.assert_array_equal(gx, want_x)
    np.testing.assert_array_equal(gk, want_k)
    assert gb.dtype == "float32"  # summed by blocks: the same to rounding
    np.testing.assert_allclose(gb, want_b, rtol=1e-5)


@pytest.mark.parametrize("x_shape, k_shape, strides, padding, dilation", FUSED_CASES)
def test_fused_gradients_match_central_differences(x_shape, k_shape, strides, padding, dilation):
    bias = rand(k_shape[-2], seed=2, low=-1, high=1)
    check_grad(
        lambda x, k, b: fused(x, k, b, strides, padding, dilation),
        rand(*x_shape),
        rand(*k_shape, seed=1),
        bias,
    )


@pytest.mark.parametrize(
    "x_shape, k_shape, strides, padding, dilation", FUSED_CASES[:5] + PHASE_CASES
)
def test_fused_matches_torch(torch, x_shape, k_shape, strides, padding, dilation):
    """torch's full transposed conv with the bias, cropped to Keras's output, then relu."""
    rank = len(x_shape) - 2
    pair = lambda v: (v,) * rank if isinstance(v, int) else v

    def torch_fn(x, kernel, bias):
        F = torch.nn.functional
        conv = F.conv_transpose1d if rank == 1 else F.conv_transpose2d
        w = kernel.permute(-1, -2, *range(rank))  # (in, out, *kernel_size)
        y = conv(x.movedim(-1, 1), w, bias, stride=strides, dilation=dilation).movedim(1, -1)
        crops = [
            slice(crop, crop + out)
            for n, k, st, d in zip(x_shape[1:-1], k_shape, pair(strides), pair(dilation))
            for _, crop, out in [transpose_conv._geometry(n, k, st, d, padding, None)]
        ]
        return F.relu(y[(slice(None), *crops)])

    compare_op(
        [x_shape, k_shape, (k_shape[-2],)],
        torch_fn,
        lambda x, k, b: fused(x, k, b, strides, padding, dilation),
        atol=1e-4,
        grad_atol=1e-4,
    )


def test_fused_bad_bias_names_the_op():
    with pytest.raises(ValueError, match=r"conv_transpose_bias_relu.*bias of shape \(4,\)"):
        conv_transpose_bias_relu(np.zeros((1, 3, 3, 2)), np.zeros((3, 3, 4, 2)), np.zeros(2))


@pytest.mark.parametrize("padding, output_padding", [("valid", 1), ("same", 1), ("same", 0)])
def test_fused_with_output_padding(padding, output_padding):
    """Extra output rows past the kernel's reach: zero before the bias, in the bias gradient."""
    x, kernel, bias = rand(2, 3, 4, 2), rand(3, 3, 3, 2, seed=1), rand(3, seed=2, low=-1, high=1)

    def fn(x, kernel, bias):
        return conv_transpose_bias_relu(x, kernel, bias, 2, padding, output_padding)

    want = ops.relu(ops.conv_transpose(x, kernel, 2, padding, output_padding) + bias)
    np.testing.assert_array_equal(np.asarray(fn(x, kernel, bias)), np.asarray(want))
    check_grad(fn, x, kernel, bias)


def test_fused_bias_gradient_alone():
    """Only the bias requires a gradient: no patches are needed for it."""
    x, kernel = rand(2, 4, 5, 3, dtype="float32"), rand(3, 3, 4, 3, seed=1, dtype="float32")
    bias = numkeras.Variable(rand(4, seed=2, low=-1, high=1, dtype="float32"))
    with numkeras.GradientTape() as tape:
        y = conv_transpose_bias_relu(x, kernel, bias, 2, "same")
        loss = ops.sum(ops.multiply(y, np.cos(y.numpy())))
    with numkeras.GradientTape() as tape2:
        y2 = separate(x, kernel, bias, 2, "same", 1)
        loss2 = ops.sum(ops.multiply(y2, np.cos(y2.numpy())))
    np.testing.assert_allclose(tape.gradient(loss, bias), tape2.gradient(loss2, bias), rtol=1e-5)


@pytest.mark.parametrize(
    "shape, row_bytes, runs",
    [
        ((128, 14, 14), 512, 12),  # the autoencoder's 28x28 output: 13 blocks of 10 would fit
        ((128, 14, 14), 1152, 12),  # its gradients: 32 blocks of 4 images, now 36 of 3-4
        ((128, 7, 7), 512, 4),
        ((5, 3, 3), 8, 1),
    ],
)
def test_image_blocks_are_even_and_the_runs_equal(shape, row_bytes, runs):
    """Runs of whole-image blocks hold the same number of images, give or take one."""
    got = transpose_conv._balanced_runs(*shape, row_bytes)
    images = [im for run in got for im, _ in run]
    sizes = [sum(im.stop - im.start for im, _ in run) for run in got]
    assert len(got) == runs and images[0].start == 0 and images[-1].stop == shape[0]
    assert all(a.stop == b.start for a, b in zip(images, images[1:]))
    assert all(rows == slice(0, shape[1]) for run in got for _, rows in run)
    assert max(sizes) - min(sizes) <= 1


def test_row_blocks_of_large_images_are_kept(monkeypatch):
    monkeypatch.setattr(kernels, "BLOCK_BYTES", 200)
    want = kernels._runs(kernels._blocks(3, 9, 8, 8))
    assert want[0][0][1] != slice(0, 9)  # a block of rows, not of whole images
    assert transpose_conv._balanced_runs(3, 9, 8, 8) == want


@pytest.mark.parametrize("x_shape, k_shape, strides, padding, dilation", PHASE_CASES + CASES[:1])
def test_an_infinite_input_reaches_only_the_outputs_that_read_it(
    torch, x_shape, k_shape, strides, padding, dilation
):
    """No phase multiplies an input none of its taps reads (not even by a zero), so an
    infinite input leaves every output that does not read it finite, as in torch."""
    x, kernel = rand(*x_shape, dtype="float32"), rand(*k_shape, seed=1, dtype="float32")
    x[0, 1, 1, 0] = np.inf
    got = ops.conv_transpose(x, kernel, strides, padding, None, None, dilation).numpy()
    want = torch.nn.functional.conv_transpose2d(
        torch.tensor(x).permute(0, 3, 1, 2),
        torch.tensor(kernel).permute(3, 2, 0, 1),
        stride=strides,
        dilation=dilation,
    ).permute(0, 2, 3, 1)
    crops = [
        slice(crop, crop + out)
        for n, k, st, d in zip(x_shape[1:3], k_shape, np.broadcast_to(strides, 2), (dilation,) * 2)
        for _, crop, out in [transpose_conv._geometry(n, k, int(st), d, padding, None)]
    ]
    want = want[:, crops[0], crops[1]].numpy()
    assert got.shape == want.shape and 0 < np.isfinite(got).mean() < 1
    np.testing.assert_array_equal(np.isfinite(got), np.isfinite(want))
