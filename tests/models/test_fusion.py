"""models/fusion.py's pass over Sequential and Functional models: BatchNormalization -> relu,
Add -> relu, BatchNormalization -> Add -> relu and the tails into global average pooling run
as one op where nothing else reads the first layer's output, with the same outputs,
gradients and moving statistics as the layers one by one."""

import numpy as np
import pytest

import numkeras
from numkeras import layers, ops
from numkeras.models import fusion
from tests.engine.gradcheck import rand


def unfused(monkeypatch):
    monkeypatch.setattr(fusion, "RULES", ())


def resnet_block(pool=None):
    """A residual block; its tail Add -> relu -> global average pooling fuses into
    add_relu_mean, or with `pool` another pooling layer (only Add -> relu fuses)."""
    inputs = numkeras.Input((6, 6, 3))
    x = layers.Conv2D(4, 3, padding="same", use_bias=False)(inputs)
    x = layers.Activation("relu")(layers.BatchNormalization()(x))
    y = layers.Conv2D(4, 3, padding="same", use_bias=False)(x)
    y = layers.ReLU()(layers.BatchNormalization(momentum=0.9, center=False)(y))
    y = layers.Conv2D(4, 3, padding="same", use_bias=False)(y)
    y = layers.BatchNormalization(scale=False, epsilon=0.01)(y)
    x = layers.Activation("relu")(layers.Add()([x, y]))
    x = (pool or layers.GlobalAveragePooling2D())(x)
    return numkeras.Model(inputs, layers.Dense(3, activation="softmax")(layers.Flatten()(x)))


def conv1d_stack():
    return numkeras.Sequential(
        [
            numkeras.Input((20, 3)),
            layers.Conv1D(5, 3, activation="relu"),
            layers.Conv1D(5, 3),
            layers.BatchNormalization(),
            layers.Activation("relu"),
            layers.GlobalAveragePooling1D(),
            layers.Dense(3, activation="softmax"),
        ]
    )


def fused_ops(monkeypatch):
    """The list that the ops of the fused chains run from now on are appended to."""
    seen = []
    run_chain = fusion.run_chain

    def spy(*args):
        out = run_chain(*args)
        seen.append(None if out is None else out.op)
        return out

    monkeypatch.setattr(fusion, "run_chain", spy)
    return seen


def fused_then_unfused(monkeypatch, build, x, training=True):
    """For the model `build()` makes (seeded), with the fusion rules and then without: the ops
    its fused chains ran, and its output, the gradients of a weighted sum of the output with
    respect to its trainable weights and its BatchNormalization layers' moving means."""
    runs = []
    for fuse in (True, False):
        if not fuse:
            unfused(monkeypatch)
        seen = fused_ops(monkeypatch)
        numkeras.utils.set_random_seed(0)
        model = build()
        with numkeras.GradientTape() as tape:
            y = model(x, training=training)
            loss = ops.sum(y * rand(*y.shape, seed=2, dtype="float32"))
        grads = tape.gradient(loss, model.trainable_weights)
        means = [
            layer.moving_mean.numpy()
            for layer in model.layers
            if isinstance(layer, layers.BatchNormalization)
        ]
        runs.append(([op for op in seen if op], [np.asarray(y), *grads, *means]))
    return runs


def fitted(build, x, y):
    """Weights (moving statistics included) and predictions after fitting a few steps."""
    numkeras.utils.set_random_seed(3)
    model = build()
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False)
    return [w.numpy() for w in model.weights] + [model.predict(x, verbose=0)]


def resnet_max_pooled():
    return resnet_block(layers.MaxPooling2D(2))


@pytest.mark.parametrize(
    "build, shape, pooled",
    [
        (resnet_max_pooled, (6, 6, 3), None),
        (resnet_block, (6, 6, 3), "add_relu_mean"),
        (conv1d_stack, (20, 3), "batch_norm_relu_mean"),
    ],
)
def test_fit_with_and_without_fusion_gives_the_same_model(build, shape, pooled, monkeypatch):
    """The same bits where the same kernels run; a tail into global average pooling (training)
    sums in another order, so within float32 rounding there (as Adam moves the bias before
    the normalization by its gradient's sign, and that gradient is rounding noise, its steps
    may differ by up to the learning rate)."""
    x = rand(8, *shape, dtype="float32")
    y = np.arange(8) % 3
    seen = fused_ops(monkeypatch)
    fused = fitted(build, x, y)
    assert "batch_norm_relu" in seen and ("add_relu" in seen) == (build is resnet_max_pooled)
    assert ("batch_norm_add_relu" in seen) == (build is resnet_max_pooled)
    for op in ("add_relu_mean", "batch_norm_relu_mean"):
        assert (op in seen) == (op == pooled)
    unfused(monkeypatch)
    for got, want in zip(fused, fitted(build, x, y)):
        if pooled is None:
            np.testing.assert_array_equal(got, want)
        else:
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-4)


