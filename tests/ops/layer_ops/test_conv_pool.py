"""The fused conv + bias + relu + max pool (ops/layer_ops/fused.py and conv_pool.py) against the
separate ops, and the Sequential pass that chooses it (models/fusion.py).

The fused op must give the separate ops' values bit for bit and their gradients; the pass must
use it only where the pool windows tile the conv output, and every output is computed when its
op runs. The tutorial CNN's training steps are checked against PyTorch at the end.
"""

import numpy as np
import pytest

import numkeras
from numkeras import layers, ops
from numkeras.kernels import threads
from numkeras.ops.layer_ops import conv_pool
from numkeras.ops.layer_ops.fused import conv_relu_pool
from tests.engine.gradcheck import check_grad, rand

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
    pool = pool_kw["pool_size"]
    return conv_relu_pool(
        x,
        kernel,
        bias,
        conv_kw.get("strides", 1),
        conv_kw.get("padding", "valid"),
        conv_kw.get("dilation_rate", 1),
        pool if isinstance(pool, tuple) else (pool, pool),
    )


@pytest.mark.parametrize("x_shape, k_shape, conv_kw, pool_kw", CASES)
def test_fused_values_equal_the_separate_ops(x_shape, k_shape, conv_kw, pool_kw):
    x, kernel = rand(*x_shape, dtype="float32"), rand(*k_shape, seed=1, dtype="float32")
    bias = rand(k_shape[-1], seed=2, low=-0.5, high=0.5, dtype="float32")
    y = fused(x, kernel, bias, conv_kw, pool_kw)
    assert y.op == "conv_relu_pool" and y.dtype == "float32"
    np.testing.assert_array_equal(
        np.asarray(y), np.asarray(separate(x, kernel, bias, conv_kw, pool_kw))
    )


@pytest.mark.parametrize("x_shape, k_shape, conv_kw, pool_kw", CASES)
def test_fused_gradients_match_central_differences(x_shape, k_shape, conv_kw, pool_kw):
    def fn(x, kernel, bias):
        return fused(x, kernel, bias, conv_kw, pool_kw)

    check_grad(
        fn, rand(*x_shape), rand(*k_shape, seed=1), rand(k_shape[-1], seed=2, low=-0.5, high=0.5)
    )


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
    for got, want in zip(
        grads(lambda *a: fused(*a, conv_kw, pool_kw), x, kernel, bias),
        grads(lambda *a: separate(*a, conv_kw, pool_kw), x, kernel, bias),
    ):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_the_tutorial_blocks_equal_the_separate_ops():
    """The tutorial CNN's shapes: bias and relu run over rows of 1,024 values and then a
    remainder of pixels (845 and 125 of them here), values and gradients close (not bit for
    bit: the fused op's GEMMs take a chunk of images, and OpenBLAS's AVX2 kernels sum the
    rows of a shorter product in another order)."""
    x = np.maximum(rand(5, 28, 28, 1, dtype="float32"), 0)  # zero regions: tied windows
    k1, k2 = rand(3, 3, 1, 32, seed=1, dtype="float32"), rand(3, 3, 32, 64, seed=2, dtype="float32")
    b1, b2 = rand(32, seed=3, dtype="float32"), rand(64, seed=4, dtype="float32")

    def net(block, x, k1, b1, k2, b2):
        return block(block(x, k1, b1, {}, {"pool_size": 2}), k2, b2, {}, {"pool_size": 2})

    variables = [numkeras.Variable(a) for a in (x, k1, b1, k2, b2)]
    results = []
    for block in (fused, separate):
        with numkeras.GradientTape() as tape:
            y = net(block, *variables)
            loss = ops.sum(y * np.cos(np.arange(y.size)).reshape(y.shape))
        results.append([np.asarray(y)] + tape.gradient(loss, variables))
    (y, *grads), (want_y, *want_grads) = results
    np.testing.assert_allclose(y, want_y, rtol=1e-6, atol=1e-6 * np.abs(want_y).max())
    for got, want in zip(grads, want_grads):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.abs(want).max())


def test_scratch_arrays_are_kept_up_to_their_limit(monkeypatch):
    """Scratch arrays are reused across calls up to KEEP_BYTES; larger ones are not kept, and
    the results are the same either way (none of them is returned)."""
    monkeypatch.setattr(threads, "workers", lambda: 1)  # the tasks run on this thread
    x, kernel, bias = rand(3, 10, 10, 4), rand(3, 3, 4, 8, seed=1), rand(8, seed=2)
    monkeypatch.setattr(conv_pool._scratch, "buffers", {}, raising=False)
    kept = grads(lambda *a: fused(*a, {}, {"pool_size": 2}), x, kernel, bias)
    assert {"cols", "z", "gz", "col2im"} <= {name for name, _ in conv_pool._scratch.buffers}
    monkeypatch.setattr(conv_pool._scratch, "buffers", {})
    monkeypatch.setattr(conv_pool, "KEEP_BYTES", 100)
    fresh = grads(lambda *a: fused(*a, {}, {"pool_size": 2}), x, kernel, bias)
    assert all(a.nbytes <= 100 for a in conv_pool._scratch.buffers.values())
    for got, want in zip(fresh, kept):
        np.testing.assert_array_equal(got, want)


