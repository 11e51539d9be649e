"""The sparse softmax cross-entropy op (integer labels, no one-hot targets) that sparse
categorical cross-entropy takes for logits and softmax outputs: the one-hot op's values and
gradients bit for bit, a float64 gradient check and PyTorch's cross_entropy."""

import numpy as np
import pytest

import numkeras
from numkeras import GradientTape, ops
from numkeras.ops.layer_ops.nn_ops import (
    one_hot,
    softmax_cross_entropy,
    sparse_softmax_cross_entropy,
)
from tests.engine.gradcheck import check_grad, compare_op, rand

LABELS = np.array([[3, 0, 2], [1, 1, 4]])


@pytest.mark.parametrize("shape", [(6, 5), (2, 3, 5), (5,), (0, 5), (3, 0, 4)])
def test_matches_the_one_hot_op_bit_for_bit(shape):
    rng = np.random.default_rng(0)
    logits = numkeras.Variable((rng.standard_normal(shape) * 4).astype("float32"))
    labels = rng.integers(0, shape[-1], shape[:-1])
    r = np.asarray(rng.standard_normal(shape[:-1]), "float32")
    results = []
    for fn in (
        lambda z: sparse_softmax_cross_entropy(labels, z),
        lambda z: softmax_cross_entropy(one_hot(labels, shape[-1]), z),
    ):
        with GradientTape() as tape:
            y = fn(logits)
            loss = ops.sum(y * r)
        results.append((y.numpy(), tape.gradient(loss, logits)))
    for got, want in zip(*results):
        assert got.dtype == want.dtype == np.float32
        np.testing.assert_array_equal(got, want)


def test_gradcheck():
    check_grad(lambda z: sparse_softmax_cross_entropy(LABELS, z), rand(2, 3, 5))


@pytest.mark.oracle
def test_matches_torch(torch):
    labels = torch.tensor(LABELS[0])
    compare_op(
        [(3, 5)],
        lambda z: torch.nn.functional.cross_entropy(z, labels, reduction="none"),
        lambda z: sparse_softmax_cross_entropy(LABELS[0], z),
    )


def test_the_loss_takes_it_for_logits_and_softmax_outputs_only():
    labels = np.array([2, 0])
    logits = ops.convert_to_tensor(np.array([[1.0, 2.0, 3.0], [0.5, 0.1, 0.2]], "float32"))
    assert ops.sparse_categorical_crossentropy(labels, logits, from_logits=True).op == (
        "sparse_softmax_cross_entropy"
    )
    assert ops.sparse_categorical_crossentropy(labels, ops.softmax(logits)).op == (
        "sparse_softmax_cross_entropy"
    )
    probabilities = logits / ops.sum(logits, axis=-1, keepdims=True)  # not a softmax: clipped
    assert ops.sparse_categorical_crossentropy(labels, probabilities).op != (
        "sparse_softmax_cross_entropy"
    )