def bn_relu_model(norm=None, act=None, extra_output=False):
    inputs = numkeras.Input((5, 4))
    norm = norm or layers.BatchNormalization()
    z = norm(inputs)
    y = (act or layers.Activation("relu"))(z)
    return numkeras.Model(inputs, [y, z] if extra_output else y), norm


@pytest.mark.parametrize("training", [True, False, None])
def test_functional_pair_runs_as_one_op_with_the_layers_values(training, monkeypatch):
    x = rand(6, 5, 4, dtype="float32")
    results = []
    for fuse in (True, False):
        if not fuse:
            unfused(monkeypatch)
        numkeras.utils.set_random_seed(0)
        model, norm = bn_relu_model()
        norm.moving_mean.assign(rand(4, seed=1, dtype="float32"))
        with numkeras.GradientTape() as tape:
            y = model(x, training=training)
            loss = ops.sum(y * rand(6, 5, 4, seed=2, dtype="float32"))
        assert (y.op == "batch_norm_relu") == fuse
        grads = tape.gradient(loss, [norm.gamma, norm.beta])
        results.append([np.asarray(y), *grads, norm.moving_mean.numpy()])
    # outside training the fused op sums gamma's gradient in another order
    for got, want in zip(*results):
        np.testing.assert_allclose(got, want, rtol=0 if training else 1e-5, atol=0)
    moved = not np.array_equal(results[0][-1], rand(4, seed=1, dtype="float32"))
    assert moved == bool(training)


def test_a_frozen_layer_uses_its_moving_statistics_when_fused():
    model, norm = bn_relu_model()
    norm.moving_mean.assign(np.full(4, 0.5, "float32"))
    norm.trainable = False
    x = rand(6, 5, 4, dtype="float32")
    y = model(x, training=True)
    assert y.op == "batch_norm_relu"
    np.testing.assert_allclose(np.asarray(y), np.maximum(x - 0.5, 0) / np.sqrt(1.001), rtol=1e-6)
    np.testing.assert_array_equal(norm.moving_mean.numpy(), np.full(4, 0.5, "float32"))


@pytest.mark.parametrize(
    "norm, act",
    [
        (layers.BatchNormalization(axis=1), None),  # not the last axis
        (None, layers.ReLU(max_value=6.0)),
        (None, layers.Activation("tanh")),
        (None, layers.Activation("relu", activity_regularizer="l2")),
    ],
)
def test_settings_the_op_does_not_cover_run_layer_by_layer(norm, act):
    model, _ = bn_relu_model(norm, act)
    x = rand(6, 5, 4, dtype="float32")
    y = model(x, training=True)
    assert y.op != "batch_norm_relu"
    layer_by_layer = model.layers[2](model.layers[1](x, training=True))
    np.testing.assert_allclose(np.asarray(y), np.asarray(layer_by_layer), rtol=1e-6)


def test_a_normalized_output_the_model_returns_is_not_fused():
    model, norm = bn_relu_model(extra_output=True)
    x = rand(6, 5, 4, dtype="float32")
    y, z = model(x, training=True)
    assert y.op == "relu" and z.op == "batch_norm_train"
    np.testing.assert_array_equal(np.asarray(y), np.maximum(np.asarray(z), 0))
    # and its gradient flows from the model's second output too
    with numkeras.GradientTape() as tape:
        y, z = model(x, training=True)
        loss = ops.sum(z * rand(6, 5, 4, seed=4, dtype="float32"))
    assert np.abs(tape.gradient(loss, norm.gamma)).sum() > 0


def test_a_normalized_output_two_layers_read_is_not_fused():
    inputs = numkeras.Input((5, 4))
    z = layers.BatchNormalization()(inputs)
    y = layers.Add()([layers.Activation("relu")(z), z])
    model = numkeras.Model(inputs, y)
    assert model._fusable == {}
    x = rand(6, 5, 4, dtype="float32")
    np.testing.assert_allclose(
        np.asarray(model(x, training=False)), np.maximum(x / np.sqrt(1.001), 0) + x / np.sqrt(1.001)
    )


def test_watched_moving_statistics_keep_their_gradient():
    model, norm = bn_relu_model()
    x = rand(6, 5, 4, dtype="float32")
    with numkeras.GradientTape() as tape:
        tape.watch(norm.moving_mean)
        y = model(x, training=False)
        loss = ops.sum(y)
    assert y.op == "relu"
    assert tape.gradient(loss, norm.moving_mean) is not None


