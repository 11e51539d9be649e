"""kernels/gemm.py: products spread over the kernel threads give the product's values (to
float32 rounding), the same bits on any thread count, and are cut by shape alone; the dense op
and the engine's matmul that use them keep their gradients."""

import numpy as np
import pytest

import numkeras
from numkeras import GradientTape, ops
from numkeras.backend import blas_threads
from numkeras.kernels import gemm, threads
from numkeras.ops.layer_ops.dense import dense
from tests.engine.gradcheck import check_grad, rand


def operands(m, k, n, seed=0, transposed=(False, False), dtype="float32"):
    """An (m, k) and a (k, n) array, either as a transposed view (the layout of `rows.T` and
    `kernel.T` in a VJP)."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((k, m) if transposed[0] else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if transposed[1] else (k, n)).astype(dtype)
    return (a.T if transposed[0] else a), (b.T if transposed[1] else b)


@pytest.fixture
def tiny_pieces(monkeypatch):
    """Spread every product, and cut down to one row or column: small shapes take the
    threaded path."""
    monkeypatch.setattr(blas_threads, "SMALL_PRODUCT_MACS", 0)
    monkeypatch.setattr(gemm, "MIN_PIECE_SIDE", 1)


@pytest.mark.parametrize(
    "m, k, n, transposed",
    [
        (4096, 256, 256, (False, False)),  # cut by rows
        (256, 256, 4096, (False, False)),  # cut by columns
        (2048, 128, 512, (True, False)),  # the kernel's gradient: rows.T @ g
        (128, 512, 784, (False, True)),  # the input's gradient: g @ kernel.T
    ],
)
def test_spread_products_have_the_products_values(m, k, n, transposed):
    pairs = [operands(m, k, n, transposed=transposed), operands(m, k, n, seed=1)]
    for (a, b), got in zip(pairs, gemm.matmuls(pairs)):
        want = a.astype("float64") @ b.astype("float64")
        assert got.dtype == np.float32 and got.shape == (m, n)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-4 * np.abs(want).max())


def test_matmuls_mixes_spread_and_small_products():
    pairs = [operands(256, 128, 128), operands(8, 16, 4, seed=1), operands(128, 64, 512, seed=2)]
    pairs.append(operands(300, 100, 200, dtype="float64", seed=3))
    for (a, b), got in zip(pairs, gemm.matmuls(pairs)):
        want = a.astype("float64") @ b.astype("float64")
        assert got.dtype == a.dtype
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-4 * np.abs(want).max())


def test_the_cuts_follow_the_shapes_alone():
    """Two products alike: one task each; a call past PIECE_MACS: more tasks, shared by size;
    a product alone or with small ones, and small ones: none (OpenBLAS's own threads)."""

    def cuts(pairs):
        outputs, tasks = gemm.product_tasks(pairs)
        return [out is not None for out in outputs], len(tasks)

    assert cuts([operands(128, 512, 784), operands(784, 128, 512)]) == ([True, True], 2)
    big, small = operands(4096, 256, 256), operands(8, 16, 4)
    assert cuts([big, big, small]) == ([True, True, False], 4)
    assert cuts([big, operands(128, 512, 512)]) == ([True, True], 5)  # 4 + 1 by size
    assert cuts([operands(128, 784, 512)]) == ([False], 0)
    assert cuts([operands(128, 512, 512), small]) == ([False, False], 0)
    assert cuts([operands(100, 100, 100)] * 2) == ([False, False], 0)


def test_pieces_run_on_the_kernel_threads_with_one_blas_thread(monkeypatch, thread_counts):
    thread_counts(2)
    seen = []
    run = threads.run
    monkeypatch.setattr(threads, "run", lambda tasks: seen.append(len(tasks)) or run(tasks))
    a, b = operands(2048, 128, 128)
    gemm.matmuls([(a, b), (b.T, a.T)])
    assert seen == [2]
    assert blas_threads.blas_threads() == 2  # given back after the run


@pytest.mark.parametrize("m, k, n", [(2048, 128, 256), (128, 784, 512), (100, 600, 100)])
def test_products_have_the_same_bits_on_any_thread_count(same_bits_on_thread_counts, m, k, n):
    """Including a depth past SAME_SUMS_MAX_DEPTH, where OpenBLAS's own threads sum otherwise."""
    x, w = operands(m, k, n)
    g = np.random.default_rng(5).standard_normal((m, n)).astype("float32")
    same_bits_on_thread_counts(lambda: gemm.matmuls([(g, w.T), (x.T, g)]))


def dense_pass(x, kernel, bias, relu, r, fn=dense):
    with GradientTape() as tape:
        y = fn(x, kernel, bias, relu)
        loss = ops.sum(y * r)
    return [y.numpy()] + tape.gradient(loss, [x, kernel, bias])


def separate(x, kernel, bias, relu):
    y = ops.matmul(x, kernel) + bias
    return ops.relu(y) if relu else y


def variables(x_shape, units, seed=0):
    rng = np.random.default_rng(seed)
    return [
        numkeras.Variable(rng.standard_normal(shape).astype("float32"))
        for shape in (x_shape, (x_shape[-1], units), (units,))
    ] + [rng.standard_normal(x_shape[:-1] + (units,)).astype("float32")]


@pytest.mark.parametrize("x_shape, units", [((32, 64, 128), 256), ((128, 784), 512)])
def test_a_medium_dense_gradient_has_the_same_bits_on_any_thread_count(
    same_bits_on_thread_counts, x_shape, units
):
    """The VJP's GEMMs (the forward's product alone runs on OpenBLAS's own threads)."""
    x, kernel, bias, r = variables(x_shape, units)
    same_bits_on_thread_counts(lambda: dense_pass(x, kernel, bias, False, r)[1:])


@pytest.mark.parametrize("relu", [True, False])
@pytest.mark.parametrize("x_shape, units", [((32, 64, 128), 256), ((128, 784), 512)])
def test_a_medium_dense_is_matmul_add_relu_bit_for_bit(x_shape, units, relu):
    """The engine's matmul spreads its products as the dense op does, so the two agree bit for
    bit; and both agree with the float64 product."""
    x, kernel, bias, r = variables(x_shape, units)
    fused = dense_pass(x, kernel, bias, relu, r)
    for got, want in zip(fused, dense_pass(x, kernel, bias, relu, r, separate)):
        np.testing.assert_array_equal(got, want)
    x64, k64, b64 = (np.asarray(v.numpy(), "float64") for v in (x, kernel, bias))
    y64 = x64 @ k64 + b64
    y64 = np.maximum(y64, 0) if relu else y64
    np.testing.assert_allclose(fused[0], y64, rtol=1e-4, atol=1e-4 * np.abs(y64).max())


@pytest.mark.parametrize("relu", [True, False])
def test_spread_dense_gradcheck(tiny_pieces, relu):
    check_grad(
        lambda x, k, b: dense(x, k, b, relu=relu),
        rand(2, 5, 4),
        rand(4, 6, seed=1),
        rand(6, seed=2),
    )
    check_grad(lambda x, k: dense(x, k, relu=relu), rand(5, 4), rand(4, 3, seed=1))


def test_spread_matmul_gradcheck(tiny_pieces):
    check_grad(ops.matmul, rand(3, 5, 4), rand(4, 6, seed=1))
    check_grad(ops.matmul, rand(7, 4), rand(4, 3, seed=1))
