"""kernels/threads.py: blocked convolutions and the fused conv + relu + pool give the same bits
on any number of threads, and the BLAS gets its thread count back afterwards."""

import threading
from functools import partial

import numpy as np
import pytest

import numkeras
from numkeras import ops
from numkeras.kernels import conv as kernels
from numkeras.kernels import narrow_conv, threads
from numkeras.ops.layer_ops import conv_pool
from numkeras.ops.layer_ops.transpose_conv import conv_transpose_bias_relu

threadpoolctl = pytest.importorskip("threadpoolctl")


def blas_counts():
    return [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]


def conv_pass(x, kernel, padding):
    y, cache = kernels.conv2d_forward(x, kernel, (1, 1), padding, (1, 1))
    g = np.cos(y)
    return (y,) + kernels.conv2d_backward(g, cache)


@pytest.mark.parametrize("padding", ["same", "valid"])
def test_results_do_not_depend_on_the_thread_count(monkeypatch, thread_counts, padding):
    monkeypatch.setattr(kernels, "BLOCK_BYTES", 4000)  # many blocks, many tasks
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 9, 8, 5)).astype(np.float32)
    kernel = rng.standard_normal((3, 3, 5, 7)).astype(np.float32)
    results = {}
    for n in (1, 2, 3):
        thread_counts(n)
        assert threads.workers() == n
        results[n] = conv_pass(x, kernel, padding)
        assert blas_counts() and all(c == n for c in blas_counts())
    for n in (2, 3):
        for got, want in zip(results[n], results[1]):
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize(
    "padding, filters, channels", [("same", 6, 5), ("valid", 16, 5), ("valid", 8, 1)]
)
def test_conv_relu_pool_does_not_depend_on_the_thread_count(
    monkeypatch, thread_counts, padding, filters, channels
):
    """Both ways to the input's gradient: a flipped-kernel convolution ('same', 6 filters;
    with tasks inside the chunks' tasks) and `col2im` ('valid', 16 filters); and one input
    channel (K-major patches, a product a window offset)."""
    monkeypatch.setattr(conv_pool, "CHUNK_BYTES", 2000)  # a chunk of one or two images
    monkeypatch.setattr(kernels, "BLOCK_BYTES", 4000)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((7, 10, 10, channels)).astype(np.float32)
    kernel = rng.standard_normal((3, 3, channels, filters)).astype(np.float32)
    bias = rng.standard_normal(filters).astype(np.float32)
    conv_size = (10, 10) if padding == "same" else (8, 8)
    flipped = kernels.flipped_is_cheaper(x.shape, kernel.shape, conv_size, (1, 1))
    assert flipped == (padding == "same")
    results = {}
    for n in (1, 2, 3):
        thread_counts(n)
        y, cache = conv_pool.conv_relu_pool_forward(
            x, kernel, bias, (1, 1), padding, (1, 1), (2, 2)
        )
        results[n] = (y,) + conv_pool.conv_relu_pool_backward(np.cos(y), cache)
    for n in (2, 3):
        for got, want in zip(results[n], results[1]):
            np.testing.assert_array_equal(got, want)


def test_one_channel_conv_does_not_depend_on_the_thread_count(monkeypatch, thread_counts):
    """narrow_conv runs blocks of images as tasks (here 4 blocks of 2 images)."""
    monkeypatch.setattr(narrow_conv, "BLOCK_PIXELS", 2048)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((8, 32, 32, 16)).astype(np.float32)
    kernel = rng.standard_normal((3, 3, 16, 1)).astype(np.float32)
    results = {}
    for n in (1, 2, 3):
        thread_counts(n)
        y, cache = narrow_conv.forward(x, kernel, (1, 1), "same", (1, 1))
        results[n] = (y,) + narrow_conv.backward(np.cos(y), cache)
    for n in (2, 3):
        for got, want in zip(results[n], results[1]):
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("block_bytes", [2000, 200])  # image blocks, row blocks
def test_transposed_conv_does_not_depend_on_the_thread_count(
    monkeypatch, thread_counts, block_bytes
):
    """conv_transpose + bias + relu: values and all three gradients."""
    monkeypatch.setattr(kernels, "BLOCK_BYTES", block_bytes)  # many blocks, many tasks
    rng = np.random.default_rng(4)
    arrays = [
        rng.standard_normal((5, 6, 7, 3)).astype(np.float32),
        rng.standard_normal((3, 3, 4, 3)).astype(np.float32),
        rng.standard_normal(4).astype(np.float32),
    ]
    results = {}
    for n in (1, 2, 3):
        thread_counts(n)
        variables = [numkeras.Variable(a) for a in arrays]
        with numkeras.GradientTape() as tape:
            y = conv_transpose_bias_relu(*variables, 2, "same")
            loss = ops.sum(ops.multiply(y, np.cos(y.numpy())))
        results[n] = [y.numpy()] + tape.gradient(loss, variables)
    for n in (2, 3):
        for got, want in zip(results[n], results[1]):
            np.testing.assert_array_equal(got, want)


