"""Subclassed layers and models as in Keras's "Making new layers and models via subclassing"
guide: weights, sublayer tracking, freezing, add_loss, shapes, configs, build and summary."""

import numpy as np
import pytest

import numkeras
from numkeras import Input, Layer, Model, Sequential, layers, ops, regularizers
from numkeras.backend import clear_session

X = np.random.default_rng(0).standard_normal((8, 5)).astype("float32")


class Linear(Layer):
    """The guide's first layer: `y = w.x + b`, weights made in `build`."""

    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.built_with = input_shape
        self.w = self.add_weight(
            shape=(input_shape[-1], self.units),
            initializer="random_normal",
            trainable=True,
            name="w",
        )
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="b")

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class ComputeSum(Layer):
    """The guide's non-trainable weight, updated in `call`."""

    def __init__(self, input_dim):
        super().__init__()
        self.total = self.add_weight(initializer="zeros", shape=(input_dim,), trainable=False)

    def call(self, inputs):
        self.total.assign_add(ops.convert_to_numpy(ops.sum(inputs, axis=0)))
        return self.total


class ActivityRegularization(Layer):
    """The guide's `add_loss` layer."""

    def __init__(self, rate=1e-2):
        super().__init__()
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.mean(inputs))
        return inputs


class MLPBlock(Layer):
    def __init__(self):
        super().__init__()
        self.linear_1 = Linear(32)
        self.linear_2 = Linear(32)
        self.linear_3 = Linear(1)

    def call(self, inputs):
        x = ops.relu(self.linear_1(inputs))
        x = ops.relu(self.linear_2(x))
        return self.linear_3(x)


class Containers(Layer):
    """Sublayers in a nested list and a dict, as Keras tracks them."""

    def __init__(self):
        super().__init__()
        self.stages = [[Linear(4), Linear(4)], [Linear(3)]]
        self.heads = {"a": Linear(2), "b": Linear(1)}

    def call(self, inputs):
        x = inputs
        for stage in self.stages:
            for layer in stage:
                x = layer(x)
        return ops.concatenate([self.heads["a"](x), self.heads["b"](x)], axis=-1)


# --- weights and tracking ---------------------------------------------------------------------
def test_weights_are_made_by_build_with_the_first_input_shape():
    layer = Linear(4)
    assert not layer.built and layer.weights == []
    assert layer(X).shape == (8, 4)
    assert layer.built_with == (8, 5)  # Keras passes the full first input shape
    assert [v.shape for v in layer.weights] == [(5, 4), (4,)]
    layer(X[:3])
    assert layer.built_with == (8, 5)  # built once


def test_symbolic_call_builds_with_a_none_batch_and_uses_compute_output_shape():
    layer = Linear(6)
    y = layer(Input((5,)))
    assert layer.built_with == (None, 5) and y.shape == (None, 6)


def test_non_trainable_weight_updated_in_call():
    layer = ComputeSum(2)
    layer(np.ones((2, 2), "float32"))
    total = layer(np.ones((2, 2), "float32"))
    assert np.allclose(ops.convert_to_numpy(total), [4.0, 4.0])
    assert (len(layer.weights), len(layer.trainable_weights), len(layer.non_trainable_weights)) == (
        1,
        0,
        1,
    )


def test_nested_layers_are_tracked_recursively():
    mlp = MLPBlock()
    assert mlp(np.ones((3, 64), "float32")).shape == (3, 1)
    assert len(mlp.weights) == 6 and len(mlp.trainable_weights) == 6
    assert mlp._layers == [mlp.linear_1, mlp.linear_2, mlp.linear_3]


def test_layers_in_nested_lists_and_dicts_are_tracked():
    layer = Containers()
    assert layer(X).shape == (8, 3)
    assert len(layer._layers) == 5 and len(layer.trainable_weights) == 10


def test_reassigning_an_attribute_replaces_its_weights():
    mlp = MLPBlock()
    mlp(np.ones((3, 64), "float32"))
    old = mlp.linear_2
    mlp.linear_2 = Linear(32)
    assert all(la is not old for la in mlp._layers)
    assert len(mlp.weights) == 4  # the new layer is unbuilt
    mlp(np.ones((3, 64), "float32"))
    ids = {id(v) for v in mlp.weights}
    assert len(ids) == 6 and not ids & {id(v) for v in old.weights}


