"""New metrics against real Keras (torch backend): two batches, one weighted, reset, config."""

import numpy as np
import pytest

from numkeras import metrics

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.oracle

RNG = np.random.default_rng(3)
N, C = 24, 4


def _batch(seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, C, N)
    scores = rng.uniform(size=(N, C)).astype("float32")
    return {
        "labels": labels,
        "pred_ids": rng.integers(0, C, N),
        "onehot": np.eye(C)[labels],
        "scores": scores,
        "bin_true": rng.integers(0, 2, (N, 1)).astype("float32"),
        "bin_pred": np.round(rng.uniform(size=(N, 1)), 2).astype("float32"),
        "multi_true": rng.integers(0, 2, (N, C)).astype("float32"),
        "reg_true": rng.normal(size=(N, 3)).astype("float32"),
        "reg_pred": rng.normal(size=(N, 3)).astype("float32"),
        "weights": rng.uniform(0.0, 2.0, N).astype("float32"),
        "int_weights": rng.integers(0, 3, N),
    }


B1, B2 = _batch(1), _batch(2)

CASES = [  # (class name, kwargs, y_true key, y_pred key, weights key)
    ("IoU", {"num_classes": C, "target_class_ids": [0, 2]}, "labels", "pred_ids", "int_weights"),
    (
        "IoU",
        {"num_classes": C, "target_class_ids": [1], "ignore_class": 3},
        "labels",
        "pred_ids",
        "int_weights",
    ),
    ("MeanIoU", {"num_classes": C}, "labels", "pred_ids", "int_weights"),
    ("MeanIoU", {"num_classes": C, "dtype": "float32"}, "labels", "pred_ids", "weights"),
    ("MeanIoU", {"num_classes": C, "sparse_y_pred": False}, "labels", "scores", "int_weights"),
    ("BinaryIoU", {"threshold": 0.3}, "bin_true", "bin_pred", "int_weights"),
    ("BinaryIoU", {"target_class_ids": [1], "dtype": "float32"}, "bin_true", "bin_pred", "weights"),
    (
        "OneHotIoU",
        {"num_classes": C, "target_class_ids": [0, 3]},
        "onehot",
        "scores",
        "int_weights",
    ),
    ("OneHotMeanIoU", {"num_classes": C, "dtype": "float32"}, "onehot", "scores", "weights"),
    ("R2Score", {}, "reg_true", "reg_pred", "weights"),
    ("R2Score", {"class_aggregation": None}, "reg_true", "reg_pred", "weights"),
    (
        "R2Score",
        {"class_aggregation": "variance_weighted_average", "num_regressors": 2},
        "reg_true",
        "reg_pred",
        "weights",
    ),
    ("TruePositives", {}, "bin_true", "bin_pred", "weights"),
    ("FalsePositives", {"thresholds": [0.2, 0.5, 0.9]}, "bin_true", "bin_pred", "weights"),
    ("TrueNegatives", {"thresholds": 0.3}, "bin_true", "bin_pred", "weights"),
    ("FalseNegatives", {}, "multi_true", "scores", "weights"),
    ("SensitivityAtSpecificity", {"specificity": 0.6}, "bin_true", "bin_pred", "weights"),
    (
        "SpecificityAtSensitivity",
        {"sensitivity": 0.7, "num_thresholds": 50},
        "bin_true",
        "bin_pred",
        "weights",
    ),
    ("PrecisionAtRecall", {"recall": 0.5, "class_id": 2}, "multi_true", "scores", "weights"),
    (
        "RecallAtPrecision",
        {"precision": 0.6, "num_thresholds": 1},
        "bin_true",
        "bin_pred",
        "weights",
    ),
    ("RecallAtPrecision", {"precision": 0.4}, "multi_true", "scores", "weights"),
    ("PearsonCorrelation", {}, "reg_true", "reg_pred", "weights"),
    ("ConcordanceCorrelation", {}, "reg_true", "reg_pred", "weights"),
    ("F1Score", {"average": "macro", "threshold": 0.5}, "multi_true", "scores", "weights"),
    ("FBetaScore", {"beta": 2.0, "average": "weighted"}, "multi_true", "scores", "weights"),
    ("AUC", {"num_thresholds": 30, "curve": "PR"}, "bin_true", "bin_pred", "weights"),
    ("Poisson", {}, "multi_true", "scores", "weights"),
    ("KLDivergence", {}, "onehot", "scores", "weights"),
    ("LogCoshError", {}, "reg_true", "reg_pred", "weights"),
    ("CosineSimilarity", {}, "reg_true", "reg_pred", "weights"),
    ("Hinge", {}, "multi_true", "scores", "weights"),
    ("SquaredHinge", {}, "multi_true", "scores", "weights"),
    ("CategoricalHinge", {}, "onehot", "scores", "weights"),
]


