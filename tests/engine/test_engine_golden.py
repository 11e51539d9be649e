"""Hand-computed values for conv and pooling, where TensorFlow's asymmetric 'same' padding
(extra padding after, never before) has no direct PyTorch equivalent."""

import numpy as np
import pytest

from numkeras import GradientTape, Variable, ops

GRID = np.arange(9.0, dtype="float32").reshape(1, 3, 3, 1)  # [[0 1 2] [3 4 5] [6 7 8]]


def test_conv_arange_kernel():
    kernel = np.arange(4.0, dtype="float32").reshape(2, 2, 1, 1)  # [[0 1] [2 3]]
    y = ops.conv(GRID, kernel)
    # top-left window [[0 1] [3 4]] . [[0 1] [2 3]] = 1 + 6 + 12 = 19, each step right +6,
    # each step down +18
    np.testing.assert_array_equal(y.numpy()[0, :, :, 0], [[19, 25], [37, 43]])


def test_conv_same_even_kernel_pads_after():
    kernel = np.ones((2, 2, 1, 1), "float32")
    y = ops.conv(GRID, kernel, padding="same")
    np.testing.assert_array_equal(y.numpy()[0, :, :, 0], [[8, 12, 7], [20, 24, 13], [13, 15, 8]])


def test_conv_same_stride2_dilation_and_groups_by_hand():
    x = np.concatenate([GRID, 10 * GRID], axis=-1)  # two channels
    kernel = np.ones((1, 1, 1, 2), "float32")  # groups=2: each channel to its own output
    y = ops.conv(x, kernel, strides=2, padding="same").numpy()[0]
    np.testing.assert_array_equal(y[..., 0], [[0, 2], [6, 8]])
    np.testing.assert_array_equal(y[..., 1], [[0, 20], [60, 80]])
    y = ops.conv(GRID, np.ones((2, 2, 1, 1), "float32"), dilation_rate=2).numpy()
    np.testing.assert_array_equal(y.reshape(-1), [0 + 2 + 6 + 8])


@pytest.mark.parametrize(
    "op, expected",
    [
        (ops.max_pool, [[4, 5], [7, 8]]),
        (ops.average_pool, [[2, 3.5], [6.5, 8]]),  # padded cells are not counted
    ],
)
def test_pool_same_pads_after(op, expected):
    y = op(GRID, 2, padding="same")
    np.testing.assert_array_equal(y.numpy()[0, :, :, 0], expected)


def test_max_pool_same_with_negative_values():
    y = ops.max_pool(-GRID - 1, 2, strides=1, padding="same")  # padding never wins
    np.testing.assert_array_equal(y.numpy()[0, :, :, 0], [[-1, -2, -3], [-4, -5, -6], [-7, -8, -9]])


def test_max_pool_gradient_goes_to_the_window_maximum():
    x = Variable(GRID)
    with GradientTape() as tape:
        y = ops.sum(ops.max_pool(x, 2, strides=1) * np.array([1.0, 2, 3, 4]).reshape(1, 2, 2, 1))
    expected = [[0, 0, 0], [0, 1, 2], [0, 3, 4]]
    np.testing.assert_array_equal(tape.gradient(y, x)[0, :, :, 0], expected)
