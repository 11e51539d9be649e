"""Losses: Keras's formulas as golden values, reductions, weights, gradients, torch and Keras."""

import numpy as np
import pytest

import numkeras
from numkeras import losses, ops

EPS = 1e-7
RNG = np.random.default_rng(0)
N, C = 6, 4


def softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


LOGITS = RNG.normal(size=(N, C))
PROBS = softmax(LOGITS)
LABELS = np.array([0, 3, 1, 2, 3, 0])
ONEHOT = np.eye(C)[LABELS]
BIN_TRUE = np.array([[0.0], [1.0], [1.0], [0.0], [1.0], [0.0]])
BIN_LOGITS = RNG.normal(size=(N, 1))
BIN_PROBS = sigmoid(BIN_LOGITS)
REG_TRUE = RNG.normal(size=(N, 3))
REG_PRED = REG_TRUE + RNG.choice([-1.0, 1.0], size=(N, 3)) * RNG.uniform(0.2, 1.8, size=(N, 3))
POS_TRUE = RNG.uniform(0.2, 2.0, size=(N, 3))
POS_PRED = RNG.uniform(0.2, 2.0, size=(N, 3))
WEIGHTS = RNG.uniform(0.5, 2.0, size=N)


# --- NumPy transcriptions of Keras 3's formulas (keras/src/losses/losses.py) ------------------
def ref_cce(t, p):
    p = np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS)
    return -(t * np.log(p)).sum(-1)


def ref_cce_logits(t, z):
    return -(t * np.log(softmax(z))).sum(-1)


def ref_bce(t, p):
    p = np.clip(p, EPS, 1 - EPS)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p)).mean(-1)


def ref_binary_focal(t, p, gamma=2.0, alpha=None):
    pc = np.clip(p, EPS, 1 - EPS)
    bce = -(t * np.log(pc) + (1 - t) * np.log(1 - pc))
    p_t = t * p + (1 - t) * (1 - p)
    focal = (1 - p_t) ** gamma * bce
    if alpha is not None:
        focal = (t * alpha + (1 - t) * (1 - alpha)) * focal
    return focal.mean(-1)


def ref_categorical_focal(t, p, alpha=0.25, gamma=2.0):
    p = np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS)
    return (alpha * (1 - p) ** gamma * -t * np.log(p)).sum(-1)


def ref_huber(t, p, delta=1.0):
    e = np.abs(p - t)
    return np.where(e <= delta, 0.5 * e**2, delta * e - 0.5 * delta**2).mean(-1)


def ref_hinge(t, p):
    t = 2 * t - 1 if np.all((t == 0) | (t == 1)) else t
    return np.maximum(1 - t * p, 0).mean(-1)


def ref_cosine(t, p):
    def unit(x):
        return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), EPS)

    return -(unit(t) * unit(p)).sum(-1)


