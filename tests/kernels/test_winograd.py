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
    monkeypatch.setattr(winograd, "MIN_INPUT_SIZE", 1)


@pytest.fixture
def mixed(monkeypatch, everywhere):
    """Winograd forward and kernel gradient, im2col / col2im input gradient (`input_applies`)."""
    monkeypatch.setattr(winograd, "MIN_INPUT_SIZE", 1 << 30)


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
    assert winograd.applies((3, 3, 32, 32), one, one, (14, 14), f32, least=14)
    assert not winograd.applies((3, 3, 32, 32), one, one, (13, 14), f32, least=14)


def test_the_input_gradient_rule(monkeypatch):
    """The input gradient's own size threshold, on the input's rows and columns."""
    one, f32 = (1, 1), np.float32
    monkeypatch.setattr(winograd, "MIN_SIZE", 8)
    monkeypatch.setattr(winograd, "MIN_INPUT_SIZE", 16)
    assert winograd.applies((3, 3, 32, 64), one, one, (11, 11), f32)
    assert not winograd.input_applies((3, 3, 32, 64), one, one, (13, 13), f32)
    assert winograd.input_applies((3, 3, 32, 64), one, one, (16, 17), f32)
    assert not winograd.input_applies((3, 3, 32, 64), (2, 2), one, (16, 16), f32)
    assert not winograd.input_applies((3, 3, 8, 64), one, one, (16, 16), f32)