def test_model_layers_and_get_layer():
    class Net(Model):
        def __init__(self):
            super().__init__()
            self.encoder = layers.Dense(4, name="encoder")
            self.blocks = [layers.Dense(4), layers.Dense(2, name="out")]

        def call(self, inputs):
            x = self.encoder(inputs)
            for block in self.blocks:
                x = block(x)
            return x

    net = Net()
    net(X)
    assert [la.name for la in net.layers][0::2] == ["encoder", "out"]
    assert net.get_layer("out") is net.blocks[1] and net.count_params() == 24 + 20 + 10


# --- freezing -------------------------------------------------------------------------------------
def test_trainable_false_moves_weights_to_non_trainable():
    mlp = MLPBlock()
    mlp(np.ones((2, 64), "float32"))
    mlp.linear_1.trainable = False
    assert len(mlp.trainable_weights) == 4 and len(mlp.non_trainable_weights) == 2
    mlp.trainable = False
    assert mlp.trainable_weights == [] and len(mlp.non_trainable_weights) == 6
    assert not mlp.linear_3.trainable


def test_freezing_a_sublayer_after_compile_takes_effect_on_the_next_fit():
    model = Sequential([Input((5,)), layers.Dense(4), layers.Dense(1)])
    model.compile("sgd", "mse")
    y = X[:, :1]
    model.fit(X, y, verbose=0)
    frozen = model.layers[0].kernel.numpy()
    head = model.layers[1].kernel.numpy()
    model.layers[0].trainable = False
    model.fit(X, y, verbose=0)
    assert np.array_equal(model.layers[0].kernel.numpy(), frozen)
    assert not np.allclose(model.layers[1].kernel.numpy(), head)
    model.layers[0].trainable = True
    model.fit(X, y, verbose=0)
    assert not np.allclose(model.layers[0].kernel.numpy(), frozen)


# --- losses -------------------------------------------------------------------------------------
def test_add_loss_counts_the_latest_call_only():
    class Outer(Layer):
        def __init__(self):
            super().__init__()
            self.activity_reg = ActivityRegularization(1e-2)

        def call(self, inputs):
            return self.activity_reg(inputs)

    layer = Outer()
    assert layer.losses == []
    layer(np.ones((2, 2), "float32"))
    assert len(layer.losses) == 1 and np.isclose(float(layer.losses[0]), 1e-2)
    layer(2 * np.ones((2, 2), "float32"))
    assert len(layer.losses) == 1 and np.isclose(float(layer.losses[0]), 2e-2)  # cleared


def test_regularization_losses_and_frozen_layers():
    class Reg(Layer):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2, kernel_regularizer=regularizers.L2(1e-3))

        def call(self, inputs):
            return self.dense(inputs)

    layer = Reg()
    layer(X)
    kernel = layer.dense.kernel.numpy()
    assert len(layer.losses) == 1
    assert np.isclose(float(layer.losses[0]), 1e-3 * np.sum(kernel**2), rtol=1e-5)
    layer.trainable = False
    assert layer.losses == []  # as Keras: only trainable weights are regularized


def test_fit_loss_includes_add_loss_from_the_latest_call():
    class Penalized(Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1, kernel_initializer="ones")
            self.reg = ActivityRegularization(0.5)

        def call(self, inputs):
            return self.reg(self.dense(inputs))

    model = Penalized()
    model.compile("sgd", "mse")
    y = np.zeros((8, 1), "float32")
    pred = X.sum(1, keepdims=True)
    expected = np.mean((pred - y) ** 2) + 0.5 * pred.mean()
    assert np.isclose(model.test_on_batch(X, y), expected, rtol=1e-5)
    assert np.isclose(model.evaluate(X, y, verbose=0), expected, rtol=1e-5)
    assert len(model.losses) == 1


# --- shapes, configs, build --------------------------------------------------------------------
def test_custom_layer_in_a_functional_model_and_compute_output_shape():
    inputs = Input((5,))
    outputs = Linear(3)(layers.Dense(4)(inputs))
    model = Model(inputs, outputs)
    assert model.outputs[0].shape == (None, 3)
    assert model.predict(X, verbose=0).shape == (8, 3)


def test_default_compute_output_shape_runs_call():
    class Doubler(Layer):
        def call(self, inputs):
            return ops.concatenate([inputs, inputs], axis=-1)

    assert Doubler().compute_output_shape((None, 5)) == (None, 10)
    assert Doubler()(Input((5,))).shape == (None, 10)


