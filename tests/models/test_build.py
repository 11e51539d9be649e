"""Build semantics as Keras's: `layer.build(shape)` called directly leaves the layer built,
`model.build(shape)` for Sequential and subclassed models, and `get_build_config` /
`build_from_config`. Checked against real Keras (torch backend)."""

import os
import warnings

import numpy as np
import pytest

import numkeras


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    return pytest.importorskip("keras")


def test_direct_build_marks_built(keras):
    for K in (numkeras, keras):
        conv = K.layers.Conv2D(4, 3)
        conv.build((None, 8, 8, 1))
        assert conv.built and len(conv.weights) == 2
        assert conv.get_build_config() == {"input_shape": (None, 8, 8, 1)}
        kernel = np.array(
            conv.weights[0].numpy() if hasattr(conv.weights[0], "numpy") else conv.weights[0]
        )
        conv(np.zeros((1, 8, 8, 1), "float32"))
        assert len(conv.weights) == 2  # not built again
        np.testing.assert_array_equal(np.asarray(conv.weights[0].numpy()), kernel)


def test_custom_layer_build_marks_built():
    class Scale(numkeras.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

        def call(self, x):
            return x * self.w

    layer = Scale()
    layer.build((None, 3))
    assert layer.built and layer.get_build_config() == {"input_shape": (None, 3)}
    layer(np.ones((2, 3), "float32"))
    assert len(layer.weights) == 1


def subclassed(K):
    class Net(K.Model):
        def __init__(self):
            super().__init__()
            self.d = K.layers.Dense(3)

        def call(self, x):
            return self.d(x)

    return Net()


def test_model_build_on_subclassed_and_sequential(keras):
    for K in (numkeras, keras):
        model = subclassed(K)
        with pytest.warns(UserWarning, match="does not have a `build\\(\\)` method"):
            model.build((None, 4))
        assert model.built and len(model.weights) == 0  # as Keras: sublayers build at the call
        assert model.get_build_config() == {"input_shape": (None, 4)}
        model(np.ones((2, 4), "float32"))
        assert len(model.weights) == 2
        seq = K.Sequential([K.layers.Dense(2)])
        seq.build((None, 5))
        assert seq.built and len(seq.weights) == 2 and seq.output_shape == (None, 2)
        assert seq.get_build_config() == {"input_shape": (None, 5)}


def test_first_call_of_a_subclassed_model_does_not_warn():
    model = subclassed(numkeras)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model(np.ones((2, 4), "float32"))


def test_build_from_config(keras):
    for K in (numkeras, keras):
        dense = K.layers.Dense(2)
        dense.build_from_config({"input_shape": [None, 6]})
        assert dense.built and tuple(dense.kernel.shape) == (6, 2)
        copy = K.layers.Dense.from_config(dense.get_config())
        copy.build_from_config(dense.get_build_config())
        assert tuple(copy.kernel.shape) == (6, 2)