@pytest.mark.parametrize(
    "x_shape, filters, padding",
    [((4, 32, 32, 32), 32, "same"), ((8, 13, 13, 32), 64, "valid"), ((8, 14, 14, 32), 32, "same")],
)
def test_float32_agrees_with_torch(everywhere, x_shape, filters, padding):
    """The workloads' shapes (ResNet, tutorial CNN, autoencoder): values and both gradients
    within float32 rounding of PyTorch's float64 ones for the same cotangent, relative to each
    result's largest value (PyTorch's own float32 kernel gradient at ResNet's shape is 2.1e-6
    from its float64 one, numkeras's 6.6e-7)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape).astype(np.float32)
    kernel = (rng.standard_normal((3, 3, x_shape[3], filters)) / 10).astype(np.float32)
    y, gx, gk = conv_pass(x, kernel, padding)
    f64 = torch.float64
    tx = torch.tensor(x.transpose(0, 3, 1, 2), dtype=f64, requires_grad=True)
    tk = torch.tensor(kernel.transpose(3, 2, 0, 1), dtype=f64, requires_grad=True)
    ty = torch.nn.functional.conv2d(tx, tk, padding=1 if padding == "same" else 0)
    ty.backward(torch.tensor(np.cos(y).transpose(0, 3, 1, 2), dtype=f64))  # conv_pass's
    wants = (
        ty.detach().numpy().transpose(0, 2, 3, 1),
        tx.grad.numpy().transpose(0, 2, 3, 1),
        tk.grad.numpy().transpose(2, 3, 1, 0),
    )
    for got, want in zip((y, gx, gk), wants):
        assert np.abs(got - want).max() <= 2e-6 * np.abs(want).max()


@pytest.mark.parametrize("padding", ["same", "valid"])
def test_results_do_not_depend_on_the_thread_count(
    monkeypatch, everywhere, same_bits_on_thread_counts, padding
):
    monkeypatch.setattr(winograd, "BLOCK_BYTES", 4000)  # a block an image, many tasks
    monkeypatch.setattr(winograd, "PAIRING_BYTES", 1)  # and several pairing tasks
    rng = np.random.default_rng(0)
    x = rng.standard_normal((14, 9, 8, 5)).astype(np.float32)
    kernel = rng.standard_normal((3, 3, 5, 7)).astype(np.float32)
    same_bits_on_thread_counts(lambda: conv_pass(x, kernel, padding))


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
    monkeypatch, everywhere, same_bits_on_thread_counts
):
    monkeypatch.setattr(conv_pool, "CHUNK_BYTES", 2000)  # a chunk of one or two images
    monkeypatch.setattr(winograd, "BLOCK_BYTES", 4000)
    monkeypatch.setattr(winograd, "PAIRING_BYTES", 1)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((7, 11, 10, 5)).astype(np.float32)
    kernel = rng.standard_normal((3, 3, 5, 6)).astype(np.float32)
    bias = rng.standard_normal(6).astype(np.float32)

    def run():
        y, cache = conv_pool.conv_relu_pool_forward(
            x, kernel, bias, (1, 1), "valid", (1, 1), (2, 2)
        )
        return (y,) + conv_pool.conv_relu_pool_backward(np.cos(y), cache)

    same_bits_on_thread_counts(run)


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
    monkeypatch.setattr(winograd._kept, "scratch", {}, raising=False)
    kept = conv_pass(x, kernel, "same")
    assert {"t", "v", "m", "s", "y"} == {name for name, _ in winograd._kept.arrays}
    monkeypatch.setattr(winograd._kept, "arrays", {})
    monkeypatch.setattr(winograd._kept, "scratch", {})
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
    monkeypatch.setattr(winograd, "PAIRING_BYTES", 1)
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


@pytest.mark.parametrize("x_shape, filters, padding", SHAPES + [((3, 13, 13, 4), 6, "valid")])
def test_mixed_backward_takes_each_sides_values(
    monkeypatch, mixed, thread_counts, x_shape, filters, padding
):
    """Winograd forward and kernel gradient with the im2col input gradient: the output and
    kernel gradient bit for bit the all-Winograd ones, the input gradient the im2col one
    (odd sizes like the tutorial CNN's 13x13 -> 11x11 'valid' included), on any thread
    count."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal(x_shape).astype(np.float32)
    kernel = rng.standard_normal((3, 3, x_shape[3], filters)).astype(np.float32)

    def run():
        y, cache = kernels.conv2d_forward(x, kernel, (1, 1), padding, (1, 1))
        return (y,) + kernels.conv2d_backward(np.cos(np.arange(y.size)).reshape(y.shape), cache)

    monkeypatch.setattr(winograd, "PAIRING_BYTES", 1)
    got = {n: (thread_counts(n), run())[1] for n in (1, 2, 3)}
    thread_counts(1)
    monkeypatch.setattr(winograd, "MIN_INPUT_SIZE", 1)
    tiles = run()
    im2col(monkeypatch)
    plain = run()
    for n in (1, 2, 3):
        y, gx, gk = got[n]
        np.testing.assert_array_equal(y, tiles[0])
        np.testing.assert_array_equal(gk, tiles[2])
        np.testing.assert_array_equal(gx, plain[1])


@pytest.mark.parametrize("x_shape, k_shape, conv_kw, pool_kw", CASES[:3] + CASES[5:6])
def test_mixed_fused_conv_pool_equals_the_separate_ops(mixed, x_shape, k_shape, conv_kw, pool_kw):
    """With the im2col input gradient, the fused conv + relu + pool still gives the separate
    ops' values bit for bit and right gradients (central differences)."""
    test_fused_conv_pool_equals_the_separate_ops(mixed, x_shape, k_shape, conv_kw, pool_kw)


def test_mixed_fused_conv_pool_gradients_equal_the_separate_ops(monkeypatch, mixed):
    """The tutorial CNN's conv2 shape in small (13x13 -> 11x11 'valid', pool 2 dropping the
    last row and column): the fused op's input and kernel gradients equal the separate ops'
    bit for bit under the mixed routing."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 13, 13, 4)).astype(np.float32)
    kernel = rng.standard_normal((3, 3, 4, 6)).astype(np.float32)
    bias = rng.standard_normal(6).astype(np.float32)
    y, cache = conv_pool.conv_relu_pool_forward(x, kernel, bias, (1, 1), "valid", (1, 1), (2, 2))
    g = np.cos(y)
    gx, gk, _ = conv_pool.conv_relu_pool_backward(g, cache)
    z, zcache = kernels.conv2d_forward(x, kernel, (1, 1), "valid", (1, 1))
    z = np.maximum(z + bias, 0)[:, :10, :10]
    windows = z.reshape(3, 5, 2, 5, 2, 6).transpose(0, 1, 3, 5, 2, 4).reshape(3, 5, 5, 6, 4)
    first = windows.argmax(-1)
    np.testing.assert_array_equal(y, windows.max(-1))
    gz = np.zeros((3, 5, 5, 6, 4), np.float32)
    np.put_along_axis(gz, first[..., None], (g * (y > 0))[..., None], -1)
    g_conv = np.zeros((3, 11, 11, 6), np.float32)
    g_conv[:, :10, :10] = (
        gz.reshape(3, 5, 5, 6, 2, 2).transpose(0, 1, 4, 2, 5, 3).reshape(3, 10, 10, 6)
    )
    want_x, want_k = kernels.conv2d_backward(g_conv, zcache)
    np.testing.assert_array_equal(gx, want_x)
    np.testing.assert_allclose(gk, want_k, rtol=1e-5, atol=1e-5)


def test_kept_views_are_bounded_and_give_the_same_bits(monkeypatch, everywhere):
    """Past KEEP_SCRATCH block shapes a thread's kept views are dropped and made again: the
    same bits as with them kept."""
    monkeypatch.setattr(winograd.threads, "workers", lambda: 1)
    monkeypatch.setattr(winograd._kept, "scratch", {}, raising=False)
    rng = np.random.default_rng(5)
    kernel = rng.standard_normal((3, 3, 3, 4)).astype(np.float32)
    xs = [rng.standard_normal((n, 6, 7, 3)).astype(np.float32) for n in (1, 2, 3, 4)]
    want = [conv_pass(x, kernel, "same") for x in xs]
    monkeypatch.setattr(winograd, "KEEP_SCRATCH", 2)
    monkeypatch.setattr(winograd._kept, "scratch", {})
    for x, w in zip(xs + xs, want + want):
        for got, expected in zip(conv_pass(x, kernel, "same"), w):
            np.testing.assert_array_equal(got, expected)
        assert len(winograd._kept.scratch) <= 2
