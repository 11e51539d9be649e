"""The fused conv + bias + relu + max pool (engine/conv_pool.py) against the separate ops.

The fused path must give the separate ops' values bit for bit and their gradients, fall back
wherever the pool windows do not tile the conv output, and keep a pending output correct for
every other reader. The tutorial CNN's training steps are checked against PyTorch at the end.
"""
import numpy as np
import pytest
from gradcheck import check_grad, rand

import numkeras
from numkeras import layers, ops
from numkeras.engine import conv_pool
from numkeras.engine.conv_pool import PendingConvRelu, conv_bias_relu

CASES = [  # input shape, kernel shape, conv settings, pool settings
    ((2, 8, 8, 1), (3, 3, 1, 4), {}, {"pool_size": 2}),  # few channels: K-major patches
    ((2, 9, 7, 5), (3, 3, 5, 3), {}, {"pool_size": 2}),  # cropped remainder, odd sizes
    ((2, 8, 9, 4), (2, 3, 4, 3), {"padding": "same"}, {"pool_size": (2, 3)}),
    ((1, 11, 10, 4), (3, 2, 4, 2), {"strides": 2}, {"pool_size": (3, 2)}),
    ((1, 10, 10, 4), (3, 3, 4, 2), {"dilation_rate": 2}, {"pool_size": 3}),
    ((2, 6, 6, 4), (3, 3, 4, 2), {"padding": "same"}, {"pool_size": 2, "padding": "same"}),
    ((2, 6, 6, 2), (1, 1, 2, 3), {}, {"pool_size": (1, 2)}),
]


def separate(x, kernel, bias, conv_kw, pool_kw):
    y = ops.relu(ops.conv(x, kernel, **conv_kw) + bias)
    return ops.max_pool(y, **pool_kw)


def fused(x, kernel, bias, conv_kw, pool_kw):
    pending = conv_bias_relu(x, kernel, bias, **conv_kw)
    assert isinstance(pending, PendingConvRelu)
    return ops.max_pool(pending, **pool_kw)


@pytest.mark.parametrize("x_shape, k_shape, conv_kw, pool_kw", CASES)
def test_fused_values_equal_the_separate_ops(x_shape, k_shape, conv_kw, pool_kw):
    x, kernel = rand(*x_shape, dtype="float32"), rand(*k_shape, seed=1, dtype="float32")
    bias = rand(k_shape[-1], seed=2, low=-0.5, high=0.5, dtype="float32")
    y = fused(x, kernel, bias, conv_kw, pool_kw)
    assert y.op == "conv_relu_pool" and y.dtype == "float32"
    np.testing.assert_array_equal(np.asarray(y), np.asarray(separate(x, kernel, bias, conv_kw,
                                                                      pool_kw)))


@pytest.mark.parametrize("x_shape, k_shape, conv_kw, pool_kw", CASES)
def test_fused_gradients_match_central_differences(x_shape, k_shape, conv_kw, pool_kw):
    def fn(x, kernel, bias):
        return fused(x, kernel, bias, conv_kw, pool_kw)

    check_grad(fn, rand(*x_shape), rand(*k_shape, seed=1),
               rand(k_shape[-1], seed=2, low=-0.5, high=0.5))


def grads(fn, x, kernel, bias):
    variables = [numkeras.Variable(a) for a in (x, kernel, bias)]
    with numkeras.GradientTape() as tape:
        y = fn(*variables)
        loss = ops.sum(y * np.arange(1, y.size + 1).reshape(y.shape))
    return [np.asarray(y)] + tape.gradient(loss, variables)


