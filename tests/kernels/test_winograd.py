"""kernels/winograd.py: F(2x2, 3x3) convolutions agree with the im2col ones and PyTorch, have
correct gradients, do not depend on the thread count, and keep the fused conv + relu + pool
equal to the separate ops bit for bit. Most tests lower MIN_CHANNELS so that small shapes take
the Winograd path."""

import numpy as np
import pytest

import numkeras
from numkeras import layers, ops
from numkeras.kernels import conv as kernels
from numkeras.kernels import winograd
from numkeras.ops.layer_ops import conv_pool
from tests.engine.gradcheck import check_grad, rand
from tests.ops.layer_ops.test_conv_pool import CASES, fused, separate


@pytest.fixture
def everywhere(monkeypatch):
    """Winograd for every 3x3 stride-1 convolution, however few its channels and pixels."""
    monkeypatch.setattr(winograd, "MIN_CHANNELS", 1)
    monkeypatch.setattr(winograd, "MIN_SIZE", 1)


def im2col(monkeypatch):
    monkeypatch.setattr(winograd, "MIN_CHANNELS", 1 << 30)


def conv_pass(x, kernel, padding):
    """(output, input gradient, kernel gradient) of one convolution for a fixed seed."""
    y, cache = kernels.conv2d_forward(x, kernel, (1, 1), padding, (1, 1))
    return (y,) + kernels.conv2d_backward(np.cos(y), cache)


SHAPES = [  # input shape, filters, padding: even and odd sizes, 'same' and 'valid'
    ((2, 8, 8, 3), 4, "same"),
    ((3, 7, 9, 5), 6, "same"),
    ((2, 9, 6, 4), 3, "valid"),
    ((1, 13, 13, 2), 5, "valid"),
    ((2, 3, 4, 2), 2, "valid"),
    ((1, 1, 2, 3), 2, "same"),
]


