"""Optimizer slots are found by their variable's path, so a variable rebuilt with the same path
keeps its moments; variables that share a path (unnamed ones) are told apart by identity."""

import copy
import pickle

import numpy as np
import pytest

import numkeras
from numkeras import layers

X, Y = np.ones((4, 3), "float32"), np.zeros((4, 2), "float32")


def trained_model():
    numkeras.utils.set_random_seed(0)
    model = numkeras.Sequential([numkeras.Input((3,)), layers.Dense(2, name="d")])
    model.compile("adam", "mse")
    model.fit(X, Y, verbose=0)
    return model


def test_a_variable_with_the_same_path_finds_the_slots():
    model = trained_model()
    optimizer = model.optimizer
    rebuilt = numkeras.Variable(np.zeros((3, 2), "float32"), name="kernel")
    rebuilt.path = model.layers[0].kernel.path  # "sequential/d/kernel", as Keras names it
    assert optimizer._get_variable_index(rebuilt) == 0
    stranger = numkeras.Variable(np.zeros((3, 2), "float32"), name="other")
    with pytest.raises(ValueError, match="Unknown variable"):
        optimizer.apply([np.ones((3, 2), "float32")], [stranger])


@pytest.mark.parametrize("copier", [copy.deepcopy, lambda m: pickle.loads(pickle.dumps(m))])
def test_copies_train_on_exactly_as_the_original(copier):
    model = trained_model()
    twin = copier(model)
    model.fit(X, Y, verbose=0)
    twin.fit(X, Y, verbose=0)
    for a, b in zip(
        model.optimizer.variables + model.weights, twin.optimizer.variables + twin.weights
    ):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_unnamed_variables_sharing_a_path_keep_their_own_slots():
    a, b = numkeras.Variable([1.0]), numkeras.Variable([2.0])
    assert a.path == b.path
    sgd = numkeras.optimizers.SGD(0.1, momentum=0.9)
    for _ in range(2):
        sgd.apply([np.ones(1, "float32"), 2 * np.ones(1, "float32")], [a, b])
    # momentum 0.9: steps of 0.1 then 0.19 for a gradient of 1 (twice that for 2)
    np.testing.assert_allclose(a.numpy(), [1.0 - 0.1 - 0.19], rtol=1e-6)
    np.testing.assert_allclose(b.numpy(), [2.0 - 0.2 - 0.38], rtol=1e-6)