def _run(metric, true_key, pred_key, weight_key):
    metric.update_state(B1[true_key], B1[pred_key])
    metric.update_state(B2[true_key], B2[pred_key], sample_weight=B2[weight_key])
    return np.asarray(keras.ops.convert_to_numpy(metric.result()), np.float64)


def _ids(case):
    return f"{case[0]}-{'-'.join(map(str, case[1].values()))}"


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_matches_keras_over_two_batches_reset_and_config(case):
    name, kwargs, true_key, pred_key, weight_key = case
    ours, theirs = getattr(metrics, name)(**kwargs), getattr(keras.metrics, name)(**kwargs)
    expected = _run(theirs, true_key, pred_key, weight_key)
    np.testing.assert_allclose(
        _run(ours, true_key, pred_key, weight_key), expected, rtol=1e-5, atol=1e-6
    )
    assert [v.name for v in ours.variables] == [v.name for v in theirs.variables]
    for a, b in zip(ours.variables, theirs.variables):
        np.testing.assert_allclose(
            a.numpy(), keras.ops.convert_to_numpy(b), rtol=1e-5, atol=1e-5, err_msg=a.name
        )
    ours.reset_state()
    theirs.reset_state()
    np.testing.assert_allclose(
        np.asarray(ours.result(), np.float64),
        keras.ops.convert_to_numpy(theirs.result()),
        atol=1e-7,
    )
    config, keras_config = ours.get_config(), theirs.get_config()
    config.pop("name"), keras_config.pop("name")
    assert str(config.pop("dtype")) == str(keras_config.pop("dtype"))
    assert {k: config[k] for k in keras_config} == keras_config  # ours may hold more (axis)
    # our config rebuilds our metric, and Keras's rebuilds ours through deserialize
    clone = type(ours).from_config(ours.get_config())
    np.testing.assert_allclose(
        _run(clone, true_key, pred_key, weight_key), expected, rtol=1e-5, atol=1e-6
    )
    rebuilt = metrics.deserialize(keras.metrics.serialize(theirs))
    assert type(rebuilt) is type(ours)


FUNCTIONS = [
    ("binary_accuracy", "bin_true", "bin_pred"),
    ("categorical_accuracy", "onehot", "scores"),
    ("sparse_categorical_accuracy", "labels", "scores"),
    ("top_k_categorical_accuracy", "onehot", "scores"),
    ("sparse_top_k_categorical_accuracy", "labels", "scores"),
    ("pearson_correlation", "reg_true", "reg_pred"),
    ("concordance_correlation", "reg_true", "reg_pred"),
    ("binary_crossentropy", "bin_true", "bin_pred"),
    ("binary_focal_crossentropy", "bin_true", "bin_pred"),
    ("categorical_crossentropy", "onehot", "scores"),
    ("categorical_focal_crossentropy", "onehot", "scores"),
    ("sparse_categorical_crossentropy", "labels", "scores"),
    ("categorical_hinge", "onehot", "scores"),
    ("hinge", "multi_true", "scores"),
    ("squared_hinge", "multi_true", "scores"),
    ("huber", "reg_true", "reg_pred"),
    ("kl_divergence", "onehot", "scores"),
    ("log_cosh", "reg_true", "reg_pred"),
    ("mean_absolute_error", "reg_true", "reg_pred"),
    ("mean_absolute_percentage_error", "reg_true", "reg_pred"),
    ("mean_squared_error", "reg_true", "reg_pred"),
    ("mean_squared_logarithmic_error", "multi_true", "scores"),
    ("poisson", "multi_true", "scores"),
]


@pytest.mark.parametrize("name, true_key, pred_key", FUNCTIONS)
def test_function_forms_match_keras(name, true_key, pred_key):
    kwargs = {"k": 2} if "top_k" in name else {}
    ours = getattr(metrics, name)(B1[true_key], B1[pred_key], **kwargs)
    theirs = getattr(keras.metrics, name)(B1[true_key], B1[pred_key], **kwargs)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(ours), keras.ops.convert_to_numpy(theirs), rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize(
    "name", ["r2_score", "mean_io_u", "true_positives", "pearson_correlation", "R2Score", "MeanIoU"]
)
def test_get_by_name(name):
    kwargs = {"num_classes": 2} if "io_u" in name or "IoU" in name else {}
    if kwargs:
        with pytest.raises(TypeError):
            metrics.get(name)
    else:
        assert type(metrics.get(name)).__name__ == type(keras.metrics.get(name)).__name__


def test_bad_targets_are_rejected():
    with pytest.raises(ValueError, match="out of range"):
        metrics.IoU(num_classes=2, target_class_ids=[2])
    with pytest.raises(ValueError, match="specificity"):
        metrics.SensitivityAtSpecificity(1.5)
    with pytest.raises(ValueError, match="class_aggregation"):
        metrics.R2Score(class_aggregation="median")
    with pytest.raises(ValueError, match="2D inputs"):
        metrics.R2Score().update_state(np.zeros(3), np.zeros(3))