def test_no_bias_and_a_numpy_bias():
    x, kernel = rand(2, 6, 6, 3), rand(3, 3, 3, 2, seed=1)
    y = conv_relu_pool(x, kernel, None, 1, "valid", 1, (2, 2))
    np.testing.assert_array_equal(
        np.asarray(y), np.asarray(ops.max_pool(ops.relu(ops.conv(x, kernel)), 2))
    )
    check_grad(lambda x, k: conv_relu_pool(x, k, None, 1, "valid", 1, (2, 2)), x, kernel)
    np.testing.assert_array_equal(
        np.asarray(conv_relu_pool(x, kernel, np.ones(2), 1, "valid", 1, (2, 2))),
        np.asarray(ops.max_pool(ops.relu(ops.conv(x, kernel) + 1), 2)),
    )


def test_the_op_refuses_pools_that_do_not_tile_and_bad_biases():
    x, kernel = rand(1, 5, 5, 2), rand(3, 3, 2, 4)
    with pytest.raises(ValueError, match=r"conv_relu_pool.*\(3, 3\) pool windows \(4, 4\)"):
        conv_relu_pool(x, kernel, None, 1, "valid", 1, (4, 4))
    with pytest.raises(ValueError, match=r"expected a bias of shape \(4,\).*got \(3,\)"):
        conv_relu_pool(x, kernel, rand(3), 1, "valid", 1, (1, 1))


def pair_model(conv_kw, pool_kw, input_shape=(6, 6, 3)):
    numkeras.utils.set_random_seed(0)
    return numkeras.Sequential(
        [
            layers.Input(input_shape),
            layers.Conv2D(4, 3, **{"activation": "relu", **conv_kw}),
            layers.MaxPooling2D(**pool_kw),
        ]
    )


@pytest.mark.parametrize(
    "conv_kw, pool_kw",
    [
        ({}, {"pool_size": 2, "strides": 1}),  # overlapping windows
        ({}, {"pool_size": 3, "padding": "same"}),  # 4x4 output: padded windows
        ({"data_format": "channels_first"}, {"pool_size": 2, "data_format": "channels_first"}),
        ({"activation": "tanh"}, {"pool_size": 2}),
    ],
)
def test_the_pass_runs_other_pairs_layer_by_layer(conv_kw, pool_kw):
    shape = (3, 6, 6) if "data_format" in conv_kw else (6, 6, 3)
    model = pair_model(conv_kw, pool_kw, shape)
    x = rand(2, *shape, dtype="float32")
    y = model(x)
    assert y.op == "max_pool"
    np.testing.assert_array_equal(np.asarray(y), np.asarray(model.layers[1](model.layers[0](x))))


def test_the_pass_fuses_tiling_pools_with_the_layers_values():
    model = pair_model({"padding": "same"}, {"pool_size": 2, "padding": "same"})
    x = rand(2, 6, 6, 3, dtype="float32")
    y = model(x)
    assert y.op == "conv_relu_pool" and y.shape == (2, 3, 3, 4)
    np.testing.assert_array_equal(np.asarray(y), np.asarray(model.layers[1](model.layers[0](x))))


def test_outputs_are_computed_when_their_op_runs():
    """Changing the input buffer afterwards changes no output: conv, fused op or model."""
    model = pair_model({}, {"pool_size": 2})
    conv = model.layers[0]
    buf = rand(2, 6, 6, 3, dtype="float32")
    want_conv, want_model = np.asarray(conv(buf)).copy(), np.asarray(model(buf)).copy()
    y_conv, y_model = conv(buf), model(buf)
    y_op = conv_relu_pool(buf, conv.kernel, conv.bias, 1, "valid", 1, (2, 2))
    buf[:] = 0
    np.testing.assert_array_equal(np.asarray(y_conv), want_conv)
    np.testing.assert_array_equal(np.asarray(y_model), want_model)
    np.testing.assert_array_equal(np.asarray(y_op), want_model)


