"""keras.StatelessScope, keras.SymbolicScope, keras.name_scope and keras.device, checked
against real Keras (torch backend) where Keras gives a value to compare."""

import numpy as np
import pytest

import numkeras
from numkeras.stateless_scope import in_stateless_scope, in_symbolic_scope


def _np(value):
    value = value.detach() if hasattr(value, "detach") else value
    return np.asarray(value.numpy() if hasattr(value, "numpy") else value)


def test_stateless_scope_reads_mapped_values_and_keeps_assignments_out(keras):
    ours, theirs = numkeras.Variable(1.0), keras.Variable(1.0)
    other = numkeras.Variable([5.0, 6.0])
    with numkeras.StatelessScope([(ours, 2.0)]) as scope:
        assert in_stateless_scope()
        assert float(ours.numpy()) == 2.0
        ours.assign(ours + 1.0)
        other.assign([7.0, 8.0])  # not mapped: its update is collected too
    with keras.StatelessScope([(theirs, 2.0)]) as their_scope:
        theirs.assign(theirs + 1.0)
    assert not in_stateless_scope()
    assert float(ours.numpy()) == float(_np(theirs.value)) == 1.0
    assert float(_np(scope.get_current_value(ours))) == float(
        _np(their_scope.get_current_value(theirs))
    )
    np.testing.assert_array_equal(other.numpy(), [5.0, 6.0])
    np.testing.assert_array_equal(_np(scope.get_current_value(other)), [7.0, 8.0])
    assert scope.get_current_value(numkeras.Variable(0.0)) is None


def test_stateless_scope_rejects_bad_mappings_with_keras_messages(keras):
    for lib in (numkeras, keras):
        with pytest.raises(ValueError, match="all keys in argument `mapping` must be Variable"):
            lib.StatelessScope([(1, 2.0)])
        with pytest.raises(ValueError, match="must be tensors with a shape that matches"):
            lib.StatelessScope([(lib.Variable(1.0), np.ones(3))])


def test_stateless_scope_collects_layer_losses_and_restores_on_error():
    layer = numkeras.layers.Dense(2, activity_regularizer="l2")
    layer.build((None, 3))
    before = layer.get_weights()
    with numkeras.StatelessScope(collect_losses=True) as scope:
        layer(np.ones((2, 3), "float32"))
    assert len(scope.losses) == 1 and layer.losses == []
    with pytest.raises(RuntimeError):
        with numkeras.StatelessScope([(layer.kernel, np.zeros((3, 2)))]):
            layer.bias.assign([1.0, 1.0])
            raise RuntimeError("boom")
    for a, b in zip(layer.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_symbolic_scope_is_a_flag():
    assert not in_symbolic_scope()
    with numkeras.SymbolicScope():
        assert in_symbolic_scope()
    assert not in_symbolic_scope()


def test_name_scope_prefixes_variable_and_layer_paths(keras):
    for lib in (numkeras, keras):
        with lib.name_scope("outer"):
            with lib.name_scope("inner"):
                v = lib.Variable(1.0, name="w")
                dense = lib.layers.Dense(2, name="d")
                dense.build((None, 3))
        assert v.path == "outer/inner/w"
        assert dense.path == "outer/inner/d" and dense.kernel.path == "outer/inner/d/kernel"
    for bad in ("a/b", 3):
        for lib in (numkeras, keras):
            with pytest.raises(ValueError, match="Argument `name` must be a string"):
                lib.name_scope(bad)


def test_device_accepts_the_cpu_only(keras):
    with numkeras.device("CPU:0") as name:
        assert name == "cpu:0" and numkeras.backend.device.get_device() == "cpu:0"
    with numkeras.device("cpu"):
        assert float(numkeras.ops.sum(np.ones(3)).numpy()) == 3.0
    with pytest.raises(ValueError, match="CPU only"):
        with numkeras.device("gpu:0"):
            pass
    for lib in (numkeras, keras):
        with pytest.raises(ValueError, match="Expected a string like 'gpu:0' or 'cpu'"):
            with lib.device(3):
                pass
