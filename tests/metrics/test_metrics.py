"""Metrics: two weighted batches vs independent NumPy references, reset, state, resolution."""

import numpy as np
import pytest

import numkeras
from numkeras import losses, metrics

RNG = np.random.default_rng(0)
N, C = 40, 5


def softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def make_batch(seed):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(N, C)).astype("float32")
    labels = rng.integers(0, C, N)
    return {
        "logits": logits,
        "probs": softmax(logits),
        "labels": labels,
        "onehot": np.eye(C, dtype="float32")[labels],
        "multi": rng.integers(0, 2, (N, C)).astype("float32"),
        "bin_true": rng.integers(0, 2, (N, 1)).astype("float32"),
        "bin_pred": np.round(rng.uniform(size=(N, 1)), 2).astype("float32"),  # ties on purpose
        "reg_true": rng.normal(size=(N, 3)).astype("float32"),
        "reg_pred": rng.normal(size=(N, 3)).astype("float32"),
        "weights": rng.uniform(0.0, 2.0, N).astype("float32"),
    }


B1, B2 = make_batch(1), make_batch(2)


def running_mean(per_sample_1, per_sample_2, weights_2):
    """Keras's Mean: batch 1 unweighted, batch 2 weighted, one weight per sample."""
    total = per_sample_1.sum() + (per_sample_2 * weights_2).sum()
    return total / (len(per_sample_1) + weights_2.sum())


def run(metric, true_key, pred_key):
    """Update with batch 1, then batch 2 weighted; return the result."""
    metric.update_state(B1[true_key], B1[pred_key])
    metric.update_state(B2[true_key], B2[pred_key], sample_weight=B2["weights"])
    return metric.result()


def assert_reset(metric):
    metric.reset_state()
    for v in metric.variables:
        assert not np.any(v.numpy()), v.path
    assert not np.any(np.asarray(metric.result()))


# --- mean-based metrics ----------------------------------------------------------------------
def ref_topk(labels, probs, k):
    target = probs[np.arange(len(labels)), labels]
    return ((probs > target[:, None]).sum(-1) < k).astype(float)


MEAN_CASES = [  # (metric, y_true key, y_pred key, per-sample reference)
    (metrics.Accuracy(), "labels", "labels", lambda b: np.ones(N)),
    (
        metrics.BinaryAccuracy(),
        "bin_true",
        "bin_pred",
        lambda b: ((b["bin_pred"] > 0.5) == b["bin_true"])[:, 0],
    ),
    (
        metrics.BinaryAccuracy(threshold=0.3),
        "bin_true",
        "bin_pred",
        lambda b: ((b["bin_pred"] > 0.3) == b["bin_true"])[:, 0],
    ),
    (
        metrics.CategoricalAccuracy(),
        "onehot",
        "probs",
        lambda b: b["labels"] == b["probs"].argmax(-1),
    ),
    (
        metrics.SparseCategoricalAccuracy(),
        "labels",
        "probs",
        lambda b: b["labels"] == b["probs"].argmax(-1),
    ),
    (
        metrics.TopKCategoricalAccuracy(k=2),
        "onehot",
        "probs",
        lambda b: ref_topk(b["labels"], b["probs"], 2),
    ),
    (
        metrics.SparseTopKCategoricalAccuracy(k=3),
        "labels",
        "probs",
        lambda b: ref_topk(b["labels"], b["probs"], 3),
    ),
    (
        metrics.MeanSquaredError(),
        "reg_true",
        "reg_pred",
        lambda b: ((b["reg_true"] - b["reg_pred"]) ** 2).mean(-1),
    ),
    (
        metrics.MeanAbsoluteError(),
        "reg_true",
        "reg_pred",
        lambda b: np.abs(b["reg_true"] - b["reg_pred"]).mean(-1),
    ),
    (
        metrics.MeanAbsolutePercentageError(),
        "reg_true",
        "reg_pred",
        lambda b: 100 * np.abs((b["reg_true"] - b["reg_pred"]) / b["reg_true"]).mean(-1),
    ),
    (
        metrics.LogCoshError(),
        "reg_true",
        "reg_pred",
        lambda b: np.log(np.cosh(b["reg_pred"] - b["reg_true"])).mean(-1),
    ),
    (
        metrics.CategoricalCrossentropy(),
        "onehot",
        "probs",
        lambda b: -np.log(b["probs"][np.arange(N), b["labels"]]),
    ),
    (
        metrics.SparseCategoricalCrossentropy(from_logits=True),
        "labels",
        "logits",
        lambda b: -np.log(b["probs"][np.arange(N), b["labels"]]),
    ),
    (
        metrics.BinaryCrossentropy(),
        "bin_true",
        "bin_pred",
        lambda b: (
            -(
                b["bin_true"] * np.log(np.clip(b["bin_pred"], 1e-7, 1 - 1e-7))
                + (1 - b["bin_true"]) * np.log(np.clip(1 - b["bin_pred"], 1e-7, 1 - 1e-7))
            )[:, 0]
        ),
    ),
]


