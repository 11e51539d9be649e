"""ops/layer_ops/conv_relu.py: relu(conv + bias) as one op, against central differences, the
separate ops (bit for bit forward) and PyTorch, and the same bits on any thread count."""

import numpy as np
import pytest

import numkeras
from numkeras import layers, ops
from numkeras.ops.layer_ops.conv_relu import conv_bias_relu
from numkeras.ops.layer_ops.nn_ops import bias_relu
from tests.engine.gradcheck import check_grad, compare_op, rand

# (input shape, kernel shape, strides, padding, dilation): 1-D and 2-D, patch matrices with
# few and many channels, 1-D Winograd (24+ channels), a strided 'same' conv, one output channel
CASES = [
    ((2, 12, 3), (3, 3, 4), 1, "valid", 1),
    ((2, 7, 6, 5), (3, 3, 5, 4), 2, "same", 1),
    ((2, 6, 7, 2), (2, 3, 2, 3), 1, "valid", (1, 2)),
    ((2, 11, 24), (3, 24, 24), 1, "valid", 1),
    ((2, 5, 5, 3), (3, 3, 3, 1), 1, "same", 1),
]


@pytest.mark.parametrize("case", CASES[:3] + CASES[4:])
def test_gradients_match_central_differences(case):
    x_shape, k_shape, strides, padding, dilation = case

    def fn(x, k, b):
        return conv_bias_relu(x, k, b, strides, padding, dilation)

    check_grad(fn, rand(*x_shape), rand(*k_shape, seed=1), rand(k_shape[-1], seed=2, high=1))


@pytest.mark.parametrize("case", CASES)
def test_forward_equals_the_separate_ops_and_gradients_match(case):
    x_shape, k_shape, strides, padding, dilation = case
    x = numkeras.Variable(rand(*x_shape, dtype="float32"))
    k = numkeras.Variable(rand(*k_shape, seed=1, dtype="float32"))
    b = numkeras.Variable(rand(k_shape[-1], seed=2, high=1, dtype="float32"))
    with numkeras.GradientTape(persistent=True) as tape:
        y = conv_bias_relu(x, k, b, strides, padding, dilation)
        z = bias_relu(ops.conv(x, k, strides, padding, None, dilation), b)
    assert y.op == "conv_bias_relu" and y.shape == z.shape
    assert (np.asarray(z) == 0).any() and (np.asarray(z) > 0).any()
    np.testing.assert_array_equal(np.asarray(y), np.asarray(z))
    g = rand(*y.shape, seed=3, dtype="float32")
    ours = tape.gradient(y, [x, k, b], output_gradients=g)
    theirs = tape.gradient(z, [x, k, b], output_gradients=g)
    for got, want in zip(ours, theirs):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5, atol=1e-5)
    with numkeras.GradientTape() as tape:  # an input without a gradient: masked in the blocks
        y = conv_bias_relu(np.asarray(x), k, b, strides, padding, dilation)
    ours = tape.gradient(y, [k, b], output_gradients=g)
    for got, want in zip(ours, theirs[1:]):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("case", [CASES[0], ((2, 7, 6, 5), (3, 3, 5, 4), 1, "same", 1)])
def test_matches_torch(case):
    torch = pytest.importorskip("torch")
    x_shape, k_shape, strides, padding, _ = case
    rank = len(x_shape) - 2
    conv = torch.nn.functional.conv1d if rank == 1 else torch.nn.functional.conv2d

    def theirs(x, k, b):
        kt = k.permute(*range(rank + 1, rank - 1, -1), *range(rank))  # (out, in, ...)
        y = conv(x.movedim(-1, 1), kt, b, stride=strides, padding=padding)
        return torch.relu(y).movedim(1, -1)

    def ours(x, k, b):
        return conv_bias_relu(x, k, b, strides, padding)

    compare_op([x_shape, k_shape, (k_shape[-1],)], theirs, ours, grad_atol=1e-4)


def test_results_do_not_depend_on_the_thread_count(monkeypatch, same_bits_on_thread_counts):
    from numkeras.kernels import conv

    monkeypatch.setattr(conv, "BLOCK_BYTES", 4096)  # several blocks and masking tasks
    x = numkeras.Variable(rand(9, 40, 3, dtype="float32"))
    k = numkeras.Variable(rand(5, 3, 16, seed=1, dtype="float32"))
    b = numkeras.Variable(rand(16, seed=2, dtype="float32"))
    g = rand(9, 36, 16, seed=3, dtype="float32")

    def run():
        with numkeras.GradientTape(persistent=True) as tape:
            y = conv_bias_relu(x, k, b)
            z = conv_bias_relu(np.asarray(x), k, b)  # masked inside the kernel gradient
        grads = tape.gradient(y, [x, k, b], output_gradients=g)
        return [y, *grads, *tape.gradient(z, [k, b], output_gradients=g)]

    same_bits_on_thread_counts(run)


def test_rejects_a_bias_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"conv_bias_relu.*bias of shape \(4,\)"):
        conv_bias_relu(np.zeros((1, 5, 2)), np.zeros((3, 2, 4)), np.zeros(3))


@pytest.mark.parametrize("layer", [layers.Conv1D(4, 3, activation="relu")])
def test_a_relu_conv_layer_runs_the_fused_op(layer):
    x = numkeras.Variable(rand(2, 9, 3, dtype="float32"))
    with numkeras.GradientTape():
        y = layer(x)
    assert y.op == "conv_bias_relu"
