"""The stateless metric API and Metric.add_weight/add_variable, against real Keras."""

import os

import numpy as np
import pytest

from numkeras import metrics, ops

Y_TRUE = np.array([0, 1, 2, 1])
Y_PRED = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.2, 0.2, 0.6], [0.3, 0.6, 0.1]], "float32")


def _keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    return pytest.importorskip("keras")


def _np(values):
    return [np.asarray(ops.convert_to_numpy(v)) for v in values]


def test_stateless_update_result_reset_match_keras_and_leave_state_alone():
    keras = _keras()
    ours, theirs = metrics.SparseCategoricalAccuracy(), keras.metrics.SparseCategoricalAccuracy()
    ours.update_state(Y_TRUE[:2], Y_PRED[:2])
    theirs.update_state(Y_TRUE[:2], Y_PRED[:2])
    before = _np(ours.variables)
    state = ours.stateless_update_state(ours.variables, Y_TRUE, Y_PRED)
    their_state = theirs.stateless_update_state(theirs.variables, Y_TRUE, Y_PRED)
    for a, b in zip(_np(state), [keras.ops.convert_to_numpy(v) for v in their_state]):
        np.testing.assert_allclose(a, b)
    for a, b in zip(_np(ours.variables), before):
        np.testing.assert_array_equal(a, b)  # the metric's own state did not move
    assert float(ours.stateless_result(state)) == pytest.approx(
        float(keras.ops.convert_to_numpy(theirs.stateless_result(their_state)))
    )
    assert float(ours.result()) == pytest.approx(float(theirs.result()))
    zeros = ours.stateless_reset_state()
    assert all(not a.any() for a in _np(zeros)) and _np(ours.variables)[0] > 0
    with pytest.raises(ValueError, match="corresponding 1:1"):
        ours.stateless_result(state[:1])


def test_add_weight_defaults_to_a_zero_scalar_and_add_variable_takes_initializers():
    keras = _keras()

    class Count(metrics.Metric):
        def __init__(self):
            super().__init__(name="count")
            self.n = self.add_weight(name="n")
            self.t = self.add_variable((2,), "ones", name="t")

        def update_state(self, x):
            self.n.assign(self.n.numpy() + 1)

        def result(self):
            return self.n.numpy()

    class KerasCount(keras.metrics.Metric):
        def __init__(self):
            super().__init__(name="count")
            self.n = self.add_weight(initializer="zeros", name="n")
            self.t = self.add_variable((2,), "ones", name="t")

        def update_state(self, x):
            self.n.assign(self.n + 1)

        def result(self):
            return self.n

    ours, theirs = Count(), KerasCount()
    for a, b in zip(ours.variables, theirs.variables):
        assert a.shape == tuple(b.shape) and a.dtype == b.dtype and a.path == b.path
        assert (a.aggregation, a.synchronization, a.trainable) == (
            b.aggregation,
            b.synchronization,
            b.trainable,
        )
        np.testing.assert_array_equal(a.numpy(), keras.ops.convert_to_numpy(b))
    assert ours.dtype == theirs.dtype == "float32"
    assert [float(v) for v in _np(ours.stateless_update_state(ours.variables, 0))[:1]] == [1.0]
