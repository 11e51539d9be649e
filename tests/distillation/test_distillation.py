"""keras.distillation: the losses on fixed outputs, a Distiller's fit and evaluate logs
against real Keras from the same weights, configs and `.keras` files read both ways."""

import os
import warnings

import numpy as np
import pytest

import numkeras
from numkeras import distillation


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pytest.importorskip("keras")


def _pair(lib, student_units=5):
    def model(units, name):
        inputs = lib.Input((4,))
        hidden = lib.layers.Dense(units, activation="relu", name="hidden")(inputs)
        return lib.Model(inputs, lib.layers.Dense(3, name="logits")(hidden), name=name)

    return model(8, "teacher"), model(student_units, "student")


def _value(keras, x):
    return float(keras.ops.convert_to_numpy(x))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize(
    "loss", ["kl_divergence", "categorical_crossentropy", "mse", "cosine_similarity", "KLD"]
)
def test_losses_match_keras_on_fixed_outputs(keras, loss):
    rng = np.random.default_rng(0)
    teacher, student = (rng.normal(size=(8, 3)).astype("float32") * 2 for _ in range(2))
    theirs = keras.distillation.LogitsDistillation(2.0, loss).compute_loss(teacher, student)
    ours = distillation.LogitsDistillation(2.0, loss).compute_loss(teacher, student)
    np.testing.assert_allclose(float(ours.numpy()), _value(keras, theirs), rtol=1e-6)
    theirs = keras.distillation.FeatureDistillation(loss).compute_loss(teacher, student)
    ours = distillation.FeatureDistillation(loss).compute_loss(teacher, student)
    np.testing.assert_allclose(float(ours.numpy()), _value(keras, theirs), rtol=1e-6)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_kl_loss_object_softmax_path_and_structures_match_keras(keras):
    rng = np.random.default_rng(1)
    t = [rng.normal(size=(6, 3)).astype("float32") for _ in range(2)]
    s = [rng.normal(size=(6, 3)).astype("float32") for _ in range(2)]
    # a KLDivergence object: softmax of both sides, scaled by T**2; None skips an output
    theirs = keras.distillation.LogitsDistillation(3.0, [keras.losses.KLDivergence(), None])
    ours = distillation.LogitsDistillation(3.0, [numkeras.losses.KLDivergence(), None])
    np.testing.assert_allclose(
        float(ours.compute_loss(t, s).numpy()), _value(keras, theirs.compute_loss(t, s)), rtol=1e-6
    )
    theirs = keras.distillation.FeatureDistillation({"a": "mae", "b": "mse"})
    ours = distillation.FeatureDistillation({"a": "mae", "b": "mse"})
    t, s = dict(zip("ab", t)), dict(zip("ab", s))
    np.testing.assert_allclose(
        float(ours.compute_loss(t, s).numpy()), _value(keras, theirs.compute_loss(t, s)), rtol=1e-6
    )


def test_loss_argument_errors():
    with pytest.raises(ValueError, match="temperature must be positive"):
        distillation.LogitsDistillation(0.0)
    with pytest.raises(ValueError, match="temperature must be a number"):
        distillation.LogitsDistillation("3")
    with pytest.raises(ValueError, match="At least one loss must be non-`None`"):
        distillation.LogitsDistillation(loss=[None, None])
    with pytest.raises(ValueError, match="at least one non-`None` value"):
        distillation.FeatureDistillation(loss=None)
    with pytest.raises(ValueError, match="Unknown loss function: 'msee'"):
        distillation.FeatureDistillation(loss="msee")
    with pytest.raises(ValueError, match="Loss structure mismatch"):
        distillation.FeatureDistillation(["mse", "mse"]).validate_outputs(
            [np.ones(2)] * 3, [np.ones(2)] * 3
        )
    with pytest.raises(NotImplementedError):
        distillation.DistillationLoss().compute_loss(None, None)