def test_masked_inputs_run_layer_by_layer_and_keep_the_mask():
    inputs = numkeras.Input((5, 4))
    masked = layers.Masking(0.0)(inputs)
    y = layers.Activation("relu")(layers.BatchNormalization()(masked))
    model = numkeras.Model(inputs, y)
    x = rand(6, 5, 4, dtype="float32")
    x[:, -1] = 0
    out = model(x, training=True)
    assert out.op == "relu"
    assert out._keras_mask is not None and not np.asarray(out._keras_mask)[:, -1].any()


def test_sequential_pair_fuses_and_intermediate_models_see_the_normalized_values():
    model = conv1d_stack()
    x = rand(4, 20, 3, dtype="float32")
    assert numkeras.Sequential(model.layers[:4])(x, training=True).op == "batch_norm_relu"
    features = numkeras.Model(model.inputs, model.layers[2].output)
    z = features(x, training=False)
    assert z.op != "batch_norm_relu" and (np.asarray(z) < 0).any()


def test_a_deep_copy_of_a_model_fuses_its_own_nodes():
    import copy

    numkeras.utils.set_random_seed(0)
    model = resnet_block()
    twin = copy.deepcopy(model)
    assert twin._fusable == model._fusable and len(model._fusable) == 3
    x = rand(4, 6, 6, 3, dtype="float32")
    np.testing.assert_array_equal(np.asarray(twin(x)), np.asarray(model(x)))


def test_functional_conv_relu_pool_runs_as_one_op(monkeypatch):
    inputs = numkeras.Input((8, 8, 3))
    y = layers.MaxPooling2D(2)(layers.Conv2D(4, 3, activation="relu", padding="same")(inputs))
    model = numkeras.Model(inputs, y)
    x = rand(2, 8, 8, 3, dtype="float32")
    fused = model(x)
    unfused(monkeypatch)
    separate = model(x)
    assert fused.op == "conv_relu_pool" and separate.op == "max_pool"
    np.testing.assert_allclose(np.asarray(fused), np.asarray(separate), rtol=1e-6, atol=1e-6)


def test_a_model_inside_a_model_fuses_with_the_outer_training_flag(monkeypatch):
    def fit_once():
        numkeras.utils.set_random_seed(5)
        inner, norm = bn_relu_model()
        outer = numkeras.Sequential([numkeras.Input((5, 4)), inner, layers.Flatten()])
        outer.compile("sgd", "mse")
        outer.fit(rand(6, 5, 4, dtype="float32"), np.ones((6, 20)), verbose=0)
        return norm.moving_mean.numpy(), outer.predict(rand(2, 5, 4, dtype="float32"), verbose=0)

    seen = fused_ops(monkeypatch)
    fused = fit_once()
    assert "batch_norm_relu" in seen
    assert np.abs(fused[0]).sum() > 0  # the moving mean moved: the inner call trained
    unfused(monkeypatch)
    for got, want in zip(fused, fit_once()):
        np.testing.assert_array_equal(got, want)


def norm_relu_pool_model(pool=None, relu_output=False):
    inputs = numkeras.Input((5, 4) if pool is None else (3, 5, 4))
    norm = layers.BatchNormalization()
    y = layers.Activation("relu")(norm(inputs))
    p = (pool or layers.GlobalAveragePooling1D())(y)
    out = layers.Dense(3)(p)
    return numkeras.Model(inputs, [out, y] if relu_output else out), norm


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("pool", [None, "2d_keepdims"])
def test_functional_norm_relu_pool_chain_runs_as_one_op(training, pool, monkeypatch):
    """In training the three calls run as batch_norm_relu_mean (with the layers' values,
    gradients and moving statistics, to float32 rounding); outside training the pair."""
    shape = (6, 5, 4) if pool is None else (6, 3, 5, 4)

    def build():
        layer = None if pool is None else layers.GlobalAveragePooling2D(keepdims=True)
        return norm_relu_pool_model(layer)[0]

    (seen, got), (_, want) = fused_then_unfused(
        monkeypatch, build, rand(*shape, dtype="float32"), training
    )
    fused_op = "batch_norm_relu_mean" if pool is None else "reshape"  # (keepdims)
    assert seen == [fused_op if training else "batch_norm_relu"]
    assert len(got) == len(want) == 6  # output, gamma, beta, kernel, bias, moving mean
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_a_relu_output_the_model_returns_fuses_only_the_pair():
    model, _ = norm_relu_pool_model(relu_output=True)
    assert model._fusable == {0: [[0, 1]]}
    out, y = model(rand(6, 5, 4, dtype="float32"), training=True)
    assert y.op == "batch_norm_relu"
    plain, _ = norm_relu_pool_model()
    assert plain._fusable == {0: [[0, 1, 2], [0, 1]]}


