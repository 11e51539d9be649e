"""keras.Function: a graph of ops and layers between KerasTensors, rerun on new values;
checked against Keras's Function on the same graph and weights."""

import numpy as np
import pytest

import numkeras
from numkeras import ops


def _np(value):
    value = value.detach() if hasattr(value, "detach") else value
    return np.asarray(value.numpy() if hasattr(value, "numpy") else value)


def _graph(lib, dense_weights=None):
    a = lib.KerasTensor((None, 3), name="a")
    b = lib.KerasTensor((None, 3), name="b")
    dense = lib.layers.Dense(2)
    x = lib.ops.sigmoid(a * b + 1.0)
    out = {"dense": dense(x), "sum": lib.ops.sum(x, axis=-1)}
    if dense_weights is not None:
        dense.set_weights(dense_weights)
    return lib.Function([a, b], out, name="fn"), dense


def test_function_computes_what_keras_computes(keras):
    theirs, their_dense = _graph(keras)
    ours, _ = _graph(numkeras, [_np(w) for w in their_dense.weights])
    rng = np.random.default_rng(0)
    xa, xb = (rng.normal(size=(4, 3)).astype("float32") for _ in range(2))
    got, want = ours([xa, xb]), theirs([xa, xb])
    assert set(got) == set(want) == {"dense", "sum"}
    for key in want:
        np.testing.assert_allclose(_np(got[key]), _np(want[key]), rtol=1e-5, atol=1e-6)
    assert [type(op).__name__ for op in ours.operations][-1] in ("Dense", "Sum", "sum")
    assert len(ours.inputs) == 2 and len(ours.outputs) == 2 and ours.name == "fn"
    shapes = ours.compute_output_shape([(None, 3), (None, 3)])
    their_shapes = theirs.compute_output_shape([(None, 3), (None, 3)])
    assert {k: tuple(v) for k, v in shapes.items()} == {
        k: tuple(v) for k, v in their_shapes.items()
    }


def test_function_is_callable_symbolically_and_on_inputs():
    inputs = numkeras.Input((3,))
    fn = numkeras.Function(inputs, ops.relu(inputs))
    np.testing.assert_array_equal(fn(np.array([[-1.0, 0.0, 2.0]])).numpy(), [[0.0, 0.0, 2.0]])
    out = fn(numkeras.Input((3,)))
    assert isinstance(out, numkeras.KerasTensor) and out.shape == (None, 3)


def test_function_errors_as_keras(keras):
    for lib in (numkeras, keras):
        a = lib.KerasTensor((None, 3), name="a")
        fn = lib.Function(a, lib.ops.exp(a))
        with pytest.raises(ValueError, match="was passed incompatible inputs. For input 'a'"):
            fn(np.ones((2, 4), "float32"))
        with pytest.raises(ValueError, match="`inputs` argument cannot be empty"):
            lib.Function([], lib.ops.exp(a))
    a, c = numkeras.KerasTensor((None, 3)), numkeras.KerasTensor((None, 3))
    with pytest.raises(ValueError, match="not connected to `inputs`"):
        numkeras.Function(a, ops.add(a, c))