@pytest.mark.parametrize(
    "metric, true_key, pred_key, reference",
    MEAN_CASES,
    ids=[f"{c[0].name}-{i}" for i, c in enumerate(MEAN_CASES)],
)
def test_mean_metrics_over_two_weighted_batches(metric, true_key, pred_key, reference):
    metric.reset_state()
    result = run(metric, true_key, pred_key)
    assert isinstance(result, float)
    expected = running_mean(reference(B1).astype(float), reference(B2).astype(float), B2["weights"])
    np.testing.assert_allclose(result, expected, rtol=1e-5)
    assert [v.name for v in metric.variables] == ["total", "count"]
    np.testing.assert_allclose(metric.variables[1].numpy(), N + B2["weights"].sum(), rtol=1e-6)
    assert_reset(metric)


def test_root_mean_squared_error():
    m = metrics.RootMeanSquaredError()
    result = run(m, "reg_true", "reg_pred")
    squared = [((b["reg_true"] - b["reg_pred"]) ** 2).mean(-1) for b in (B1, B2)]
    np.testing.assert_allclose(result, np.sqrt(running_mean(*squared, B2["weights"])), rtol=1e-5)
    assert_reset(m)


def test_cosine_similarity_is_positive_when_aligned():
    m = metrics.CosineSimilarity()
    m.update_state([[1.0, 1.0], [0.0, 2.0]], [[2.0, 2.0], [0.0, -1.0]])
    assert m.result() == pytest.approx(0.0, abs=1e-7)  # mean of +1 and -1
    m.update_state([[3.0, 0.0]], [[1.0, 0.0]], sample_weight=[2.0])
    assert m.result() == pytest.approx(0.5)


def test_mean_and_sum():
    mean, total = metrics.Mean(), metrics.Sum()
    for m in (mean, total):
        m.update_state([1.0, 3.0])
        m.update_state([[5.0, 7.0], [1.0, 1.0]], sample_weight=[0.5, 2.0])
    assert mean.result() == pytest.approx((1 + 3 + 6 * 0.5 + 1 * 2.0) / (2 + 2.5))
    assert total.result() == pytest.approx(1 + 3 + 12 * 0.5 + 2 * 2.0)
    per_element = metrics.Mean()
    per_element.update_state(np.array([[1.0, 3.0]]), sample_weight=np.array([[1.0, 0.0]]))
    assert per_element.result() == pytest.approx(1.0)  # (1*1 + 3*0) / (1 + 0)
    assert_reset(mean)
    assert_reset(total)


def test_mean_as_the_progress_bar_loss_tracker():
    """Keras updates Mean(name="loss") with each batch's loss and sample_weight=batch_size."""
    tracker = metrics.Mean(name="loss")
    batches = [(0.9, 128), (0.5, 128), (0.3, 32)]
    for i, (loss, size) in enumerate(batches):
        tracker.update_state(numkeras.ops.convert_to_tensor(loss), sample_weight=size)
        seen = batches[: i + 1]
        expected = sum(v * s for v, s in seen) / sum(s for _, s in seen)
        assert tracker.result() == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("weight", [None, 128, 2.5, np.float32(3)])
