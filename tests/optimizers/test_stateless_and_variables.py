"""Optimizer.stateless_apply and Variable's constraint/regularizer/trainable/aggregation
semantics, against real Keras."""

import os

import numpy as np
import pytest

import numkeras as nk
from numkeras import optimizers

W = np.array([[0.5, -1.0], [2.0, 0.25]], "float32")
G = [
    np.array([[0.1, -0.2], [0.3, 0.05]], "float32"),
    np.array([[-0.4, 0.2], [0.1, 0.3]], "float32"),
]


def _keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    return pytest.importorskip("keras")


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_stateless_apply_matches_keras_and_leaves_variables_alone(name):
    keras = _keras()
    ours_v, theirs_v = nk.Variable(W), keras.Variable(W)
    ours, theirs = getattr(optimizers, name)(0.1), getattr(keras.optimizers, name)(0.1)
    ours.build([ours_v])
    theirs.build([theirs_v])
    ours_state, theirs_state = ours.variables, theirs.variables
    ours_train, theirs_train = [ours_v], [theirs_v]
    for g in G:
        ours_train, ours_state = ours.stateless_apply(ours_state, [g], ours_train)
        theirs_train, theirs_state = theirs.stateless_apply(
            theirs_state, [keras.ops.convert_to_tensor(g)], theirs_train
        )
    np.testing.assert_allclose(
        nk.ops.convert_to_numpy(ours_train[0]),
        keras.ops.convert_to_numpy(theirs_train[0]),
        rtol=1e-6,
    )
    for a, b in zip(ours_state, theirs_state):
        np.testing.assert_allclose(
            nk.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b), rtol=1e-6
        )
    np.testing.assert_array_equal(ours_v.numpy(), W)
    assert int(ours.iterations.numpy()) == 0


def test_stateless_apply_errors():
    opt = optimizers.SGD()
    with pytest.raises(ValueError, match="must be built"):
        opt.stateless_apply([], G[:1], [nk.Variable(W)])
    opt.build([nk.Variable(W)])
    with pytest.raises(ValueError, match="corresponding 1:1"):
        opt.stateless_apply([], G[:1], [W])


def test_variable_attributes_as_keras():
    keras = _keras()
    ours, theirs = nk.Variable(W), keras.Variable(W)
    for attr in (
        "aggregation",
        "synchronization",
        "trainable",
        "constraint",
        "regularizer",
        "overwrite_with_gradient",
    ):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    ours.trainable = 0
    assert ours.trainable is False
    for attr in ("constraint", "regularizer"):
        with pytest.raises(ValueError, match=f"Invalid value for attribute `{attr}`"):
            setattr(ours, attr, 3)
        with pytest.raises(ValueError, match=f"Invalid value for attribute `{attr}`"):
            setattr(theirs, attr, 3)
    with pytest.raises(TypeError, match="must be a boolean"):
        ours.overwrite_with_gradient = 1
    for kwargs in ({"aggregation": "max"}, {"synchronization": "never"}):
        with pytest.raises(ValueError, match="Invalid value for argument"):
            nk.Variable(W, **kwargs)
        with pytest.raises(ValueError, match="Invalid value for argument"):
            keras.Variable(W, **kwargs)


def test_constraint_and_overwrite_with_gradient_in_apply_match_keras():
    keras = _keras()
    ours = [nk.Variable(W), nk.Variable(W)]
    theirs = [keras.Variable(W), keras.Variable(W)]
    ours[0].constraint = nk.constraints.NonNeg()
    theirs[0].constraint = keras.constraints.NonNeg()
    ours[1].overwrite_with_gradient = theirs[1].overwrite_with_gradient = True
    nk_opt, k_opt = optimizers.SGD(0.5), keras.optimizers.SGD(0.5)
    nk_opt.apply(G, ours)
    k_opt.apply([keras.ops.convert_to_tensor(g) for g in G], theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.numpy(), keras.ops.convert_to_numpy(b), rtol=1e-6)
    np.testing.assert_array_equal(ours[1].numpy(), G[1])
