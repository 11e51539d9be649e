"""keras.InputSpec: the same checks and error messages as Keras's, on real layers and on a
custom layer that sets its own spec."""

import numpy as np
import pytest

import numkeras


def _spec_layer(lib, **spec):
    class Checked(lib.layers.Layer):
        def __init__(self):
            super().__init__(name="checked")
            self.input_spec = lib.InputSpec(**spec)

        def call(self, x):
            return x

    return Checked()


def _message(layer, x):
    with pytest.raises(ValueError) as err:
        layer(x)
    return str(err.value)


CASES = [
    ({"ndim": 3}, np.ones((2, 3), "float32")),
    ({"min_ndim": 3}, np.ones((2, 3), "float32")),
    ({"max_ndim": 2}, np.ones((2, 3, 1), "float32")),
    ({"axes": {-1: 4}}, np.ones((2, 3), "float32")),
    ({"shape": (None, 4)}, np.ones((2, 3), "float32")),
    ({"dtype": "int32"}, np.ones((2, 3), "float32")),
]


@pytest.mark.parametrize("spec, x", CASES)
def test_custom_layer_spec_errors_match_keras(keras, spec, x):
    assert _message(_spec_layer(numkeras, **spec), x) == _message(_spec_layer(keras, **spec), x)


def test_spec_accepts_what_keras_accepts(keras):
    x = np.ones((2, 3, 1), "float32")
    for lib in (numkeras, keras):
        layer = _spec_layer(lib, shape=(None, 3), allow_last_axis_squeeze=True)
        assert tuple(layer(x).shape) == (2, 3, 1)
        assert tuple(_spec_layer(lib, axes={-1: None}, ndim=3)(x).shape) == (2, 3, 1)


def test_dense_input_check_matches_keras(keras):
    ours, theirs = numkeras.layers.Dense(2, name="dd"), keras.layers.Dense(2, name="dd")
    for layer in (ours, theirs):
        layer.build((None, 3))
    x = np.ones((2, 4), "float32")
    assert _message(ours, x) == _message(theirs, x)


def test_spec_object_as_keras(keras):
    for kwargs in ({"ndim": 2, "axes": {-1: 3}}, {"shape": (None, 3)}, {"min_ndim": 2}):
        ours, theirs = numkeras.InputSpec(**kwargs), keras.InputSpec(**kwargs)
        assert repr(ours) == repr(theirs)
        assert ours.get_config() == theirs.get_config()
        assert numkeras.InputSpec.from_config(ours.get_config()).get_config() == ours.get_config()
    for lib in (numkeras, keras):
        with pytest.raises(ValueError, match="Axis 3 is greater than the maximum allowed value"):
            lib.InputSpec(ndim=2, axes={3: 1})
        with pytest.raises(TypeError, match="Argument `axes` must be a dict with integer keys"):
            lib.InputSpec(axes={"a": 1})


def test_named_specs_name_the_missing_inputs(keras):
    messages = []
    for lib in (numkeras, keras):
        layer = lib.layers.Layer(name="pair")
        layer.input_spec = [lib.InputSpec(ndim=2, name="a"), lib.InputSpec(name="b")]
        with pytest.raises(ValueError) as err:
            layer([np.ones((2, 3), "float32")])
        messages.append(str(err.value))
    assert messages[0] == messages[1]