def test_mean_of_scalars_sums_in_float32_step_by_step(weight):
    """A scalar update (the loss tracker's, every step) adds value * weight and weight to
    float32 totals, as the per-sample path does with one sample."""
    tracker = metrics.Mean()
    values = np.random.default_rng(0).random(50).astype("float32") * 3
    total = count = np.float32(0)
    w = np.float32(1 if weight is None else weight)
    for v in values:
        tracker.update_state(v, sample_weight=weight)
        total, count = total + v * w, count + w
    assert tracker.total.numpy() == total and tracker.count.numpy() == count
    assert tracker.total.numpy().dtype == np.float32
    assert tracker.result() == float(np.float32(np.float64(total) / np.float64(count)))


def test_mean_metric_wrapper_runs_loss_functions_without_a_graph():
    m = metrics.MeanMetricWrapper(losses.mean_squared_error, name="mse")
    variable = numkeras.Variable(B1["reg_pred"])
    with numkeras.GradientTape():  # inside a training step's tape: nothing is recorded
        m.update_state(B1["reg_true"], variable)
    assert not any(v.requires_grad or v.parents for v in m.variables)
    expected = ((B1["reg_true"] - B1["reg_pred"]) ** 2).mean()
    assert m.result() == pytest.approx(float(expected), rel=1e-5)
    assert m.get_config()["fn"]["config"] == "mean_squared_error"


def test_mean_metric_wrapper_respects_ignore_class_mask():
    m = metrics.SparseCategoricalCrossentropy(ignore_class=0)
    m.update_state(B1["labels"], B1["probs"])
    keep = B1["labels"] != 0
    expected = -np.log(B1["probs"][np.arange(N), B1["labels"]])[keep].mean()
    assert m.result() == pytest.approx(float(expected), rel=1e-5)


