"""New losses against real Keras (torch backend): values, sample weights, gradients, config."""

import numpy as np
import pytest

import numkeras
from numkeras import losses, ops

keras = pytest.importorskip("keras")
torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

RNG = np.random.default_rng(5)
B = 6


def _unit_rows(x):
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype("float32")


SEG_TRUE = RNG.integers(0, 2, (B, 5, 5, 1)).astype("float32")
SEG_PRED = RNG.uniform(0.01, 0.99, (B, 5, 5, 1)).astype("float32")
CTC_TRUE = np.array(
    [[1, 2, 2, 0], [3, 1, 0, 0], [2, 0, 0, 0], [1, 2, 3, 1], [4, 4, 0, 0], [0, 0, 0, 0]], "int32"
)
CTC_PRED = RNG.normal(size=(B, 9, 5)).astype("float32")
LABELS = np.array([0, 1, 0, 2, 1, 3])
EMBED = _unit_rows(RNG.normal(size=(B, 4)))
PROBS = RNG.dirichlet(np.ones(4), B).astype("float32")
WEIGHTS = RNG.uniform(0.2, 2.0, B).astype("float32")

CASES = [  # (class name, kwargs, y_true, y_pred)
    ("Dice", {}, SEG_TRUE, SEG_PRED),
    ("Dice", {"axis": (1, 2, 3)}, SEG_TRUE, SEG_PRED),
    ("Tversky", {"alpha": 0.3, "beta": 0.7}, SEG_TRUE, SEG_PRED),
    ("Tversky", {"axis": (1, 2), "reduction": "sum"}, SEG_TRUE, SEG_PRED),
    ("Circle", {}, LABELS, EMBED),
    ("Circle", {"gamma": 10.0, "margin": 0.25, "remove_diagonal": False}, LABELS, EMBED),
    ("CTC", {}, CTC_TRUE, CTC_PRED),
    ("CTC", {"reduction": "sum"}, CTC_TRUE, CTC_PRED),
    ("CategoricalGeneralizedCrossEntropy", {}, LABELS, PROBS),
    ("CategoricalGeneralizedCrossEntropy", {"q": 0.8}, LABELS, PROBS),
]


def _ours(loss, y_true, y_pred, sample_weight):
    x = numkeras.Variable(y_pred)
    with numkeras.GradientTape() as tape:
        value = loss(y_true, x, sample_weight=sample_weight)
    return ops.convert_to_numpy(value), tape.gradient(value, x)


def _keras(loss, y_true, y_pred, sample_weight):
    x = torch.tensor(y_pred, requires_grad=True)
    value = loss(torch.tensor(y_true), x, sample_weight=sample_weight)
    value.backward()
    return value.detach().numpy(), x.grad.numpy()


def _ids(case):
    return f"{case[0]}-{'-'.join(map(str, case[1].values()))}"


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_value_and_gradient_match_keras(case, weighted):
    name, kwargs, y_true, y_pred = case
    weights = (
        WEIGHTS
        if weighted and name not in ("Dice", "Tversky") or (weighted and kwargs.get("axis"))
        else None
    )
    ours = getattr(losses, name)(**kwargs)
    theirs = getattr(keras.losses, name)(**kwargs)
    value, grad = _ours(ours, y_true, y_pred, weights)
    expected, expected_grad = _keras(theirs, y_true, y_pred, weights)
    np.testing.assert_allclose(value, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-4, atol=1e-6)
    assert ours.get_config() == theirs.get_config()
    clone = losses.deserialize(keras.losses.serialize(theirs))
    assert type(clone) is type(ours)
    np.testing.assert_allclose(
        ops.convert_to_numpy(clone(y_true, y_pred, weights)), expected, rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize(
    "name, cls, y_true, y_pred, kwargs",
    [
        ("dice", "Dice", SEG_TRUE, SEG_PRED, {"axis": (1, 2, 3)}),
        ("tversky", "Tversky", SEG_TRUE, SEG_PRED, {"alpha": 0.2, "beta": 0.8, "axis": (1, 2, 3)}),
        ("circle", "Circle", LABELS, EMBED, {}),
        ("ctc", "CTC", CTC_TRUE, CTC_PRED, {}),
        (
            "categorical_generalized_cross_entropy",
            "CategoricalGeneralizedCrossEntropy",
            LABELS,
            PROBS,
            {"q": 0.3},
        ),
    ],
)
def test_function_forms_match_keras(name, cls, y_true, y_pred, kwargs):
    ours = getattr(losses, name)(y_true, y_pred, **kwargs)
    theirs = getattr(keras.losses, name)(torch.tensor(y_true), torch.tensor(y_pred), **kwargs)
    np.testing.assert_allclose(ops.convert_to_numpy(ours), theirs.numpy(), rtol=1e-5, atol=1e-5)
    # get() by function or class name gives the Loss (Keras gives the bare function)
    assert type(losses.get(name)).__name__ == type(losses.get(cls)).__name__ == cls


def test_bad_inputs_are_rejected():
    with pytest.raises(ValueError, match="q must be in the interval"):
        losses.CategoricalGeneralizedCrossEntropy(q=1.5)
    with pytest.raises(ValueError, match=r"\(batch_size, max_length\)"):
        losses.ctc(np.zeros(3), CTC_PRED)
    with pytest.raises(ValueError, match="num_classes"):
        losses.ctc(CTC_TRUE, CTC_PRED[0])