def test_get_config_and_from_config_with_extra_constructor_args():
    layer = Linear(units=7, name="lin", trainable=False)
    config = layer.get_config()
    assert config["units"] == 7 and config["name"] == "lin" and config["trainable"] is False
    clone = Linear.from_config(config)
    assert (clone.units, clone.name, clone.trainable) == (7, "lin", False)


def test_custom_layer_model_saves_and_loads_with_custom_objects(tmp_path):
    model = Sequential([Input((5,)), Linear(3, name="linear")])
    path = str(tmp_path / "custom.keras")
    model.save(path)
    loaded = numkeras.saving.load_model(path, custom_objects={"Linear": Linear})
    assert isinstance(loaded.layers[0], Linear) and loaded.layers[0].units == 3
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0))


def test_build_receives_a_list_of_shapes_for_a_list_of_inputs():
    class Pair(Layer):
        def build(self, input_shape):
            self.shapes = input_shape

        def call(self, inputs):
            return inputs[0] + inputs[1]

    pair = Pair()
    pair([X, X])
    assert pair.shapes == [(8, 5), (8, 5)]


def test_training_argument_reaches_sublayers():
    class Net(Model):
        def __init__(self):
            super().__init__()
            self.dropout = layers.Dropout(0.5)

        def call(self, inputs, training=None):
            return self.dropout(inputs, training=training)

    net, ones = Net(), np.ones((4, 100), "float32")
    assert np.array_equal(net(ones).numpy(), ones)
    assert not np.array_equal(net(ones, training=True).numpy(), ones)


# --- summary -------------------------------------------------------------------------------------
class Block(Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense_1 = layers.Dense(8, activation="relu")
        self.dense_2 = layers.Dense(4)

    def call(self, x):
        return self.dense_2(self.dense_1(x))


class Classifier(Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.block = Block()
        self.dropout = layers.Dropout(0.5)
        self.head = [layers.Dense(3, activation="relu"), layers.Dense(2)]

    def call(self, x, training=False):
        x = self.dropout(self.block(x), training=training)
        for layer in self.head:
            x = layer(x)
        return x


RULES = (
    "┏" + "━" * 38 + "┳" + "━" * 29 + "┳" + "━" * 17 + "┓",
    "┡" + "━" * 38 + "╇" + "━" * 29 + "╇" + "━" * 17 + "┩",
    "├" + "─" * 38 + "┼" + "─" * 29 + "┼" + "─" * 17 + "┤",
    "└" + "─" * 38 + "┴" + "─" * 29 + "┴" + "─" * 17 + "┘",
)


def _table(rows, total):
    """Keras 3.15's text for a subclassed model at 88 columns (checked against real Keras)."""
    lines = [
        'Model: "classifier"',
        RULES[0],
        "┃ Layer (type)                         ┃ Output Shape                ┃         Param # ┃",
        RULES[1],
    ]
    for i, (name, shape, params) in enumerate(rows):
        if i:
            lines.append(RULES[2])
        lines.append(f"│ {name:<36} │ {shape:<27} │ {params:>15} │")
    size = f"{total * 4:.2f} B"
    return "\n".join(
        lines
        + [
            RULES[3],
            f" Total params: {total} ({size})",
            f" Trainable params: {total} ({size})",
            " Non-trainable params: 0 (0.00 B)",
        ]
    )


def test_subclassed_summary_before_and_after_build_matches_keras(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    clear_session()
    model = Classifier()
    model.summary()
    unbuilt = _table(
        [
            ("block (Block)", "?", "0 (unbuilt)"),
            ("dropout (Dropout)", "?", "0"),
            ("dense_2 (Dense)", "?", "0 (unbuilt)"),
            ("dense_3 (Dense)", "?", "0 (unbuilt)"),
        ],
        0,
    )
    assert capsys.readouterr().out.rstrip("\n") == unbuilt
    model(np.ones((2, 5), "float32"))
    model.summary()
    built = _table(
        [
            ("block (Block)", "?", "84"),
            ("dropout (Dropout)", "?", "0"),
            ("dense_2 (Dense)", "(2, 3)", "15"),
            ("dense_3 (Dense)", "(2, 2)", "8"),
        ],
        107,
    )
    assert capsys.readouterr().out.rstrip("\n") == built


def test_unknown_keyword_argument_names_the_layer():
    with pytest.raises(ValueError, match="Unrecognized keyword arguments passed to Linear"):
        Linear(3, unit=4)