# --- confusion metrics --------------------------------------------------------------------------
def ref_counts(y_true, y_pred, weights, thresholds):
    """Weighted tp, fp, tn, fn at each threshold by direct comparison (a loop, as a reference)."""
    y_true, y_pred = y_true.ravel() != 0, y_pred.ravel()
    weights = np.broadcast_to(
        weights.reshape(len(weights), -1), (len(weights), y_true.size // len(weights))
    ).ravel()
    out = []
    for t in thresholds:
        pos = y_pred > np.float32(t)  # Keras compares in the variables' float32
        out.append(
            [
                np.sum(weights * (pos & y_true)),
                np.sum(weights * (pos & ~y_true)),
                np.sum(weights * (~pos & ~y_true)),
                np.sum(weights * (~pos & y_true)),
            ]
        )
    return np.array(out, dtype=float).T  # (4, thresholds)


def two_batch_counts(true_key, pred_key, thresholds):
    return ref_counts(B1[true_key], B1[pred_key], np.ones(N), thresholds) + ref_counts(
        B2[true_key], B2[pred_key], B2["weights"], thresholds
    )


@pytest.mark.parametrize("thresholds", [None, 0.35, [0.2, 0.5, 0.7], [0.0, 0.5, 1.0], [0.9, 0.1]])
def test_precision_and_recall(thresholds):
    ts = [0.5] if thresholds is None else np.ravel(thresholds)
    tp, fp, tn, fn = two_batch_counts("bin_true", "bin_pred", ts)
    precision = np.divide(tp, tp + fp, out=np.zeros_like(tp), where=tp + fp > 0)
    recall = np.divide(tp, tp + fn, out=np.zeros_like(tp), where=tp + fn > 0)
    for cls, expected in ((metrics.Precision, precision), (metrics.Recall, recall)):
        m = cls(thresholds=thresholds)
        result = run(m, "bin_true", "bin_pred")
        if len(ts) == 1:
            assert isinstance(result, float)
        np.testing.assert_allclose(result, expected if len(ts) > 1 else expected[0], rtol=1e-5)
        np.testing.assert_allclose(m.true_positives.numpy(), tp, rtol=1e-5)
        assert_reset(m)


def test_precision_recall_top_k_and_class_id():
    top2 = np.argsort(-B1["probs"], -1)[:, :2]
    predicted = np.zeros((N, C), bool)
    np.put_along_axis(predicted, top2, True, -1)
    hits = predicted & (B1["multi"] != 0)
    p = metrics.Precision(top_k=2)
    p.update_state(B1["multi"], B1["probs"])
    assert p.result() == pytest.approx(hits.sum() / predicted.sum(), rel=1e-6)
    r = metrics.Recall(class_id=1, thresholds=0.2)
    r.update_state(B1["multi"], B1["probs"])
    column_true, column_pred = B1["multi"][:, 1] != 0, B1["probs"][:, 1] > 0.2
    expected = (column_true & column_pred).sum() / column_true.sum()
    assert r.result() == pytest.approx(expected, rel=1e-6)
    assert p.name.startswith("precision") and r.name.startswith("recall")


def ref_auc(tp, fp, tn, fn, curve):
    recall = np.divide(tp, tp + fn, out=np.zeros_like(tp), where=tp + fn > 0)
    if curve == "ROC":
        x, y = np.divide(fp, fp + tn, out=np.zeros_like(fp), where=fp + tn > 0), recall
    else:
        x, y = recall, np.divide(tp, tp + fp, out=np.zeros_like(tp), where=tp + fp > 0)
    return np.sum((x[:-1] - x[1:]) * (y[:-1] + y[1:]) / 2)


def keras_auc_thresholds(n):
    return [-1e-7] + [(i + 1) / (n - 1) for i in range(n - 2)] + [1 + 1e-7]


@pytest.mark.parametrize("num_thresholds", [3, 11, 200])
def test_auc_roc_matches_threshold_loop(num_thresholds):
    m = metrics.AUC(num_thresholds=num_thresholds)
    result = run(m, "bin_true", "bin_pred")
    counts = two_batch_counts("bin_true", "bin_pred", keras_auc_thresholds(num_thresholds))
    np.testing.assert_allclose(
        np.stack([v.numpy() for v in m.variables]), counts, rtol=1e-5, atol=1e-5
    )
    np.testing.assert_allclose(result, ref_auc(*counts, "ROC"), rtol=1e-5)
    assert_reset(m)


def test_auc_approaches_the_exact_roc_auc():
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 2000)
    scores = np.clip(rng.normal(0.4 + 0.2 * y, 0.15), 0, 1)
    pos, neg = scores[y == 1], scores[y == 0]
    exact = np.mean(pos[:, None] > neg[None]) + 0.5 * np.mean(pos[:, None] == neg[None])
    m = metrics.AUC(num_thresholds=1000)
    m.update_state(y, scores)
    assert m.result() == pytest.approx(exact, abs=2e-3)


def test_auc_pr_interpolation_and_riemann_sums():
    m = metrics.AUC(curve="PR", num_thresholds=3)
    m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    # Davis & Goadrich interpolation; real Keras 3.15 gives 0.8206994 for this case
    assert m.result() == pytest.approx(0.8206994, rel=1e-6)
    majoring = metrics.AUC(num_thresholds=3, summation_method="majoring")
    majoring.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    assert majoring.result() == pytest.approx(1.0)
    minoring = metrics.AUC(num_thresholds=3, summation_method="minoring")
    minoring.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    assert minoring.result() == pytest.approx(0.5)


def test_auc_multi_label_and_logits():
    m = metrics.AUC(multi_label=True, num_thresholds=50)
    assert m.variables == []  # built at the first batch, when the label count is known
    m.update_state(B1["multi"], B1["probs"])
    assert m.true_positives.shape == (50, C)
    per_label = [
        ref_auc(
            *ref_counts(B1["multi"][:, i], B1["probs"][:, i], np.ones(N), keras_auc_thresholds(50)),
            "ROC",
        )
        for i in range(C)
    ]
    assert m.result() == pytest.approx(np.mean(per_label), rel=1e-5)
    logits = metrics.AUC(from_logits=True)
    logits.update_state(B1["bin_true"], np.log(B1["bin_pred"] / (1 - B1["bin_pred"] + 1e-9) + 1e-9))
    probs = metrics.AUC()
    probs.update_state(B1["bin_true"], B1["bin_pred"])
    assert logits.result() == pytest.approx(probs.result(), abs=1e-3)