@pytest.mark.parametrize("x_shape, filters, padding", SHAPES)
def test_agrees_with_im2col_in_float64(monkeypatch, everywhere, x_shape, filters, padding):
    x, kernel = rand(*x_shape), rand(3, 3, x_shape[3], filters, seed=1)
    assert winograd.applies(kernel.shape, (1, 1), (1, 1), (1, 1), x.dtype)
    got = conv_pass(x, kernel, padding)
    im2col(monkeypatch)
    for a, b in zip(got, conv_pass(x, kernel, padding)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("x_shape, filters, padding", SHAPES[:4])
def test_gradients_match_central_differences(everywhere, x_shape, filters, padding):
    check_grad(
        lambda x, k: ops.conv(x, k, padding=padding),
        rand(*x_shape),
        rand(3, 3, x_shape[3], filters, seed=1),
    )


def test_the_rule():
    one, f32 = (1, 1), np.float32
    assert winograd.applies((3, 3, 32, 32), one, one, (32, 32), np.float64)
    assert not winograd.applies((3, 3, 32, 32), one, one, (32, 32), np.float16)
    assert winograd.applies((3, 3, 32, 32), one, one, (32, 32), f32)
    assert not winograd.applies((3, 3, 3, 32), one, one, (32, 32), f32)  # few channels: im2col
    assert not winograd.applies((3, 3, 32, 1), one, one, (32, 32), f32)
    assert not winograd.applies((3, 3, 32, 32), one, one, (14, 14), f32)  # small images
    assert not winograd.applies((3, 3, 32, 32), one, one, (32, 31), f32)
    assert winograd.applies((3, 3, 32, 32), one, one, (32, 33), f32)
    assert not winograd.applies((3, 3, 32, 32), (2, 2), one, (32, 32), f32)
    assert not winograd.applies((3, 3, 32, 32), one, (2, 2), (32, 32), f32)
    assert not winograd.applies((3, 3, 32, 32), one, one, (32, 32), f32, groups=2)
    assert not winograd.applies((5, 5, 32, 32), one, one, (32, 32), f32)


@pytest.mark.parametrize(
    "x_shape, filters, padding",
    [((4, 32, 32, 32), 32, "same"), ((8, 13, 13, 32), 64, "valid"), ((8, 14, 14, 32), 32, "same")],
)
def test_float32_agrees_with_torch(everywhere, x_shape, filters, padding):
    """The workloads' shapes (ResNet, tutorial CNN, autoencoder): values and both gradients
    within float32 rounding of PyTorch's, relative to each result's largest value."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape).astype(np.float32)
    kernel = (rng.standard_normal((3, 3, x_shape[3], filters)) / 10).astype(np.float32)
    y, gx, gk = conv_pass(x, kernel, padding)
    tx = torch.tensor(x.transpose(0, 3, 1, 2), requires_grad=True)
    tk = torch.tensor(kernel.transpose(3, 2, 0, 1), requires_grad=True)
    ty = torch.nn.functional.conv2d(tx, tk, padding=1 if padding == "same" else 0)
    ty.backward(torch.cos(ty))
    wants = (
        ty.detach().numpy().transpose(0, 2, 3, 1),
        tx.grad.numpy().transpose(0, 2, 3, 1),
        tk.grad.numpy().transpose(2, 3, 1, 0),
    )
    for got, want in zip((y, gx, gk), wants):
        assert np.abs(got - want).max() <= 2e-6 * np.abs(want).max()


@pytest.mark.parametrize("padding", ["same", "valid"])
def test_results_do_not_depend_on_the_thread_count(monkeypatch, everywhere, thread_counts, padding):
    monkeypatch.setattr(winograd, "BLOCK_BYTES", 4000)  # a block an image, many tasks
    rng = np.random.default_rng(0)
    x = rng.standard_normal((14, 9, 8, 5)).astype(np.float32)
    kernel = rng.standard_normal((3, 3, 5, 7)).astype(np.float32)
    results = {}
    for n in (1, 2, 3):
        thread_counts(n)
        results[n] = conv_pass(x, kernel, padding)
    for n in (2, 3):
        for got, want in zip(results[n], results[1]):
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("x_shape, k_shape, conv_kw, pool_kw", CASES)
def test_fused_conv_pool_equals_the_separate_ops(everywhere, x_shape, k_shape, conv_kw, pool_kw):
    """Values bit for bit where both run Winograd tiles (and where neither does); gradients
    close, and right by central differences."""
    x, kernel = rand(*x_shape, dtype="float32"), rand(*k_shape, seed=1, dtype="float32")
    bias = rand(k_shape[-1], seed=2, low=-0.5, high=0.5, dtype="float32")
    np.testing.assert_array_equal(
        np.asarray(fused(x, kernel, bias, conv_kw, pool_kw)),
        np.asarray(separate(x, kernel, bias, conv_kw, pool_kw)),
    )
    check_grad(
        lambda x, k, b: fused(x, k, b, conv_kw, pool_kw),
        rand(*x_shape),
        rand(*k_shape, seed=1),
        rand(k_shape[-1], seed=2, low=-0.5, high=0.5),
    )


def test_fused_conv_pool_does_not_depend_on_the_thread_count(
    monkeypatch, everywhere, thread_counts
):
    monkeypatch.setattr(conv_pool, "CHUNK_BYTES", 2000)  # a chunk of one or two images
    monkeypatch.setattr(winograd, "BLOCK_BYTES", 4000)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((7, 11, 10, 5)).astype(np.float32)
    kernel = rng.standard_normal((3, 3, 5, 6)).astype(np.float32)
    bias = rng.standard_normal(6).astype(np.float32)
    results = {}
    for n in (1, 2, 3):
        thread_counts(n)
        y, cache = conv_pool.conv_relu_pool_forward(
            x, kernel, bias, (1, 1), "valid", (1, 1), (2, 2)
        )
        results[n] = (y,) + conv_pool.conv_relu_pool_backward(np.cos(y), cache)
    for n in (2, 3):
        for got, want in zip(results[n], results[1]):
            np.testing.assert_array_equal(got, want)


def test_seeded_fits_repeat(everywhere):
    """A CNN whose 3x3 convolutions take the Winograd path, fused and unfused, trains to the
    same weights twice under one seed."""

    def fit():
        numkeras.utils.set_random_seed(7)
        model = numkeras.Sequential(
            [
                numkeras.Input((10, 10, 16)),
                layers.Conv2D(16, 3, activation="relu", padding="same"),
                layers.MaxPooling2D(2),
                layers.Conv2D(16, 3, padding="same"),
                layers.GlobalAveragePooling2D(),
                layers.Dense(3, activation="softmax"),
            ]
        )
        model.compile("adam", "sparse_categorical_crossentropy")
        x = np.random.default_rng(0).standard_normal((16, 10, 10, 16)).astype("float32")
        model.fit(x, np.arange(16) % 3, batch_size=8, epochs=2, verbose=0)
        return [w.numpy() for w in model.weights]

    assert winograd.applies((3, 3, 16, 16), (1, 1), (1, 1), (10, 10), np.float32)
    for got, want in zip(fit(), fit()):
        np.testing.assert_array_equal(got, want)


def test_scratch_arrays_are_kept_up_to_their_limit(monkeypatch, everywhere):
    """Kept scratch arrays give the same bits as fresh ones; none above KEEP_BYTES is kept."""
    monkeypatch.setattr(winograd.threads, "workers", lambda: 1)  # the tasks run on this thread
    x, kernel = rand(3, 10, 10, 4, dtype="float32"), rand(3, 3, 4, 8, seed=1, dtype="float32")
    monkeypatch.setattr(winograd._kept, "arrays", {}, raising=False)
    kept = conv_pass(x, kernel, "same")
    assert {"t", "v", "m", "s", "y"} == {name for name, _ in winograd._kept.arrays}
    monkeypatch.setattr(winograd._kept, "arrays", {})
    monkeypatch.setattr(winograd, "KEEP_BYTES", 100)
    fresh = conv_pass(x, kernel, "same")
    assert all(a.nbytes <= 100 for a in winograd._kept.arrays.values())
    for got, want in zip(fresh, kept):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("x_shape, padding", [((5, 9, 8, 3), "same"), ((4, 7, 10, 2), "valid")])
def test_one_run_backward_equals_the_separate_gradients(
    monkeypatch, everywhere, thread_counts, x_shape, padding
):
    """`backward` runs both gradients in one threads.run (the input gradient's blocks waiting
    for the pairing of their images): the same bits as `kernel_gradient` and
    `input_gradient`, each side alone or both, on any thread count."""
    monkeypatch.setattr(winograd, "BLOCK_BYTES", 3000)  # many blocks and tasks
    rng = np.random.default_rng(2)
    x = rng.standard_normal(x_shape).astype(np.float32)
    kernel = rng.standard_normal((3, 3, x_shape[3], 4)).astype(np.float32)
    y, cache = kernels.conv2d_forward(x, kernel, (1, 1), padding, (1, 1))
    xr, pads, g = cache[0], cache[4], np.cos(y)
    want_k = winograd.kernel_gradient(xr, g)
    want_x = winograd.input_gradient(g, kernel, pads, np.empty(x_shape, np.float32))
    for n in (1, 2, 3):
        thread_counts(n)
        gx = np.empty(x_shape, np.float32)
        np.testing.assert_array_equal(winograd.backward(xr, g, kernel, pads, gx), want_k)
        np.testing.assert_array_equal(gx, want_x)
        assert winograd.backward(xr, g, kernel, pads, None, need_kernel=True) is not None
        gx = np.empty(x_shape, np.float32)
        assert winograd.backward(xr, g, kernel, pads, gx, need_kernel=False) is None
        np.testing.assert_array_equal(gx, want_x)


def test_strided_channels_take_the_value_copy(monkeypatch, everywhere):
    """An input whose channels are not contiguous (every other one of a wider array) is
    paired value by value rather than a pixel at a time: the same results as a copy of it."""
    wide, kernel = rand(2, 9, 8, 6), rand(3, 3, 3, 4, seed=1)
    strided = wide[..., ::2]
    assert strided.strides[-1] != strided.itemsize
    for got, want in zip(
        conv_pass(strided, kernel, "same"), conv_pass(strided.copy(), kernel, "same")
    ):
        np.testing.assert_array_equal(got, want)