REFERENCE_CASES = [  # (class, kwargs, y_true, y_pred, expected per-sample values)
    ("CategoricalCrossentropy", {}, ONEHOT, PROBS, ref_cce(ONEHOT, PROBS)),
    (
        "CategoricalCrossentropy",
        {"from_logits": True},
        ONEHOT,
        LOGITS,
        ref_cce_logits(ONEHOT, LOGITS),
    ),
    (
        "CategoricalCrossentropy",
        {"label_smoothing": 0.2},
        ONEHOT,
        PROBS,
        ref_cce(ONEHOT * 0.8 + 0.2 / C, PROBS),
    ),
    ("SparseCategoricalCrossentropy", {}, LABELS, PROBS, ref_cce(ONEHOT, PROBS)),
    ("SparseCategoricalCrossentropy", {}, LABELS[:, None], PROBS, ref_cce(ONEHOT, PROBS)),
    (
        "SparseCategoricalCrossentropy",
        {"from_logits": True},
        LABELS,
        LOGITS,
        ref_cce_logits(ONEHOT, LOGITS),
    ),
    ("BinaryCrossentropy", {}, BIN_TRUE, BIN_PROBS, ref_bce(BIN_TRUE, BIN_PROBS)),
    ("BinaryCrossentropy", {}, BIN_TRUE[:, 0], BIN_PROBS, ref_bce(BIN_TRUE, BIN_PROBS)),
    (
        "BinaryCrossentropy",
        {"from_logits": True, "label_smoothing": 0.1},
        BIN_TRUE,
        BIN_LOGITS,
        ref_bce(BIN_TRUE * 0.9 + 0.05, BIN_PROBS),
    ),
    ("BinaryFocalCrossentropy", {}, BIN_TRUE, BIN_PROBS, ref_binary_focal(BIN_TRUE, BIN_PROBS)),
    (
        "BinaryFocalCrossentropy",
        {"apply_class_balancing": True, "alpha": 0.3, "gamma": 1.5, "from_logits": True},
        BIN_TRUE,
        BIN_LOGITS,
        ref_binary_focal(BIN_TRUE, BIN_PROBS, gamma=1.5, alpha=0.3),
    ),
    ("CategoricalFocalCrossentropy", {}, ONEHOT, PROBS, ref_categorical_focal(ONEHOT, PROBS)),
    (
        "CategoricalFocalCrossentropy",
        {"from_logits": True, "alpha": 0.5, "gamma": 1.0},
        ONEHOT,
        LOGITS,
        ref_categorical_focal(ONEHOT, PROBS, alpha=0.5, gamma=1.0),
    ),
    ("MeanSquaredError", {}, REG_TRUE, REG_PRED, ((REG_TRUE - REG_PRED) ** 2).mean(-1)),
    ("MeanAbsoluteError", {}, REG_TRUE, REG_PRED, np.abs(REG_TRUE - REG_PRED).mean(-1)),
    (
        "MeanAbsolutePercentageError",
        {},
        REG_TRUE,
        REG_PRED,
        100 * np.abs((REG_TRUE - REG_PRED) / np.abs(REG_TRUE)).mean(-1),
    ),
    (
        "MeanSquaredLogarithmicError",
        {},
        POS_TRUE,
        POS_PRED,
        ((np.log1p(POS_PRED) - np.log1p(POS_TRUE)) ** 2).mean(-1),
    ),
    ("Huber", {}, REG_TRUE, REG_PRED, ref_huber(REG_TRUE, REG_PRED)),
    ("Huber", {"delta": 0.5}, REG_TRUE, REG_PRED, ref_huber(REG_TRUE, REG_PRED, 0.5)),
    ("LogCosh", {}, REG_TRUE, REG_PRED, np.log(np.cosh(REG_PRED - REG_TRUE)).mean(-1)),
    ("Hinge", {}, BIN_TRUE, BIN_LOGITS, ref_hinge(BIN_TRUE, BIN_LOGITS)),
    ("Hinge", {}, 2 * BIN_TRUE - 1, BIN_LOGITS, ref_hinge(BIN_TRUE, BIN_LOGITS)),
    (
        "SquaredHinge",
        {},
        BIN_TRUE,
        BIN_LOGITS,
        (np.maximum(1 - (2 * BIN_TRUE - 1) * BIN_LOGITS, 0) ** 2).mean(-1),
    ),
    (
        "CategoricalHinge",
        {},
        ONEHOT,
        LOGITS,
        np.maximum(((1 - ONEHOT) * LOGITS).max(-1) - (ONEHOT * LOGITS).sum(-1) + 1, 0),
    ),
    ("KLDivergence", {}, PROBS[::-1], PROBS, (PROBS[::-1] * np.log(PROBS[::-1] / PROBS)).sum(-1)),
    ("Poisson", {}, POS_TRUE, POS_PRED, (POS_PRED - POS_TRUE * np.log(POS_PRED + EPS)).mean(-1)),
    ("CosineSimilarity", {}, REG_TRUE, REG_PRED, ref_cosine(REG_TRUE, REG_PRED)),
]
CASE_IDS = [f"{c[0]}-{i}" for i, c in enumerate(REFERENCE_CASES)]


