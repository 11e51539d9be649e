"""A train step walks each layer's tracked items once (layer.fixed_structure); changes to the
layer tree made during a step, or between steps, are still seen."""

import numpy as np

import numkeras
from numkeras import layers
from numkeras.layers import layer as layer_lib


def _data(n=8):
    rng = np.random.default_rng(0)
    return rng.random((n, 3), dtype="float32"), rng.random((n, 2), dtype="float32")


def test_walks_are_memoized_inside_the_span_and_forgotten_on_change():
    dense = layers.Dense(2)
    dense.build((None, 3))
    with layer_lib.fixed_structure():
        first = dense._tracked_items()
        assert dense._tracked_items() is first  # walked once
        extra = dense.add_weight(shape=(1,), name="extra")
        assert dense._tracked_items() is not first  # add_weight forgot the walk
        assert any(v is extra for v in dense.trainable_weights)
        dense.sub = layers.Dense(1)
        assert any(s is dense.sub for s in dense._layers)  # setattr forgot it too
        del dense.sub
        assert dense._layers == []  # and delattr
    assert layer_lib._memo() is None


def test_spans_nest_and_end_with_the_outermost():
    with layer_lib.fixed_structure():
        memo = layer_lib._memo()
        with layer_lib.fixed_structure():
            assert layer_lib._memo() is memo
        assert layer_lib._memo() is memo
    assert layer_lib._memo() is None


class _GrowsInStep(numkeras.Model):
    """Adds a trainable weight in its first training-time `compute_loss`, inside the step."""

    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(2)

    def call(self, x):
        return self.dense(x)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        loss = super().compute_loss(x, y, y_pred, sample_weight, training)
        if training and not hasattr(self, "scale"):
            _ = self.trainable_weights  # walked (memoized) before the change
            self.scale = self.add_weight(shape=(), initializer="ones", name="scale")
        return loss + self.scale * 0.0 if hasattr(self, "scale") else loss


def test_a_weight_added_during_a_step_is_trained_in_that_step():
    model = _GrowsInStep()
    model.compile(optimizer="sgd", loss="mse")
    x, y = _data()
    model.train_on_batch(x, y)
    assert any(v is model.scale for v in model.trainable_weights)
    assert len(model.optimizer.variables) > 1


def test_freezing_between_steps_stops_training_and_unfreezing_resumes():
    numkeras.utils.set_random_seed(1)
    model = numkeras.Sequential([numkeras.Input((3,)), layers.Dense(4), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = _data()
    model.train_on_batch(x, y)
    model.layers[0].trainable = False
    frozen = model.layers[0].kernel.numpy().copy()
    other = model.layers[1].kernel.numpy().copy()
    model.compile(optimizer="sgd", loss="mse")  # Keras: recompile after freezing
    model.train_on_batch(x, y)
    np.testing.assert_array_equal(model.layers[0].kernel.numpy(), frozen)
    assert not np.array_equal(model.layers[1].kernel.numpy(), other)
    model.layers[0].trainable = True
    model.compile(optimizer="sgd", loss="mse")
    model.train_on_batch(x, y)
    assert not np.array_equal(model.layers[0].kernel.numpy(), frozen)


def test_a_variable_frozen_between_steps_is_left_alone():
    model = numkeras.Sequential([numkeras.Input((3,)), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = _data()
    model.train_on_batch(x, y)
    model.layers[0].bias.trainable = False
    bias = model.layers[0].bias.numpy().copy()
    assert len(model.trainable_weights) == 1
    model.compile(optimizer="sgd", loss="mse")
    model.train_on_batch(x, y)
    np.testing.assert_array_equal(model.layers[0].bias.numpy(), bias)


def test_a_layer_added_to_a_subclassed_model_between_fits_is_trained():
    class Growing(numkeras.Model):
        def __init__(self):
            super().__init__()
            self.blocks = [layers.Dense(2)]

        def call(self, x):
            for block in self.blocks:
                x = block(x)
            return x

    model = Growing()
    model.compile(optimizer="sgd", loss="mse")
    x, y = _data()
    model.fit(x, y, epochs=1, verbose=0)
    model.blocks.append(layers.Dense(2))  # a list attribute mutated: not through setattr
    model.blocks[1].build((None, 2))
    assert any(v is model.blocks[1].kernel for v in model.trainable_weights)
    start = model.blocks[1].kernel.numpy().copy()
    model.compile(optimizer="sgd", loss="mse")  # a new optimizer for the new variables
    model.fit(x, y, epochs=1, verbose=0)
    assert not np.array_equal(model.blocks[1].kernel.numpy(), start)


def test_metrics_and_losses_read_in_a_step_match_the_unmemoized_walk():
    model = numkeras.Sequential(
        [numkeras.Input((3,)), layers.Dense(4, kernel_regularizer="l2"), layers.Dense(2)]
    )
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    x, y = _data()
    model.train_on_batch(x, y)
    with layer_lib.fixed_structure():
        inside = ([id(m) for m in model.metrics], len(model.losses), model.trainable_weights)
    outside = ([id(m) for m in model.metrics], len(model.losses), model.trainable_weights)
    assert inside[0] == outside[0] and inside[1] == outside[1] == 1
    assert all(a is b for a, b in zip(inside[2], outside[2]))


def test_weights_losses_and_metrics_walks_keep_order_and_a_subclass_list():
    class Pick(layer_lib.Layer):  # a layer choosing its own trainable list
        def build(self, input_shape):
            self.a = self.add_weight(shape=(1,), name="a")
            self.b = self.add_weight(shape=(1,), name="b")

        @property
        def trainable_weights(self):
            return [self.b]

        @property
        def losses(self):
            return ["pick's loss"]

        @property
        def metrics(self):
            return ["pick's metric"]

    class Outer(layer_lib.Layer):
        def __init__(self):
            super().__init__()
            self.shared, self.pick, self.frozen = layers.Dense(2), Pick(), layers.Dense(1)
            self.again = [self.shared]  # the same layer tracked twice
            self.mean = numkeras.metrics.Mean()

    outer = Outer()
    outer.shared.build((None, 3))
    outer.pick.build(None)
    outer.frozen.build((None, 2))
    outer.frozen.trainable = False
    own = outer.add_weight(shape=(1,), name="own")
    outer.add_weight(shape=(1,), name="fixed", trainable=False)
    want = [own, outer.shared.kernel, outer.shared.bias, outer.pick.b]
    outer.add_loss(np.float32(1.0))
    for _ in range(2):
        got = outer.trainable_weights
        assert len(got) == len(want) and all(g is w for g, w in zip(got, want))
        assert outer.losses[1:] == ["pick's loss"] and float(outer.losses[0]) == 1.0
        assert outer.metrics == [outer.mean, "pick's metric"]
        with layer_lib.fixed_structure():
            pass