@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
@pytest.mark.parametrize("threshold", [None, 0.3])
def test_f1_score(average, threshold):
    true_key = "onehot" if threshold is None else "multi"
    m = metrics.F1Score(average=average, threshold=threshold)
    result = run(m, true_key, "probs")
    sums = np.zeros((4, C))
    for b, w in ((B1, np.ones(N)), (B2, B2["weights"])):
        y, p = b[true_key], b["probs"]
        pred = (p >= p.max(-1, keepdims=True)) if threshold is None else p > threshold
        w = w[:, None]
        sums += [
            (pred * y * w).sum(0),
            (pred * (1 - y) * w).sum(0),
            ((1 - pred) * y * w).sum(0),
            (y * w).sum(0),
        ]
    tp, fp, fn, support = sums if average != "micro" else sums.sum(1)
    precision, recall = tp / (tp + fp + 1e-7), tp / (tp + fn + 1e-7)
    f1 = 2 * precision * recall / (precision + recall + 1e-7)
    expected = {
        None: f1,
        "micro": f1,
        "macro": np.mean(f1),
        "weighted": np.sum(f1 * support / (support.sum() + 1e-7)),
    }[average]
    np.testing.assert_allclose(result, expected, rtol=1e-5)
    assert_reset(m)


def test_f1_needs_2d_inputs():
    with pytest.raises(ValueError, match="2D inputs"):
        metrics.F1Score().update_state(np.ones(3), np.ones(3))


# --- base class, state and config ---------------------------------------------------------------
def test_variables_are_named_non_trainable_state():
    m = metrics.Precision(name="prec")
    assert [v.path for v in m.variables] == ["prec/true_positives", "prec/false_positives"]
    assert all(isinstance(v, numkeras.Variable) and not v.trainable for v in m.variables)
    run(m, "bin_true", "bin_pred")
    saved = [v.numpy() for v in m.variables]
    restored = metrics.Precision(name="prec")
    for v, value in zip(restored.variables, saved):
        v.assign(value)
    assert restored.result() == m.result()


def test_call_updates_and_returns_the_result():
    m = metrics.CategoricalAccuracy()
    assert m([[0, 1], [1, 0]], [[0.2, 0.8], [0.3, 0.7]]) == 0.5
    assert m([[0, 1]], [[0.1, 0.9]]) == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    "cls, name",
    [
        (metrics.Accuracy, "accuracy"),
        (metrics.BinaryAccuracy, "binary_accuracy"),
        (metrics.CategoricalAccuracy, "categorical_accuracy"),
        (metrics.SparseCategoricalAccuracy, "sparse_categorical_accuracy"),
        (metrics.TopKCategoricalAccuracy, "top_k_categorical_accuracy"),
        (metrics.SparseTopKCategoricalAccuracy, "sparse_top_k_categorical_accuracy"),
        (metrics.MeanSquaredError, "mean_squared_error"),
        (metrics.MeanAbsoluteError, "mean_absolute_error"),
        (metrics.RootMeanSquaredError, "root_mean_squared_error"),
        (metrics.Mean, "mean"),
        (metrics.Sum, "sum"),
        (metrics.F1Score, "f1_score"),
        (metrics.LogCoshError, "logcosh"),
    ],
)
def test_default_names(cls, name):
    assert cls().name == name


CONFIG_CASES = [
    metrics.Accuracy(),
    metrics.BinaryAccuracy(threshold=0.7),
    metrics.CategoricalAccuracy(),
    metrics.SparseCategoricalAccuracy(),
    metrics.TopKCategoricalAccuracy(k=3),
    metrics.SparseTopKCategoricalAccuracy(k=2),
    metrics.MeanSquaredError(),
    metrics.MeanAbsoluteError(),
    metrics.RootMeanSquaredError(),
    metrics.Mean(name="m"),
    metrics.Sum(),
    metrics.Precision(thresholds=[0.3, 0.6]),
    metrics.Recall(top_k=2),
    metrics.AUC(curve="PR", num_thresholds=50),
    metrics.AUC(thresholds=[0.2, 0.4]),
    metrics.F1Score(average="macro", threshold=0.4),
    metrics.CategoricalCrossentropy(),
    metrics.MeanMetricWrapper(losses.hinge, name="h"),
]