@pytest.mark.parametrize("name, kwargs, y_true, y_pred, expected", REFERENCE_CASES, ids=CASE_IDS)
def test_matches_keras_formula(name, kwargs, y_true, y_pred, expected):
    per_sample = getattr(losses, name)(reduction=None, **kwargs)(y_true, y_pred)
    assert isinstance(per_sample, numkeras.Tensor) and per_sample.dtype == "float32"
    np.testing.assert_allclose(per_sample.numpy(), expected, rtol=2e-5, atol=1e-6)
    loss = getattr(losses, name)(**kwargs)(y_true, y_pred)
    assert loss.shape == () and loss.dtype == "float32"
    np.testing.assert_allclose(float(loss), expected.mean(), rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("name, kwargs, y_true, y_pred, expected", REFERENCE_CASES, ids=CASE_IDS)
def test_function_form_gives_per_sample_values(name, kwargs, y_true, y_pred, expected):
    fn = losses.get(name).fn
    kwargs = dict(kwargs)
    if name in ("BinaryCrossentropy", "BinaryFocalCrossentropy") and y_true.ndim == 1:
        y_true = y_true[:, None]  # the function form needs matching ranks only in Keras
    np.testing.assert_allclose(
        np.asarray(fn(y_true, y_pred, **kwargs)), expected, rtol=2e-5, atol=1e-6
    )


def test_keras_docstring_examples():
    y_true, y_pred = [[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]
    assert float(losses.CategoricalCrossentropy()(y_true, y_pred)) == pytest.approx(1.1769392)
    assert float(losses.SparseCategoricalCrossentropy()([1, 2], y_pred)) == pytest.approx(1.1769392)
    bce = losses.BinaryCrossentropy()([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]])
    assert float(bce) == pytest.approx(0.8149245, rel=1e-6)
    assert float(losses.MeanAbsoluteError()([1.0, 0.3, 1.0], [1.9, 0.3, 1.8])) == pytest.approx(
        0.5666667
    )
    mape = losses.MeanAbsolutePercentageError()([100.0, 200.0, 300.0], [90.0, 210.0, 310.0])
    assert float(mape) == pytest.approx(6.111111, rel=1e-6)
    assert float(losses.MeanSquaredError()([1.0, 0.0, 1.0], [0.9, 0.1, 0.8])) == pytest.approx(0.02)


# --- reductions and sample weights -----------------------------------------------------------
@pytest.mark.parametrize(
    "reduction", ["sum_over_batch_size", "mean", "sum", "mean_with_sample_weight", None, "none"]
)
@pytest.mark.parametrize("weighted", [False, True])
def test_reductions(reduction, weighted):
    values = ((REG_TRUE - REG_PRED) ** 2).mean(-1)
    weights = WEIGHTS if weighted else np.ones(N)
    loss = losses.MeanSquaredError(reduction=reduction)(
        REG_TRUE, REG_PRED, sample_weight=WEIGHTS if weighted else None
    )
    expected = {
        "sum_over_batch_size": (values * weights).sum() / N,
        "mean": (values * weights).sum() / N,
        "sum": (values * weights).sum(),
        "mean_with_sample_weight": (values * weights).sum() / weights.sum(),
        None: values * weights,
        "none": values * weights,
    }[reduction]
    np.testing.assert_allclose(np.asarray(loss), expected, rtol=1e-6)


def test_sample_weight_shapes():
    loss = losses.MeanSquaredError(reduction="sum")
    column = loss(REG_TRUE, REG_PRED, sample_weight=WEIGHTS[:, None])
    np.testing.assert_allclose(float(column), float(loss(REG_TRUE, REG_PRED, WEIGHTS)), rtol=1e-6)
    scalar = loss(REG_TRUE, REG_PRED, sample_weight=2.0)
    np.testing.assert_allclose(float(scalar), 2 * float(loss(REG_TRUE, REG_PRED)), rtol=1e-6)
    # per-timestep weights for sequence outputs: values (N, T) weighted element by element
    t, p, w = RNG.normal(size=(N, 5, 2)), RNG.normal(size=(N, 5, 2)), RNG.uniform(size=(N, 5))
    expected = (((t - p) ** 2).mean(-1) * w).sum()
    np.testing.assert_allclose(float(loss(t, p, w)), expected, rtol=1e-5)
    # (N,) weights on (N, T) values weight whole rows
    np.testing.assert_allclose(
        float(loss(t, p, WEIGHTS)), (((t - p) ** 2).mean(-1) * WEIGHTS[:, None]).sum(), rtol=1e-5
    )


def test_zero_weights_and_empty_batches_give_zero():
    mean = losses.MeanSquaredError(reduction="mean_with_sample_weight")
    assert float(mean(REG_TRUE, REG_PRED, sample_weight=np.zeros(N))) == 0.0
    assert float(losses.MeanSquaredError()(np.zeros((0, 3)), np.zeros((0, 3)))) == 0.0


def test_invalid_reduction():
    with pytest.raises(ValueError, match="reduction"):
        losses.MeanSquaredError(reduction="average")


def test_ignore_class_averages_over_the_other_labels():
    labels = np.array([0, 3, 1, 2, 3, 0])
    per_sample = ref_cce(ONEHOT, PROBS)
    keep = labels != 3
    loss = losses.SparseCategoricalCrossentropy(ignore_class=3)
    np.testing.assert_allclose(float(loss(labels, PROBS)), per_sample[keep].mean(), rtol=1e-6)
    weighted = loss(labels, PROBS, sample_weight=WEIGHTS)
    expected = (per_sample * WEIGHTS)[keep].sum() / keep.sum()
    np.testing.assert_allclose(float(weighted), expected, rtol=1e-6)
    none = losses.SparseCategoricalCrossentropy(ignore_class=3, reduction=None)(labels, PROBS)
    np.testing.assert_allclose(none.numpy(), np.where(keep, per_sample, 0), rtol=1e-6)
    # an ignored label may be outside [0, classes): -1 is the usual padding value
    padded = np.where(keep, labels, -1)
    ignore = losses.SparseCategoricalCrossentropy(ignore_class=-1)
    np.testing.assert_allclose(float(ignore(padded, PROBS)), per_sample[keep].mean(), rtol=1e-6)


def test_softmax_output_uses_the_unclipped_logits_path():
    z = np.array([[30.0, 0.0, -30.0]], dtype="float32")  # softmax underflows to 0 for class 2
    target = np.array([[0.0, 0.0, 1.0]])
    fused = float(losses.CategoricalCrossentropy()(target, ops.softmax(z)))
    clipped = float(losses.CategoricalCrossentropy()(target, np.asarray(ops.softmax(z))))
    assert fused == pytest.approx(60.0, rel=1e-5)
    assert clipped == pytest.approx(-np.log(1e-7), rel=1e-4)


# --- dtypes and conversions -------------------------------------------------------------------
def test_numpy_labels_take_the_prediction_dtype():
    pred = ops.convert_to_tensor(PROBS.astype("float32"))
    loss = losses.CategoricalCrossentropy()(ONEHOT.astype("int64"), pred)  # float64/int labels
    assert loss.dtype == "float32"
    assert losses.CategoricalCrossentropy()(ONEHOT, PROBS).dtype == "float32"  # NumPy -> floatx
    assert losses.MeanSquaredError(dtype="float64")(REG_TRUE, REG_PRED).dtype == "float64"
    variable = numkeras.Variable(PROBS)  # float64 tensors keep float64 (gradient checks)
    assert losses.CategoricalCrossentropy()(ONEHOT, variable).dtype == "float64"
    assert losses.SparseCategoricalCrossentropy()(LABELS.astype("uint8"), variable).dtype == (
        "float64"
    )


def test_categorical_crossentropy_warns_for_one_unit():
    with pytest.warns(SyntaxWarning, match="binary_crossentropy"):
        losses.CategoricalCrossentropy()(BIN_TRUE, BIN_PROBS)


# --- label shapes that do not fit --------------------------------------------------------------
def test_integer_labels_for_categorical_crossentropy():
    labels = np.arange(128) % 10
    output = np.full((128, 10), 0.1, "float32")
    message = (
        'Loss "categorical_crossentropy" expects targets of shape (None, 10) to match the '
        "output, got (128,). Did you mean sparse_categorical_crossentropy?"
    )
    with pytest.raises(ValueError) as info:
        losses.CategoricalCrossentropy()(labels, output)
    assert str(info.value) == message
    with pytest.raises(ValueError, match=r"got \(128, 1\)\. Did you mean sparse_categorical"):
        losses.get("categorical_crossentropy")(labels[:, None], output)
    with pytest.raises(ValueError, match=r"got \(128,\)\. Did you mean sparse_categorical"):
        losses.categorical_crossentropy(labels, output)


def test_one_hot_width_differs_from_output_units():
    with pytest.raises(ValueError, match=r"shape \(None, 10\).*got \(128, 5\).*5 classes.*10 "):
        losses.CategoricalCrossentropy()(np.eye(5)[np.arange(128) % 5], np.ones((128, 10)))


def test_one_hot_labels_for_sparse_loss():
    with pytest.raises(ValueError) as info:
        losses.SparseCategoricalCrossentropy()(np.eye(10)[np.arange(128) % 10], np.ones((128, 10)))
    message = str(info.value)
    assert 'Loss "sparse_categorical_crossentropy"' in message and "(None,)" in message
    assert "(128, 10)" in message and "Did you mean categorical_crossentropy?" in message


@pytest.mark.parametrize("labels, shown", [([0, 1, 10], "0 to 10"), ([-1, 0, 1], "-1 to 1")])
def test_sparse_labels_out_of_range(labels, shown):
    with pytest.raises(ValueError, match=rf"labels in \[0, 10\).*10 units.*{shown}"):
        losses.SparseCategoricalCrossentropy()(labels, np.ones((3, 10)))


def test_sparse_labels_must_be_whole_numbers():
    with pytest.raises(ValueError, match="integer class labels.*0.5"):
        losses.sparse_categorical_crossentropy([0.5, 1.0], np.ones((2, 3)) / 3)


def test_binary_crossentropy_shape_errors():
    with pytest.raises(
        ValueError,
        match=r'"binary_crossentropy".*\(None, 1\).*\(8, 10\).*'
        "categorical_crossentropy",
    ):
        losses.BinaryCrossentropy()(np.eye(10)[:8], np.full((8, 1), 0.5))
    with pytest.raises(ValueError, match=r"\(None, 3\).*got \(8, 2\)"):
        losses.binary_crossentropy(np.ones((8, 2)), np.full((8, 3), 0.5))


def test_regression_shapes_must_broadcast():
    with pytest.raises(ValueError, match=r'Loss "mean_squared_error".*\(None, 10\).*\(128, 3\)'):
        losses.MeanSquaredError()(np.ones((128, 3)), np.ones((128, 10)))
    # (N,) labels against (N, 1) outputs are fine, as in Keras
    loss = losses.MeanSquaredError()(np.ones(4), np.zeros((4, 1)))
    assert float(loss) == 1.0


# --- gradients: float64 central differences -------------------------------------------------------
def numeric_gradient(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += eps
        down[i] -= eps
        grad[i] = (float(f(numkeras.Variable(up))) - float(f(numkeras.Variable(down)))) / (2 * eps)
    return grad


def check_loss_gradient(loss, y_true, y_pred, transform=None, rtol=1e-5, atol=1e-8):
    """Tape gradient of `sum(r * loss_i)` (random `r` as sample_weight) vs central differences."""
    r = np.random.default_rng(3).normal(size=len(y_pred))

    def f(v):
        return loss(y_true, transform(v) if transform else v, sample_weight=r)

    x = np.array(y_pred, dtype="float64")
    variable = numkeras.Variable(x)
    with numkeras.GradientTape() as tape:
        value = f(variable)
    assert value.dtype == "float64"
    analytic = tape.gradient(value, variable)
    np.testing.assert_allclose(analytic, numeric_gradient(f, x), rtol=rtol, atol=atol)


GRADIENT_CASES = [  # (loss, y_true, y_pred, transform applied to y_pred inside the tape)
    (losses.CategoricalCrossentropy(), ONEHOT, PROBS, None),
    (losses.CategoricalCrossentropy(), ONEHOT, LOGITS, ops.softmax),
    (losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1), ONEHOT, LOGITS, None),
    (losses.CategoricalCrossentropy(label_smoothing=0.3), ONEHOT * 0.7 + 0.1, LOGITS, ops.softmax),
    (losses.SparseCategoricalCrossentropy(), LABELS, PROBS, None),
    (losses.SparseCategoricalCrossentropy(from_logits=True), LABELS, LOGITS, None),
    (losses.SparseCategoricalCrossentropy(ignore_class=0), LABELS, LOGITS, ops.softmax),
    (losses.BinaryCrossentropy(), BIN_TRUE, BIN_PROBS, None),
    (losses.BinaryCrossentropy(label_smoothing=0.2), BIN_TRUE, BIN_LOGITS, ops.sigmoid),
    (losses.BinaryCrossentropy(from_logits=True), BIN_TRUE, BIN_LOGITS, None),
    (losses.BinaryFocalCrossentropy(apply_class_balancing=True), BIN_TRUE, BIN_PROBS, None),
    (losses.BinaryFocalCrossentropy(from_logits=True, gamma=1.5), BIN_TRUE, BIN_LOGITS, None),
    (losses.CategoricalFocalCrossentropy(), ONEHOT, PROBS, None),
    (losses.CategoricalFocalCrossentropy(from_logits=True), ONEHOT, LOGITS, None),
    (losses.MeanSquaredError(), REG_TRUE, REG_PRED, None),
    (losses.MeanAbsoluteError(), REG_TRUE, REG_PRED, None),
    (losses.MeanAbsolutePercentageError(), REG_TRUE, REG_PRED, None),
    (losses.MeanSquaredLogarithmicError(), POS_TRUE, POS_PRED, None),
    (losses.Huber(delta=1.0), REG_TRUE, REG_PRED, None),
    (losses.LogCosh(), REG_TRUE, REG_PRED, None),
    (losses.Hinge(), BIN_TRUE, BIN_LOGITS, None),
    (losses.SquaredHinge(), BIN_TRUE, BIN_LOGITS, None),
    (losses.CategoricalHinge(), ONEHOT, LOGITS, None),
    (losses.KLDivergence(), PROBS[::-1], PROBS, None),
    (losses.Poisson(), POS_TRUE, POS_PRED, None),
    (losses.CosineSimilarity(), REG_TRUE, REG_PRED, None),
]


@pytest.mark.parametrize(
    "loss, y_true, y_pred, transform",
    GRADIENT_CASES,
    ids=[f"{c[0].name}-{i}" for i, c in enumerate(GRADIENT_CASES)],
)
def test_gradient_matches_finite_differences(loss, y_true, y_pred, transform):
    check_loss_gradient(loss, y_true, y_pred, transform)


def test_fused_softmax_gradient_is_p_minus_y_over_n():
    variable = numkeras.Variable(LOGITS)
    with numkeras.GradientTape() as tape:
        loss = losses.CategoricalCrossentropy()(ONEHOT, ops.softmax(variable))
    np.testing.assert_allclose(tape.gradient(loss, variable), (PROBS - ONEHOT) / N, rtol=1e-10)


# --- PyTorch as an independent reference ----------------------------------------------------------
def torch_cases(torch):
    F = torch.nn.functional
    labels = torch.tensor(LABELS)
    return [
        (
            losses.CategoricalCrossentropy(from_logits=True),
            ONEHOT,
            LOGITS,
            lambda z: F.cross_entropy(z, labels),
        ),
        (
            losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
            ONEHOT,
            LOGITS,
            lambda z: F.cross_entropy(z, labels, label_smoothing=0.1),
        ),
        (
            losses.SparseCategoricalCrossentropy(from_logits=True),
            LABELS,
            LOGITS,
            lambda z: F.cross_entropy(z, labels),
        ),
        (
            losses.SparseCategoricalCrossentropy(),
            LABELS,
            PROBS,
            lambda p: F.nll_loss(torch.log(p / p.sum(-1, keepdim=True)), labels),
        ),
        (
            losses.BinaryCrossentropy(),
            BIN_TRUE,
            BIN_PROBS,
            lambda p: F.binary_cross_entropy(p, torch.tensor(BIN_TRUE)),
        ),
        (
            losses.BinaryCrossentropy(from_logits=True),
            BIN_TRUE,
            BIN_LOGITS,
            lambda z: F.binary_cross_entropy_with_logits(z, torch.tensor(BIN_TRUE)),
        ),
        (
            losses.MeanSquaredError(),
            REG_TRUE,
            REG_PRED,
            lambda p: F.mse_loss(p, torch.tensor(REG_TRUE)),
        ),
        (
            losses.MeanAbsoluteError(),
            REG_TRUE,
            REG_PRED,
            lambda p: F.l1_loss(p, torch.tensor(REG_TRUE)),
        ),
        (
            losses.Huber(delta=0.7),
            REG_TRUE,
            REG_PRED,
            lambda p: F.huber_loss(p, torch.tensor(REG_TRUE), delta=0.7),
        ),
        (
            losses.KLDivergence(),
            PROBS[::-1],
            PROBS,
            lambda p: F.kl_div(
                torch.log(p), torch.tensor(PROBS[::-1].copy()), reduction="batchmean"
            ),
        ),
        (
            losses.Poisson(),
            POS_TRUE,
            POS_PRED,
            lambda p: F.poisson_nll_loss(p, torch.tensor(POS_TRUE), log_input=False, eps=EPS),
        ),
        (
            losses.CosineSimilarity(),
            REG_TRUE,
            REG_PRED,
            lambda p: -F.cosine_similarity(p, torch.tensor(REG_TRUE), dim=-1).mean(),
        ),
        (
            losses.MeanSquaredLogarithmicError(),
            POS_TRUE,
            POS_PRED,
            lambda p: F.mse_loss(torch.log1p(p), torch.log1p(torch.tensor(POS_TRUE))),
        ),
    ]


def test_against_torch(torch):
    for loss, y_true, y_pred, torch_fn in torch_cases(torch):
        x = torch.tensor(np.array(y_pred), requires_grad=True)
        expected = torch_fn(x)
        expected.backward()
        variable = numkeras.Variable(np.array(y_pred))
        with numkeras.GradientTape() as tape:
            ours = loss(y_true, variable)
        # float64 throughout; 1e-7 because the engine rounds Python-scalar constants such as
        # label_smoothing=0.1 or delta=0.7 through float32 before they meet a float64 tensor
        np.testing.assert_allclose(float(ours), expected.item(), rtol=1e-7, err_msg=loss.name)
        np.testing.assert_allclose(
            tape.gradient(ours, variable), x.grad.numpy(), rtol=1e-7, atol=1e-12, err_msg=loss.name
        )


# --- get, serialize, deserialize ------------------------------------------------------------------
LOSS_CLASSES = [
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy",
    "CategoricalHinge",
    "CosineSimilarity",
    "Hinge",
    "Huber",
    "KLDivergence",
    "LogCosh",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Poisson",
    "SparseCategoricalCrossentropy",
    "SquaredHinge",
]


@pytest.mark.parametrize(
    "identifier, cls",
    [
        ("categorical_crossentropy", "CategoricalCrossentropy"),
        ("sparse_categorical_crossentropy", "SparseCategoricalCrossentropy"),
        ("binary_crossentropy", "BinaryCrossentropy"),
        ("bce", "BinaryCrossentropy"),
        ("mse", "MeanSquaredError"),
        ("mean_squared_error", "MeanSquaredError"),
        ("MSE", "MeanSquaredError"),
        ("mae", "MeanAbsoluteError"),
        ("mape", "MeanAbsolutePercentageError"),
        ("msle", "MeanSquaredLogarithmicError"),
        ("kld", "KLDivergence"),
        ("huber", "Huber"),
        ("log_cosh", "LogCosh"),
        ("logcosh", "LogCosh"),
        ("hinge", "Hinge"),
        ("CategoricalHinge", "CategoricalHinge"),
        (losses.poisson, "Poisson"),
        (losses.Huber, "Huber"),
    ],
)
def test_get_by_name_and_function(identifier, cls):
    loss = losses.get(identifier)
    assert type(loss).__name__ == cls
    assert loss.get_config() == getattr(losses, cls)().get_config()


def test_get_passes_instances_and_wraps_callables():
    instance = losses.Huber(delta=2.0)
    assert losses.get(instance) is instance
    assert losses.get(None) is None

    def my_l1(y_true, y_pred):
        return ops.sum(ops.abs(y_pred - y_true), axis=-1)

    wrapped = losses.get(my_l1)
    assert isinstance(wrapped, losses.LossFunctionWrapper) and wrapped.name == "my_l1"
    np.testing.assert_allclose(
        float(wrapped(REG_TRUE, REG_PRED)), np.abs(REG_TRUE - REG_PRED).sum(-1).mean(), rtol=1e-6
    )


def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError) as info:
        losses.get("categorical_crossentropyy")
    message = str(info.value)
    assert "'categorical_crossentropyy'" in message
    assert "categorical_crossentropy," in message and "mse" in message
    with pytest.raises(ValueError, match="Could not interpret"):
        losses.get(42)