def test_distiller_argument_errors():
    teacher, student = _pair(numkeras)
    logits = distillation.LogitsDistillation()
    with pytest.raises(ValueError, match="Teacher must be a keras.Model"):
        distillation.Distiller(teacher.layers[1], student, logits)
    with pytest.raises(ValueError, match="student_loss_weight must be between 0.0 and 1.0"):
        distillation.Distiller(teacher, student, logits, student_loss_weight=1.5)
    with pytest.raises(ValueError, match="cannot be `None`"):
        distillation.Distiller(teacher, student, None)
    with pytest.raises(ValueError, match=r"Number of distillation_loss_weights \(1\)"):
        distillation.Distiller(teacher, student, [logits, logits], [1.0])
    with pytest.raises(ValueError, match="In teacher model: No such layer: nope"):
        distillation.Distiller(teacher, student, distillation.FeatureDistillation("mse", "nope"))
    inputs = numkeras.Input((5,))
    wider = numkeras.Model(inputs, numkeras.layers.Dense(3)(inputs))
    with pytest.raises(ValueError, match="input shapes are incompatible"):
        distillation.Distiller(teacher, wider, logits)
    distiller = distillation.Distiller(teacher, student, logits)
    assert not teacher.trainable and distiller.trainable_weights == student.trainable_weights
    with pytest.raises(ValueError, match="'loss' cannot be `None`"):
        distiller.compile("adam")
    with pytest.raises(ValueError, match="metrics must be a list or tuple"):
        distiller.compile("adam", loss="mse", metrics="mae")