@pytest.mark.parametrize("x_shape, k_shape, conv_kw, pool_kw", CASES)
def test_tied_windows_route_like_the_separate_ops(x_shape, k_shape, conv_kw, pool_kw):
    # zero images (as MNIST's background) tie every window: the gradient goes to the first cell
    x = rand(*x_shape)
    x[:, : x_shape[1] // 2] = 0
    kernel, bias = rand(*k_shape, seed=1), np.abs(rand(k_shape[-1], seed=2)) + 0.1
    for got, want in zip(grads(lambda *a: fused(*a, conv_kw, pool_kw), x, kernel, bias),
                         grads(lambda *a: separate(*a, conv_kw, pool_kw), x, kernel, bias)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_no_bias_and_a_numpy_bias():
    x, kernel = rand(2, 6, 6, 3), rand(3, 3, 3, 2, seed=1)
    y = ops.max_pool(conv_bias_relu(x, kernel, None), 2)
    np.testing.assert_array_equal(np.asarray(y),
                                  np.asarray(ops.max_pool(ops.relu(ops.conv(x, kernel)), 2)))
    check_grad(lambda x, k: ops.max_pool(conv_bias_relu(x, k, None), 2), x, kernel)
    np.testing.assert_array_equal(
        np.asarray(ops.max_pool(conv_bias_relu(x, kernel, np.ones(2)), 2)),
        np.asarray(ops.max_pool(ops.relu(ops.conv(x, kernel) + 1), 2)))


@pytest.mark.parametrize("pool_kw", [
    {"pool_size": 2, "strides": 1},  # overlapping windows
    {"pool_size": 3, "padding": "same"},  # 4x4 output: padded windows
    {"pool_size": 2, "data_format": "channels_first"},
])
def test_pools_that_do_not_tile_compute_the_separate_ops(pool_kw):
    x, kernel, bias = rand(2, 6, 6, 3), rand(3, 3, 3, 4, seed=1), rand(4, seed=2)
    y = ops.max_pool(conv_bias_relu(x, kernel, bias), **pool_kw)
    assert y.op == "max_pool"
    np.testing.assert_array_equal(np.asarray(y), np.asarray(separate(x, kernel, bias, {},
                                                                      pool_kw)))


def test_a_pending_output_read_twice_gets_both_gradients():
    """Pooled (fused) and also summed directly: the gradient adds both paths."""
    x, kernel, bias = rand(2, 6, 6, 3), rand(3, 3, 3, 4, seed=1), rand(4, seed=2)

    def both(x, kernel, bias, pending):
        y = conv_bias_relu(x, kernel, bias) if pending else ops.relu(ops.conv(x, kernel) + bias)
        return ops.sum(ops.max_pool(y, 2)) + ops.sum(y * y)

    for got, want in zip(grads(lambda *a: both(*a, True), x, kernel, bias),
                         grads(lambda *a: both(*a, False), x, kernel, bias)):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_a_pending_output_made_on_a_tape_is_recorded_when_read_later():
    x, kernel = numkeras.Variable(rand(1, 5, 5, 2)), numkeras.Variable(rand(3, 3, 2, 2, seed=1))
    with numkeras.GradientTape() as tape:
        y = conv_bias_relu(x, kernel, None)
    assert y.shape == (1, 3, 3, 2) and y.dtype == "float64"  # known without computing
    gx = tape.gradient(y, x)  # read outside the tape's block
    with numkeras.GradientTape() as tape:
        want = ops.relu(ops.conv(x, kernel))
    np.testing.assert_allclose(gx, tape.gradient(want, x))


def test_a_bad_bias_is_refused_when_the_layer_is_called():
    with pytest.raises(ValueError, match=r"expected a bias of shape \(4,\).*got \(3,\)"):
        conv_bias_relu(rand(1, 5, 5, 2), rand(3, 3, 2, 4), rand(3))


def test_the_tutorial_cnn_fuses_both_blocks():
    model = numkeras.Sequential([
        layers.Input((28, 28, 1)), layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(2), layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2),
    ])
    x = rand(2, 28, 28, 1, dtype="float32")
    assert model(x).op == "conv_relu_pool"
    assert model.layers[1](model.layers[0](x)).op == "conv_relu_pool"


def test_tutorial_cnn_training_steps_match_torch(torch):
    """Three SGD steps of the tutorial CNN (no dropout) on one batch, against PyTorch in float64.

    SGD, because Adam's first steps divide by the gradient's size, which magnifies float32
    rounding on near-zero gradients (Adam itself is checked in tests/optimizers)."""
    numkeras.utils.set_random_seed(3)
    model = numkeras.Sequential([
        layers.Input((28, 28, 1)), layers.Conv2D(8, 3, activation="relu"),
        layers.MaxPooling2D(2), layers.Conv2D(16, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Flatten(), layers.Dense(10, activation="softmax"),
    ])
    model.compile(numkeras.optimizers.SGD(0.1), "categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = np.maximum(rng.standard_normal((16, 28, 28, 1)), 0).astype("float32")  # zero regions
    y = np.eye(10, dtype="float32")[rng.integers(0, 10, 16)]
    weights = [w.astype("float64") for w in model.get_weights()]

    tm = torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(8, 16, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
    ).double()
    dense = torch.nn.Linear(400, 10).double()
    with torch.no_grad():
        for conv, (k, b) in zip([tm[0], tm[3]], [weights[0:2], weights[2:4]]):
            conv.weight.copy_(torch.tensor(k).permute(3, 2, 0, 1))
            conv.bias.copy_(torch.tensor(b))
        dense.weight.copy_(torch.tensor(weights[4]).T)
        dense.bias.copy_(torch.tensor(weights[5]))
    params = list(tm.parameters()) + list(dense.parameters())
    opt = torch.optim.SGD(params, lr=0.1)
    tx, ty = torch.tensor(x, dtype=torch.float64).permute(0, 3, 1, 2), torch.tensor(y)
    for _ in range(3):
        model.train_on_batch(x, y)
        opt.zero_grad()
        features = tm(tx).permute(0, 2, 3, 1).reshape(16, -1)  # Keras flattens H, W, C
        p = torch.softmax(dense(features), -1).clamp(1e-7, 1 - 1e-7)
        loss = -(ty * torch.log(p)).sum(-1).mean()
        loss.backward()
        opt.step()
    want = [tm[0].weight.permute(2, 3, 1, 0), tm[0].bias, tm[3].weight.permute(2, 3, 1, 0),
            tm[3].bias, dense.weight.T, dense.bias]
    for got, w in zip(model.get_weights(), want):
        np.testing.assert_allclose(got, w.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_inference_and_training_paths_give_the_same_values():
    """Outside a tape no first-maximum index is kept; the maxima (NaN included) are the same."""
    x, kernel, bias = rand(2, 8, 8, 3), rand(3, 3, 3, 4, seed=1), rand(4, seed=2)
    x[0, 2, 3, 1] = np.nan
    inference = np.asarray(ops.max_pool(conv_bias_relu(x, kernel, bias), 2))
    with numkeras.GradientTape():
        training = np.asarray(ops.max_pool(conv_bias_relu(numkeras.Variable(x), kernel, bias), 2))
    np.testing.assert_array_equal(inference, training)
    assert np.isnan(inference[0]).any() and not np.isnan(inference[1]).any()


@pytest.mark.parametrize("images_per_chunk", [1, 3, 7])
@pytest.mark.parametrize("x_shape, k_shape, conv_kw, pool_kw", [CASES[1], CASES[3], CASES[5]])
def test_chunks_of_the_batch_give_the_whole_batchs_results(monkeypatch, images_per_chunk,
                                                            x_shape, k_shape, conv_kw, pool_kw):
    """The fused op runs a few images at a time; any chunking (an uneven last chunk too)."""
    x_shape = (7,) + x_shape[1:]
    x, kernel, bias = rand(*x_shape), rand(*k_shape, seed=1), rand(k_shape[-1], seed=2)
    x[:, : x_shape[1] // 2] = 0  # tied windows
    assert len(conv_pool._chunks(7, 10_000)) == 1  # these small images: one chunk by default
    whole = grads(lambda *a: fused(*a, conv_kw, pool_kw), x, kernel, bias)
    monkeypatch.setattr(conv_pool, "_chunks", lambda n, _: [
        slice(i, min(i + images_per_chunk, n)) for i in range(0, n, images_per_chunk)])
    chunked = grads(lambda *a: fused(*a, conv_kw, pool_kw), x, kernel, bias)
    for got, want in zip(chunked, whole):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_models_that_return_or_share_a_pending_conv_output():
    """A conv output that is a model output, and one read by a pool and an Add, in a model."""
    x = rand(4, 12, 12, 3, dtype="float32")
    inp = numkeras.Input((12, 12, 3))
    conv = layers.Conv2D(4, 3, activation="relu")
    c = conv(inp)
    p = layers.MaxPooling2D(2)(c)
    r = layers.Add()([layers.Conv2D(4, 3, activation="relu", padding="same")(p), p])
    model = numkeras.Model(inp, [layers.Dense(2)(layers.Flatten()(r)), c])
    out, conv_out = model.predict(x, verbose=0)
    assert isinstance(conv_out, np.ndarray) and conv_out.shape == (4, 10, 10, 4)
    want = np.maximum(np.asarray(ops.conv(x, conv.kernel)) + np.asarray(conv.bias), 0)
    np.testing.assert_allclose(conv_out, want, rtol=1e-6)
    y = numkeras.Model(inp, c)(x)
    assert repr(y).startswith("<Tensor shape=(4, 10, 10, 4), dtype=float32")
    model.compile("sgd", ["mse", "mse"])
    loss = model.train_on_batch(x, [np.ones((4, 2)), np.zeros((4, 10, 10, 4))])
    assert np.isfinite(loss).all()