@pytest.mark.parametrize("name", LOSS_CLASSES)
def test_config_round_trip(name):
    kwargs = {"reduction": "sum", "name": "custom"}
    loss = getattr(losses, name)(**kwargs)
    config = losses.serialize(loss)
    assert config["class_name"] == name and config["module"] == "keras.losses"
    assert config["config"]["reduction"] == "sum" and config["config"]["name"] == "custom"
    clone = losses.deserialize(config)
    assert type(clone) is type(loss) and clone.get_config() == loss.get_config()
    assert losses.get(config).get_config() == loss.get_config()


def test_config_keeps_arguments():
    loss = losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)
    assert loss.get_config() == {
        "name": "categorical_crossentropy",
        "reduction": "sum_over_batch_size",
        "from_logits": True,
        "label_smoothing": 0.1,
        "axis": -1,
    }
    clone = losses.CategoricalCrossentropy.from_config(loss.get_config())
    assert clone.from_logits and clone.label_smoothing == 0.1
    sparse = losses.SparseCategoricalCrossentropy(ignore_class=-1).get_config()
    assert sparse["ignore_class"] == -1


def test_wrapper_config_names_the_function():
    loss = losses.LossFunctionWrapper(losses.mean_squared_error, name="wrapped")
    config = losses.serialize(loss)
    assert config["config"]["fn"] == {
        "module": "builtins",
        "class_name": "function",
        "config": "mean_squared_error",
        "registered_name": "function",
    }
    clone = losses.deserialize(config)
    assert clone.fn is losses.mean_squared_error and clone.name == "wrapped"

    def custom(y_true, y_pred):
        return ops.mean(y_pred - y_true, axis=-1)

    config = losses.serialize(losses.LossFunctionWrapper(custom))
    with pytest.raises(ValueError, match="custom_objects"):
        losses.deserialize(config)
    assert losses.deserialize(config, custom_objects={"custom": custom}).fn is custom