def test_a_failing_task_raises_and_restores_the_blas(thread_counts):
    thread_counts(2)

    def fail():
        raise RuntimeError("task failed")

    with pytest.raises(RuntimeError, match="task failed"):
        threads.run([lambda: None, fail, lambda: None])
    assert all(c == 2 for c in blas_counts())


def test_tasks_run_side_by_side_and_all_run_despite_errors(thread_counts):
    thread_counts(2)
    meet, ran = threading.Barrier(2, timeout=30), []

    def wait_for_the_other():  # only returns when the other task runs at the same time
        meet.wait()
        ran.append(threading.current_thread() is threading.main_thread())

    threads.run([wait_for_the_other, wait_for_the_other])
    assert sorted(ran) == [False, True]  # the calling thread took one of them

    def fail(message):
        ran.append(message)
        raise RuntimeError(message)

    ran.clear()
    tasks = [partial(fail, "first"), partial(ran.append, "ok"), partial(fail, "second")]
    with pytest.raises(RuntimeError, match="first"):
        threads.run(tasks)
    assert sorted(ran) == ["first", "ok", "second"]
    assert all(c == 2 for c in blas_counts())


def test_the_caller_does_not_wait_for_a_pool_thread_that_took_no_task(thread_counts):
    """With the pool thread held up (busy elsewhere, or not yet woken on a loaded machine),
    the calling thread runs every task and returns at once; the late pool thread finds none."""
    thread_counts(2)
    threads.run([lambda: None, lambda: None])  # the pool exists
    busy, release, ran = threading.Event(), threading.Event(), []
    timer = threading.Timer(30, release.set)  # never hang: the old wait returns after 30 s
    timer.start()

    def hold():
        busy.set()
        release.wait()

    threads._pool["executor"].submit(hold)
    busy.wait()
    threads.run([partial(ran.append, i) for i in range(3)])
    assert not release.is_set() and ran == [0, 1, 2]
    release.set()
    timer.cancel()
    threads.run([partial(ran.append, i) for i in range(3, 5)])  # the pool serves again
    assert sorted(ran) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    "n, size, sizes",
    [(128, 18, [16] * 8), (10, 3, [2, 3, 2, 3]), (5, 1, [1] * 5), (7, 100, [7]), (3, 2, [1, 2])],
)
def test_even_slices_are_evened_out_and_even_in_number(n, size, sizes):
    slices = threads.even_slices(n, size)
    assert [s.stop - s.start for s in slices] == sizes
    assert slices[0].start == 0 and all(a.stop == b.start for a, b in zip(slices, slices[1:]))


@pytest.mark.parametrize(
    "n, size, least, sizes",
    [
        (128, 16, 1, [16] * 5 + [12, 9, 7, 5, 4, 3, 2, 2, 1, 1, 1, 1]),
        (128, 16, 4, [16] * 5 + [12, 9, 7, 5, 4, 4, 4, 3]),
        (7, 100, 1, [2, 2, 1, 1, 1]),
        (7, 100, 7, [7]),
        (5, 1, 1, [1] * 5),
        (0, 4, 1, []),
    ],
)
def test_guided_slices_shrink_to_a_quarter_of_what_is_left(n, size, least, sizes):
    slices = threads.guided_slices(n, size, least)
    assert [s.stop - s.start for s in slices] == sizes
    assert all(a.stop == b.start for a, b in zip(slices, slices[1:]))
    assert not slices or (slices[0].start == 0 and slices[-1].stop == n)