CASES = [
    (lambda d: d.LogitsDistillation(2.0), None, 0.3, 5),
    (
        lambda d: [
            d.LogitsDistillation(2.0, LOSSES[d]["kl"]()),
            d.FeatureDistillation("mse", "hidden", "hidden"),
        ],
        [1.0, 0.5],
        0.5,
        8,
    ),
    (
        lambda d: [
            d.FeatureDistillation("cosine_similarity", "logits", "logits"),
            d.LogitsDistillation(4.0, "categorical_crossentropy"),
        ],
        [0.7, 0.2],
        0.0,
        5,
    ),
]
LOSSES = {}


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("case", range(len(CASES)))
def test_fit_and_evaluate_logs_match_keras(keras, case):
    LOSSES[keras.distillation] = {"kl": keras.losses.KLDivergence}
    LOSSES[distillation] = {"kl": numkeras.losses.KLDivergence}
    losses, weights, student_weight, units = CASES[case]
    x = np.random.default_rng(0).normal(size=(16, 4)).astype("float32")
    y = np.arange(16) % 3
    theirs_pair, ours_pair = _pair(keras, units), _pair(numkeras, units)
    for a, b in zip(theirs_pair, ours_pair):
        b.set_weights([keras.ops.convert_to_numpy(v) for v in a.weights])
    theirs = keras.distillation.Distiller(
        *theirs_pair, losses(keras.distillation), weights, student_loss_weight=student_weight
    )
    ours = distillation.Distiller(
        *ours_pair, losses(distillation), weights, student_loss_weight=student_weight
    )
    theirs.compile(
        keras.optimizers.SGD(0.1),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    ours.compile(
        numkeras.optimizers.SGD(0.1),
        loss=numkeras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    # one fixed batch before training: the loss parts as Keras computes them
    before_theirs = theirs.evaluate(x[:8], y[:8], verbose=0, return_dict=True)
    before_ours = ours.evaluate(x[:8], y[:8], verbose=0, return_dict=True)
    assert (
        before_ours.keys()
        == before_theirs.keys()
        == {
            "accuracy",
            "distillation_loss",
            "loss",
            "student_loss",
            "total_loss",
        }
    )
    for key, value in before_theirs.items():
        np.testing.assert_allclose(before_ours[key], value, rtol=1e-5, atol=1e-6)
    their_history = theirs.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0).history
    our_history = ours.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0).history
    assert our_history.keys() == their_history.keys()
    for key, values in their_history.items():
        np.testing.assert_allclose(our_history[key], values, rtol=1e-5, atol=1e-6)
    for a, b in zip(theirs.student.weights, ours.student.weights):
        np.testing.assert_allclose(b.numpy(), keras.ops.convert_to_numpy(a), rtol=1e-5, atol=1e-6)
    for a, b in zip(theirs.teacher.weights, ours.teacher.weights):  # the teacher is frozen
        np.testing.assert_array_equal(b.numpy(), keras.ops.convert_to_numpy(a))
    np.testing.assert_allclose(
        ours.predict(x, verbose=0), ours.student.predict(x, verbose=0), rtol=1e-6
    )


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_config_and_keras_files_both_ways(keras, tmp_path):
    x = np.random.default_rng(0).normal(size=(16, 4)).astype("float32")
    y = np.arange(16) % 3

    def distiller(lib):
        d = lib.distillation
        made = d.Distiller(
            *_pair(lib, 8),
            [d.LogitsDistillation(2.0), d.FeatureDistillation("mse", "hidden", "hidden")],
            [1.0, 0.5],
            student_loss_weight=0.3,
        )
        made.compile("adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        made.fit(x, y, batch_size=8, verbose=0)
        return made

    ours, theirs = distiller(numkeras), distiller(keras)
    config, their_config = ours.get_config(), theirs.get_config()
    for key in ("distillation_losses", "distillation_loss_weights", "student_loss_weight"):
        assert config[key] == their_config[key]
    again = distillation.Distiller.from_config(config)
    assert [type(d).__name__ for d in again.distillation_losses] == [
        "LogitsDistillation",
        "FeatureDistillation",
    ]
    assert again.distillation_losses[1].student_layer_name == "hidden"

    ours.save(tmp_path / "ours.keras")
    theirs.save(tmp_path / "theirs.keras")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Keras's "compile() was not called"
        loaded = keras.saving.load_model(tmp_path / "ours.keras")
    assert type(loaded).__name__ == "Distiller"
    for a, b in zip(loaded.weights, ours.weights):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(a), b.numpy())
    # Keras doesn't compile a model whose class has its own compile(), and neither do we
    with pytest.warns(UserWarning, match="`compile\\(\\)` was not called"):
        back = numkeras.models.load_model(tmp_path / "theirs.keras")
    assert type(back) is distillation.Distiller and not back.compiled
    assert not back.teacher.trainable and back.student_loss_weight == 0.3
    for a, b in zip(theirs.weights, back.weights):
        np.testing.assert_array_equal(b.numpy(), keras.ops.convert_to_numpy(a))
    np.testing.assert_allclose(
        back.predict(x, verbose=0),
        keras.ops.convert_to_numpy(theirs.predict(x, verbose=0)),
        rtol=1e-5,
        atol=1e-6,
    )


def test_a_compiled_teachers_metrics_stay_out_of_the_logs():
    x = np.random.default_rng(0).normal(size=(16, 4)).astype("float32")
    y = np.arange(16) % 3
    teacher, student = _pair(numkeras)
    teacher.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    teacher.fit(x, y, verbose=0)
    distiller = distillation.Distiller(teacher, student, distillation.LogitsDistillation())
    distiller.compile("adam", loss="sparse_categorical_crossentropy")
    assert [m.name for m in distiller.metrics] == [
        "loss",
        "compile_metrics",
        "student_loss",
        "distillation_loss",
        "total_loss",
    ]
    logs = distiller.fit(x, y, verbose=0).history
    assert sorted(logs) == ["distillation_loss", "loss", "student_loss", "total_loss"]
    loss, student_loss, distillation_loss, total = distiller.evaluate(x, y, verbose=0)
    assert loss == total
    np.testing.assert_allclose(total, 0.5 * student_loss + 0.5 * distillation_loss, rtol=1e-5)