def test_loss_subclass():
    class Scaled(losses.Loss):
        def __init__(self, scale=2.0, **kwargs):
            super().__init__(**kwargs)
            self.scale = scale

        def call(self, y_true, y_pred):
            return self.scale * ops.mean(ops.square(y_pred - y_true), axis=-1)

    loss = Scaled(reduction="sum")
    assert loss.name.startswith("scaled")
    np.testing.assert_allclose(
        float(loss(REG_TRUE, REG_PRED)), 2 * ((REG_TRUE - REG_PRED) ** 2).mean(-1).sum(), rtol=1e-6
    )
    with pytest.raises(NotImplementedError):
        losses.Loss()(REG_TRUE, REG_PRED)


# --- real Keras, when installed -------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("name, kwargs, y_true, y_pred, expected", REFERENCE_CASES, ids=CASE_IDS)
@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "mean_with_sample_weight", None])
def test_against_keras(keras, name, kwargs, y_true, y_pred, expected, reduction):
    y_true, y_pred = np.asarray(y_true, "float32"), np.asarray(y_pred, "float32")
    args = (y_true, y_pred, WEIGHTS.astype("float32"))
    theirs = getattr(keras.losses, name)(reduction=reduction, **kwargs)(*args)
    ours = getattr(losses, name)(reduction=reduction, **kwargs)(*args)
    np.testing.assert_allclose(
        ours.numpy(), keras.ops.convert_to_numpy(theirs), rtol=2e-6, atol=1e-7
    )
    their_config = getattr(keras.losses, name)(**kwargs).get_config()
    our_config = getattr(losses, name)(**kwargs).get_config()
    assert {k: v for k, v in our_config.items() if k in their_config} == their_config