def add_relu_pool_model(pool=None, relu_output=False):
    inputs = numkeras.Input((3, 5, 4) if pool is not None else (5, 4))
    a = layers.Dense(4)(inputs)
    y = layers.ReLU()(layers.Add()([inputs, a]))
    p = (pool or layers.GlobalAveragePooling1D())(y)
    out = layers.Dense(3)(layers.Flatten()(p))
    return numkeras.Model(inputs, [out, y] if relu_output else out)


@pytest.mark.parametrize("pool", [None, "2d_keepdims"])
def test_functional_add_relu_pool_chain_runs_as_one_op(pool, monkeypatch):
    """Add -> relu -> global average pooling runs as add_relu_mean with the layers' values
    (to float32 rounding) and gradients."""
    shape = (6, 5, 4) if pool is None else (6, 3, 5, 4)

    def build():
        layer = None if pool is None else layers.GlobalAveragePooling2D(keepdims=True)
        return add_relu_pool_model(layer)

    (seen, got), (_, want) = fused_then_unfused(monkeypatch, build, rand(*shape, dtype="float32"))
    assert seen == ["add_relu_mean" if pool is None else "reshape"]
    assert len(got) == len(want) == 5  # output, two kernels and biases
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_a_rectified_sum_the_model_returns_fuses_only_the_pair():
    model = add_relu_pool_model(relu_output=True)
    assert model._fusable == {1: [[1, 2]]}
    out, y = model(rand(6, 5, 4, dtype="float32"))
    assert y.op == "add_relu" and out.op == "dense"
    assert add_relu_pool_model()._fusable == {1: [[1, 2, 3], [1, 2]]}


def shortcut_model(late=False, swap=False):
    """BatchNormalization -> Add (with a shortcut) -> relu; with `late` the shortcut is made
    by a layer that runs after the normalization."""
    inputs = numkeras.Input((5, 4))
    a = layers.Dense(4)(inputs)
    norm = layers.BatchNormalization()
    z = norm(a)
    shortcut = layers.Dense(4)(inputs) if late else inputs
    y = layers.Activation("relu")(layers.Add()([z, shortcut] if swap else [shortcut, z]))
    return numkeras.Model(inputs, layers.Dense(3)(y)), norm


@pytest.mark.parametrize("late, swap", [(False, False), (False, True), (True, False)])
@pytest.mark.parametrize("training", [True, False])
def test_norm_add_relu_runs_as_one_op_with_the_layers_bits(late, swap, training, monkeypatch):
    """In training the three calls run as batch_norm_add_relu where the shortcut is ready
    (either order of the Add's list), with the layers' values, gradients and moving
    statistics bit for bit; outside training, or with the shortcut made later, Add -> relu."""
    (seen, got), (_, want) = fused_then_unfused(
        monkeypatch, lambda: shortcut_model(late, swap)[0], rand(6, 5, 4, dtype="float32"), training
    )
    assert seen == ["batch_norm_add_relu" if training and not late else "add_relu"]
    assert len(got) == len(want) == (10 if late else 8)  # output, weights, moving mean
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)


def test_a_shortcut_chain_is_planned_from_the_normalization():
    model, _ = shortcut_model()
    assert model._fusable == {1: [[1, 2, 3]], 2: [[2, 3]]}
    inputs = numkeras.Input((5, 4))
    z = layers.BatchNormalization()(inputs)
    twice = numkeras.Model(inputs, layers.ReLU()(layers.Add()([z, z])))
    assert twice._fusable == {1: [[1, 2]]}  # the normalized tensor read twice: Add -> relu only


def test_the_last_blocks_add_relu_pool_chain_wins_over_its_normalization_chain(monkeypatch):
    """Two residual blocks: the first's BatchNormalization -> Add -> relu runs as one op, the
    last's Add -> relu -> pooling does (its normalization alone)."""
    inputs = numkeras.Input((4, 4, 3))
    x = layers.Conv2D(4, 3, padding="same")(inputs)
    for _ in range(2):
        y = layers.BatchNormalization()(layers.Conv2D(4, 3, padding="same")(x))
        x = layers.ReLU()(layers.Add()([x, y]))
    model = numkeras.Model(inputs, layers.GlobalAveragePooling2D()(x))
    seen = fused_ops(monkeypatch)
    model(rand(2, 4, 4, 3, dtype="float32"), training=True)
    assert [op for op in seen if op] == ["batch_norm_add_relu", "add_relu_mean"]