@pytest.mark.parametrize("metric", CONFIG_CASES, ids=[type(m).__name__ for m in CONFIG_CASES])
def test_config_round_trip(metric):
    config = metrics.serialize(metric)
    assert config["module"] == "keras.metrics" and config["class_name"] == type(metric).__name__
    clone = metrics.deserialize(config)
    assert type(clone) is type(metric) and clone.get_config() == metric.get_config()
    assert metrics.get(config).get_config() == metric.get_config()


def test_auc_config_keeps_custom_thresholds():
    clone = metrics.AUC.from_config(metrics.AUC(thresholds=[0.2, 0.4]).get_config())
    assert clone.thresholds == [-1e-7, 0.2, 0.4, 1 + 1e-7] and clone.num_thresholds == 4


# --- get and resolve_metric -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "identifier, cls",
    [
        ("accuracy", "Accuracy"),
        ("categorical_accuracy", "CategoricalAccuracy"),
        ("sparse_categorical_accuracy", "SparseCategoricalAccuracy"),
        ("binary_accuracy", "BinaryAccuracy"),
        ("top_k_categorical_accuracy", "TopKCategoricalAccuracy"),
        ("mse", "MeanSquaredError"),
        ("mae", "MeanAbsoluteError"),
        ("auc", "AUC"),
        ("AUC", "AUC"),
        ("precision", "Precision"),
        ("recall", "Recall"),
        ("f1_score", "F1Score"),
        ("root_mean_squared_error", "RootMeanSquaredError"),
        (metrics.Recall, "Recall"),
    ],
)
def test_get_by_name(identifier, cls):
    assert type(metrics.get(identifier)).__name__ == cls


def test_get_errors_and_passthrough():
    instance = metrics.AUC()
    assert metrics.get(instance) is instance and metrics.get(None) is None
    with pytest.raises(ValueError) as info:
        metrics.get("acuracy")
    assert "'acuracy'" in str(info.value) and "categorical_accuracy" in str(info.value)
    with pytest.raises(ValueError, match="Could not interpret"):
        metrics.get(3)


ACCURACY_CASES = [  # (y_true shape, y_pred shape, loss, expected class)
    ((128, 10), (128, 10), None, "CategoricalAccuracy"),
    ((128, 10), (128, 10), "categorical_crossentropy", "CategoricalAccuracy"),
    ((128,), (128, 10), None, "SparseCategoricalAccuracy"),
    ((128, 1), (128, 10), None, "SparseCategoricalAccuracy"),
    ((128, 10), (128, 10), "sparse_categorical_crossentropy", "SparseCategoricalAccuracy"),
    ((128, 1), (128, 1), None, "BinaryAccuracy"),
    ((128,), (128, 1), "binary_crossentropy", "BinaryAccuracy"),
    ((128, 5), (128, 5), "binary_crossentropy", "BinaryAccuracy"),  # multi-label
    ((128, 5), (128, 5), losses.BinaryCrossentropy(), "BinaryAccuracy"),
    ((128,), (128, 10), losses.SparseCategoricalCrossentropy(), "SparseCategoricalAccuracy"),
    (None, None, "sparse_categorical_crossentropy", "SparseCategoricalAccuracy"),
    (None, None, "categorical_crossentropy", "CategoricalAccuracy"),
    (None, None, losses.binary_crossentropy, "BinaryAccuracy"),
    ((32, 20, 1), (32, 20, 8), None, "SparseCategoricalAccuracy"),  # sequences
]


@pytest.mark.parametrize("true_shape, pred_shape, loss, expected", ACCURACY_CASES)
@pytest.mark.parametrize("identifier", ["accuracy", "acc"])
def test_accuracy_resolution(true_shape, pred_shape, loss, expected, identifier):
    metric = metrics.resolve_metric(identifier, true_shape, pred_shape, loss=loss)
    assert type(metric).__name__ == expected and metric.name == identifier
    assert [v.path for v in metric.variables] == [f"{identifier}/total", f"{identifier}/count"]
    via_get = metrics.get(identifier, true_shape, pred_shape, loss=loss)
    assert type(via_get).__name__ == expected