def test_features_taken_before_fit_keep_their_values_after_fit():
    model = numkeras.Sequential(
        [
            layers.Input((10, 10, 1)),
            layers.Conv2D(4, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(2),
        ]
    )
    model.compile("adam", "mse")
    x = rand(8, 10, 10, 1, dtype="float32")
    feature_model = numkeras.Sequential(model.layers[:2])
    before = feature_model(x)
    snapshot = np.asarray(before).copy()
    model.fit(x, np.ones((8, 2), "float32"), epochs=2, verbose=0)
    np.testing.assert_array_equal(np.asarray(before), snapshot)
    assert not np.array_equal(np.asarray(feature_model(x)), snapshot)  # the weights did train


def test_the_tutorial_cnn_fuses_both_blocks():
    model = numkeras.Sequential(
        [
            layers.Input((28, 28, 1)),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPooling2D(2),
        ]
    )
    x = rand(2, 28, 28, 1, dtype="float32")
    assert model(x).op == "conv_relu_pool"
    with numkeras.GradientTape() as tape:
        loss = ops.sum(model(x))
    grads = tape.gradient(loss, model.trainable_weights)
    assert all(g is not None and np.abs(g).sum() > 0 for g in grads)


def test_tutorial_cnn_training_steps_match_torch(torch):
    """Three SGD steps of the tutorial CNN (no dropout) on one batch, against PyTorch in float64.

    SGD, because Adam's first steps divide by the gradient's size, which magnifies float32
    rounding on near-zero gradients (Adam itself is checked in tests/optimizers)."""
    numkeras.utils.set_random_seed(3)
    model = numkeras.Sequential(
        [
            layers.Input((28, 28, 1)),
            layers.Conv2D(8, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(16, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(numkeras.optimizers.SGD(0.1), "categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = np.maximum(rng.standard_normal((16, 28, 28, 1)), 0).astype("float32")  # zero regions
    y = np.eye(10, dtype="float32")[rng.integers(0, 10, 16)]
    weights = [w.astype("float64") for w in model.get_weights()]

    tm = torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 3),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(8, 16, 3),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
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
    want = [
        tm[0].weight.permute(2, 3, 1, 0),
        tm[0].bias,
        tm[3].weight.permute(2, 3, 1, 0),
        tm[3].bias,
        dense.weight.T,
        dense.bias,
    ]
    for got, w in zip(model.get_weights(), want):
        np.testing.assert_allclose(got, w.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_inference_and_training_paths_give_the_same_values():
    """Outside a tape no first-maximum index is kept; the maxima (NaN included) are the same."""
    x, kernel, bias = rand(2, 8, 8, 3), rand(3, 3, 3, 4, seed=1), rand(4, seed=2)
    x[0, 2, 3, 1] = np.nan
    inference = np.asarray(conv_relu_pool(x, kernel, bias, 1, "valid", 1, (2, 2)))
    with numkeras.GradientTape():
        training = np.asarray(
            conv_relu_pool(numkeras.Variable(x), kernel, bias, 1, "valid", 1, (2, 2))
        )
    np.testing.assert_array_equal(inference, training)
    assert np.isnan(inference[0]).any() and not np.isnan(inference[1]).any()


@pytest.mark.parametrize("images_per_chunk", [1, 3, 7])
@pytest.mark.parametrize("x_shape, k_shape, conv_kw, pool_kw", [CASES[1], CASES[3], CASES[5]])
def test_chunks_of_the_batch_give_the_whole_batchs_results(
    monkeypatch, images_per_chunk, x_shape, k_shape, conv_kw, pool_kw
):
    """The fused op runs a few images at a time; any chunking (an uneven last chunk too)."""
    x_shape = (7,) + x_shape[1:]
    x, kernel, bias = rand(*x_shape), rand(*k_shape, seed=1), rand(k_shape[-1], seed=2)
    x[:, : x_shape[1] // 2] = 0  # tied windows
    assert len(conv_pool._chunks(7, 10_000)) == 1  # these small images: one chunk by default
    whole = grads(lambda *a: fused(*a, conv_kw, pool_kw), x, kernel, bias)
    monkeypatch.setattr(
        conv_pool,
        "_chunks",
        lambda n, _: [
            slice(i, min(i + images_per_chunk, n)) for i in range(0, n, images_per_chunk)
        ],
    )
    chunked = grads(lambda *a: fused(*a, conv_kw, pool_kw), x, kernel, bias)
    for got, want in zip(chunked, whole):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_models_that_return_or_share_a_relu_conv_output():
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


@pytest.mark.parametrize(
    "n, image_bytes, count",
    [
        (128, 110_864, 8),  # the tutorial CNN's first block: 18 images a chunk would fit
        (128, 140_800, 10),  # its second: 14 would fit (9 of 14 and one of 2 before)
        (7, 10_000, 1),
        (3, 1 << 20, 2),
        (5, 1 << 30, 5),  # one image a chunk: no more chunks than images
    ],
)
def test_chunks_are_even_and_two_threads_share_them_equally(n, image_bytes, count):
    chunks = conv_pool._chunks(n, image_bytes)
    sizes = [c.stop - c.start for c in chunks]
    assert len(chunks) == count and chunks[0].start == 0 and chunks[-1].stop == n
    assert all(a.stop == b.start for a, b in zip(chunks, chunks[1:]))
    assert max(sizes) - min(sizes) <= 1
    assert max(sizes) == 1 or max(sizes) * image_bytes <= conv_pool.CHUNK_BYTES
