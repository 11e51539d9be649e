"""3-D conv, transposed conv and pooling: float64 gradient checks and torch comparisons."""

import numpy as np
import pytest

from numkeras import ops
from tests.engine.gradcheck import check_grad, compare_op, rand

X = (2, 5, 4, 6, 3)  # N, D, H, W, C


@pytest.mark.parametrize(
    "strides, padding, dilation",
    [
        (1, "valid", 1),
        ((2, 1, 2), "same", 1),
        (1, "same", (2, 1, 1)),
        ((1, 2, 1), "valid", 1),
    ],
)
def test_conv3d_gradcheck(strides, padding, dilation):
    check_grad(
        lambda x, k: ops.conv(x, k, strides, padding, dilation_rate=dilation),
        rand(*X),
        rand(2, 2, 3, 3, 2, seed=1),
    )


@pytest.mark.parametrize(
    "strides, padding, output_padding",
    [
        (1, "valid", None),
        ((2, 1, 2), "same", None),
        (2, "valid", (1, 0, 1)),
        (3, "same", None),
    ],
)
def test_conv3d_transpose_gradcheck(strides, padding, output_padding):
    check_grad(
        lambda x, k: ops.conv_transpose(x, k, strides, padding, output_padding),
        rand(1, 3, 3, 2, 2),
        rand(2, 3, 2, 3, 2, seed=1),
    )


@pytest.mark.parametrize("op", [ops.max_pool, ops.average_pool])
@pytest.mark.parametrize(
    "pool, strides, padding",
    [
        (2, None, "valid"),
        ((3, 2, 2), (2, 1, 2), "same"),
        ((2, 3, 1), 1, "valid"),
    ],
)
def test_pool3d_gradcheck(op, pool, strides, padding):
    check_grad(lambda x: op(x, pool, strides, padding), rand(*X))


def _torch_conv(x, k, strides, padding, dilation):
    import torch.nn.functional as F

    x = x.permute(0, 4, 1, 2, 3)
    w = k.permute(4, 3, 0, 1, 2)
    if padding == "same":  # TensorFlow's "same": the extra pixel goes after
        pads = []
        for n, kk, s, d in reversed(list(zip(x.shape[2:], k.shape[:3], strides, dilation))):
            total = max((-(-n // s) - 1) * s + (kk - 1) * d + 1 - n, 0)
            pads += [total // 2, total - total // 2]
        x = F.pad(x, pads)
    return F.conv3d(x, w, stride=strides, dilation=dilation).permute(0, 2, 3, 4, 1)


@pytest.mark.parametrize(
    "strides, padding, dilation",
    [
        ((1, 1, 1), "valid", (1, 1, 1)),
        ((2, 2, 1), "same", (1, 1, 1)),
        ((1, 1, 1), "same", (1, 2, 1)),
    ],
)
def test_conv3d_matches_torch(strides, padding, dilation):
    pytest.importorskip("torch")
    compare_op(
        [X, (3, 2, 3, 3, 4)],
        lambda x, k: _torch_conv(x, k, strides, padding, dilation),
        lambda x, k: ops.conv(x, k, strides, padding, dilation_rate=dilation),
    )


def test_pools_match_torch_channels_first():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    compare_op(
        [(2, 3, 6, 5, 4)],
        lambda x: F.max_pool3d(x, 2, (2, 1, 2)),
        lambda x: ops.max_pool(x, 2, (2, 1, 2), data_format="channels_first"),
    )
    compare_op(
        [(2, 3, 6, 5, 4)],
        lambda x: F.avg_pool3d(x, (3, 2, 2), 1),
        lambda x: ops.average_pool(x, (3, 2, 2), 1, data_format="channels_first"),
    )


@pytest.mark.parametrize("pool, strides", [((3, 3, 3), (2, 2, 2)), ((2, 3, 1), (1, 2, 2))])
def test_same_pools_match_tensorflow(pool, strides):
    tf = pytest.importorskip("tensorflow")
    x = rand(*X, dtype="float32")
    tf_strides = (1,) + strides + (1,)
    np.testing.assert_allclose(
        ops.average_pool(x, pool, strides, "same").numpy(),
        tf.nn.avg_pool3d(x, pool, tf_strides, "SAME").numpy(),
        atol=1e-6,
    )
    np.testing.assert_array_equal(
        ops.max_pool(x, pool, strides, "same").numpy(),
        tf.nn.max_pool3d(x, pool, tf_strides, "SAME").numpy(),
    )


def test_too_large_kernel_is_rejected():
    with pytest.raises(ValueError, match="larger than the input"):
        ops.conv(np.zeros((1, 2, 4, 4, 1), "float32"), np.zeros((3, 1, 1, 1, 1), "float32"))
