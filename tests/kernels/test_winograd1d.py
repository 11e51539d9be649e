"""kernels/winograd1d.py: the 1-D Winograd convolution equals the direct sum exactly in float64
(forward and kernel gradient, whole tiles and a last partial one), stays near float64 in
float32, gives the same bits on any thread count, and carries Conv1D through ops.conv with a
float64 gradient check and PyTorch's values."""

import numpy as np
import pytest

import numkeras
from numkeras import ops
from numkeras.kernels import conv as kernels
from numkeras.kernels import winograd1d
from tests.engine.gradcheck import check_grad, rand


def direct(x, kernel):
    """The valid stride-1 convolution of x (N, L, C) with kernel (r, C, CO), tap by tap."""
    r = kernel.shape[0]
    length = x.shape[1] - r + 1
    return sum(x[:, i : i + length] @ kernel[i] for i in range(r))


def direct_kernel_gradient(x, g, r):
    length = g.shape[1]
    return np.stack([np.einsum("nlc,nlo->co", x[:, i : i + length], g) for i in range(r)])


# (N, L, C, CO, r): whole tiles; a last partial tile; fewer outputs than one tile; 3 and 5 taps
SHAPES = [(3, 34, 5, 4, 7), (2, 31, 6, 3, 7), (2, 9, 4, 4, 7), (2, 17, 3, 6, 3), (1, 23, 4, 5, 5)]


@pytest.mark.parametrize("shape", SHAPES)
def test_float64_values_equal_the_direct_sums(shape):
    N, L, C, CO, r = shape
    rng = np.random.default_rng(0)
    x, kernel = rng.standard_normal((N, L, C)), rng.standard_normal((r, C, CO))
    want = direct(x, kernel)
    got = winograd1d.conv(x, kernel, np.empty(want.shape))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    g = rng.standard_normal(want.shape)
    np.testing.assert_allclose(
        winograd1d.kernel_gradient(x, g, r),
        direct_kernel_gradient(x, g, r),
        rtol=1e-12,
        atol=1e-12,
    )


@pytest.mark.parametrize("r", [3, 5, 7])
def test_float32_error_stays_near_the_patch_matrix_convolutions(r):
    """Against float64, on relu'd inputs with 64 channels: the largest error under 2e-5 of the
    largest value (measured 3e-6 to 5e-6 for 3 to 7 taps; the patch matrix's 2e-7)."""
    rng = np.random.default_rng(1)
    x = np.abs(rng.standard_normal((8, 494, 64)))
    kernel = rng.standard_normal((r, 64, 64)) / np.sqrt(r * 64)
    want = direct(x, kernel)
    got = winograd1d.conv(x.astype("f"), kernel.astype("f"), np.empty(want.shape, "f"))
    assert got.dtype == np.float32
    assert np.abs(got - want).max() < 2e-5 * np.abs(want).max()
    g = rng.standard_normal(want.shape)
    want_k = direct_kernel_gradient(x, g, r)
    got_k = winograd1d.kernel_gradient(x.astype("f"), g.astype("f"), r)
    assert np.abs(got_k - want_k).max() < 2e-5 * np.abs(want_k).max()


def test_conv_routes_wide_1d_float_convolutions_only():
    def applies(x_shape, kernel_shape, strides=(1, 1), dilation=(1, 1), dtype="float32"):
        return winograd1d.applies(np.zeros(x_shape, dtype), kernel_shape, strides, dilation)

    assert applies((4, 1, 100, 64), (1, 7, 64, 64))
    assert applies((4, 1, 100, 64), (1, 7, 64, 64), dtype="float64")
    assert not applies((4, 1, 100, 64), (1, 7, 64, 64), dtype="float16")
    assert not applies((4, 1, 100, 16), (1, 7, 16, 64))  # few channels
    assert not applies((4, 1, 100, 64), (1, 7, 64, 64), strides=(1, 2))
    assert not applies((4, 1, 100, 64), (1, 7, 64, 64), dilation=(1, 2))
    assert not applies((4, 9, 100, 64), (1, 7, 64, 64))  # 2-D
    assert not applies((4, 1, 100, 64), (1, 9, 64, 64))  # width


@pytest.mark.parametrize("padding", ["same", "valid"])
def test_results_do_not_depend_on_the_thread_count(
    monkeypatch, same_bits_on_thread_counts, padding
):
    pytest.importorskip("threadpoolctl")
    monkeypatch.setattr(kernels, "BLOCK_BYTES", 20000)  # many blocks, many tasks
    monkeypatch.setattr(winograd1d, "MIN_CHANNELS", 16)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 1, 61, 16)).astype(np.float32)
    kernel = rng.standard_normal((1, 7, 16, 24)).astype(np.float32)
    assert winograd1d.applies(x, kernel.shape, (1, 1), (1, 1))

    def run():
        y, cache = kernels.conv2d_forward(x, kernel, (1, 1), padding, (1, 1))
        return (y,) + kernels.conv2d_backward(np.cos(y), cache)

    same_bits_on_thread_counts(run)


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_conv1d_gradients_match_finite_differences(padding, monkeypatch):
    monkeypatch.setattr(winograd1d, "MIN_CHANNELS", 16)
    x, kernel = rand(2, 11, 16, seed=1), rand(7, 16, 16, seed=2, low=-0.5, high=0.5)
    check_grad(lambda a, k: ops.conv(a, k, padding=padding), x, kernel)


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_conv1d_matches_torch(padding):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 50, 32)).astype("f")
    kernel = (rng.standard_normal((7, 32, 48)) / 15).astype("f")
    xt = torch.tensor(x.transpose(0, 2, 1), requires_grad=True)
    kt = torch.tensor(kernel.transpose(2, 1, 0), requires_grad=True)
    yt = torch.nn.functional.conv1d(xt, kt, padding=padding)
    r = rng.standard_normal(tuple(yt.shape)).astype("f")
    (yt * torch.tensor(r)).sum().backward()
    xv, kv = numkeras.Variable(x), numkeras.Variable(kernel)
    with numkeras.GradientTape() as tape:
        y = ops.conv(xv, kv, padding=padding)
        loss = ops.sum(y * r.transpose(0, 2, 1))
    gx, gk = tape.gradient(loss, [xv, kv])
    pairs = [
        (np.asarray(y), yt.detach().numpy().transpose(0, 2, 1)),
        (gx, xt.grad.numpy().transpose(0, 2, 1)),
        (gk, kt.grad.numpy().transpose(2, 1, 0)),
    ]
    for got, want in pairs:
        scale = np.abs(want).max()
        np.testing.assert_allclose(got, want, rtol=0, atol=2e-5 * scale)


def test_seeded_fits_of_a_conv1d_model_repeat(monkeypatch):
    monkeypatch.setattr(winograd1d, "MIN_CHANNELS", 16)

    def fit():
        numkeras.utils.set_random_seed(4)
        model = numkeras.Sequential(
            [
                numkeras.Input((40, 16)),
                numkeras.layers.Conv1D(16, 7, padding="same", activation="relu"),
                numkeras.layers.Conv1D(16, 5),
                numkeras.layers.GlobalAveragePooling1D(),
                numkeras.layers.Dense(2, activation="softmax"),
            ]
        )
        model.compile("adam", "sparse_categorical_crossentropy")
        x = rand(8, 40, 16, dtype="float32")
        model.fit(x, np.arange(8) % 2, batch_size=4, epochs=2, verbose=0)
        return [w.numpy() for w in model.weights]

    first = fit()
    for got, want in zip(fit(), first):
        np.testing.assert_array_equal(got, want)