def test_accuracy_resolution_from_arrays():
    metric = metrics.resolve_metric(
        "accuracy", B1["onehot"], numkeras.ops.convert_to_tensor(B1["probs"])
    )
    assert isinstance(metric, metrics.CategoricalAccuracy)
    metric.update_state(B1["onehot"], B1["probs"])
    assert metric.result() == pytest.approx(np.mean(B1["labels"] == B1["probs"].argmax(-1)))
    assert isinstance(
        metrics.resolve_metric("acc", B1["labels"], B1["probs"]), metrics.SparseCategoricalAccuracy
    )


def test_accuracy_resolution_needs_shapes_or_a_loss():
    with pytest.raises(ValueError, match="shapes"):
        metrics.resolve_metric("accuracy", loss="mse")


def test_other_identifiers_resolve_by_name_and_keep_the_string():
    assert metrics.resolve_metric("mse", (8, 1), (8, 1)).name == "mse"
    auc = metrics.resolve_metric("auc", (8, 1), (8, 1))
    assert isinstance(auc, metrics.AUC) and auc.name == "auc"
    assert auc.variables[0].path == "auc/true_positives"
    precision = metrics.Precision(name="p")
    assert metrics.resolve_metric(precision, None, None) is precision and precision.name == "p"

    def hit_rate(y_true, y_pred):
        return np.asarray(y_true == (np.asarray(y_pred) > 0.5), "float32")

    wrapped = metrics.resolve_metric(hit_rate, None, None)
    assert isinstance(wrapped, metrics.MeanMetricWrapper) and wrapped.name == "hit_rate"
    wrapped.update_state(np.array([1, 0, 1]), np.array([0.9, 0.2, 0.1]))
    assert wrapped.result() == pytest.approx(2 / 3)
    loss_metric = metrics.resolve_metric(losses.mean_absolute_error, None, None)
    assert loss_metric.name == "mean_absolute_error"


# --- real Keras, when installed -------------------------------------------------------------------
KERAS_CASES = [
    ("CategoricalAccuracy", {}, "onehot", "probs"),
    ("SparseCategoricalAccuracy", {}, "labels", "probs"),
    ("BinaryAccuracy", {"threshold": 0.3}, "bin_true", "bin_pred"),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, "labels", "probs"),
    ("RootMeanSquaredError", {}, "reg_true", "reg_pred"),
    ("Precision", {"thresholds": [0.2, 0.5, 0.7]}, "bin_true", "bin_pred"),
    ("Recall", {"top_k": 2}, "multi", "probs"),
    ("AUC", {}, "bin_true", "bin_pred"),
    ("AUC", {"curve": "PR"}, "bin_true", "bin_pred"),
    ("AUC", {"multi_label": True, "label_weights": [1, 2, 0, 1, 1]}, "multi", "probs"),
    (
        "AUC",
        {"thresholds": [0.1, 0.35, 0.5, 0.9], "summation_method": "minoring"},
        "bin_true",
        "bin_pred",
    ),
    ("F1Score", {"average": "weighted", "threshold": 0.25}, "multi", "probs"),
]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("name, kwargs, true_key, pred_key", KERAS_CASES)
def test_against_keras(keras, name, kwargs, true_key, pred_key):
    theirs, ours = getattr(keras.metrics, name)(**kwargs), getattr(metrics, name)(**kwargs)
    run(theirs, true_key, pred_key)
    np.testing.assert_allclose(
        run(ours, true_key, pred_key),
        keras.ops.convert_to_numpy(theirs.result()),
        rtol=1e-5,
        atol=1e-7,
    )
    assert [v.name for v in ours.variables] == [v.name for v in theirs.variables]
    for a, b in zip(ours.variables, theirs.variables):
        np.testing.assert_allclose(a.numpy(), keras.ops.convert_to_numpy(b), rtol=1e-5, atol=1e-5)
    their_config, our_config = theirs.get_config(), ours.get_config()
    their_config.pop("name"), our_config.pop("name")
    if "label_weights" in their_config:
        their_config["label_weights"] = keras.ops.convert_to_numpy(
            their_config["label_weights"]
        ).tolist()
    assert our_config == their_config
