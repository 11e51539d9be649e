"""fit/evaluate/predict semantics: validation_split, shuffling, progress output, results."""

import io
import subprocess
import sys

import numpy as np
import pytest

import numkeras
from numkeras import layers


class Recorder(numkeras.Sequential):
    """A model whose steps record which samples they saw (x holds the sample index)."""

    def train_step(self, data):
        self.seen_train.append(np.asarray(data[0]).ravel().copy())
        return super().train_step(data)

    def test_step(self, data):
        self.seen_val.append(np.asarray(data[0]).ravel().copy())
        return super().test_step(data)


def recorder():
    model = Recorder([layers.Input((1,)), layers.Dense(1)])
    model.seen_train, model.seen_val = [], []
    model.compile("sgd", "mse")
    return model


def test_validation_split_takes_the_last_fraction_and_shuffles_only_training():
    x = np.arange(10, dtype="float32")[:, None]
    numkeras.utils.set_random_seed(0)
    model = recorder()
    model.fit(x, x, batch_size=4, epochs=2, validation_split=0.2, verbose=0)
    first, second = np.concatenate(model.seen_train[:2]), np.concatenate(model.seen_train[2:])
    assert sorted(first) == list(range(8)) and sorted(second) == list(range(8))
    assert not np.array_equal(first, second)  # a fresh shuffle each epoch
    assert [list(v) for v in model.seen_val] == [[8.0, 9.0], [8.0, 9.0]]


def test_shuffle_false_keeps_order_and_last_partial_batch():
    x = np.arange(10, dtype="float32")[:, None]
    model = recorder()
    model.fit(x, x, batch_size=4, shuffle=False, verbose=0)
    assert [list(v) for v in model.seen_train] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_seeded_shuffles_repeat_and_differ_per_epoch():
    x = np.arange(12, dtype="float32")[:, None]
    runs = []
    for _ in range(2):
        numkeras.utils.set_random_seed(3)
        model = recorder()
        model.fit(x, x, batch_size=12, epochs=2, verbose=0)
        runs.append([list(v) for v in model.seen_train])
    assert runs[0] == runs[1]
    assert runs[0][0] != runs[0][1]


def small_model():
    numkeras.utils.set_random_seed(0)
    model = numkeras.Sequential([layers.Input((3,)), layers.Dense(2, activation="softmax")])
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    return model


def data(n=20):
    rng = np.random.default_rng(0)
    return rng.random((n, 3), dtype="float32"), numkeras.utils.to_categorical(
        rng.integers(0, 2, n), 2
    )


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_into_a_file_is_one_clean_line_per_epoch(monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    x, y = data()
    small_model().fit(x, y, batch_size=8, epochs=2, validation_split=0.2)
    lines = out.getvalue().splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and len(lines) == 4
    assert lines[1].startswith("2/2 ━━━━━━━━━━━━━━━━━━━━ ")
    keys = [part.split(":")[0] for part in lines[1].split(" - ")[1:]]
    assert keys == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert "\r" not in out.getvalue() and "\b" not in out.getvalue()


def test_progress_on_a_terminal_redraws_in_place(monkeypatch):
    out = FakeTerminal()
    monkeypatch.setattr(sys, "stdout", out)
    x, y = data()
    small_model().fit(x, y, batch_size=8, epochs=1)
    assert "\r" in out.getvalue() and "3/3" in out.getvalue()


def test_verbose_2_prints_one_summary_line(monkeypatch):
    out = FakeTerminal()
    monkeypatch.setattr(sys, "stdout", out)
    x, y = data()
    small_model().fit(x, y, batch_size=8, epochs=1, verbose=2)
    text = out.getvalue()
    assert text.startswith("3/3 - ") and "\r" not in text and text.count("\n") == 1


def test_displayed_loss_is_the_batch_size_weighted_mean_of_batch_losses():
    x, y = data(10)
    model = small_model()
    weights = model.get_weights()
    history = model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    check = small_model()
    check.set_weights(weights)
    losses = [check.train_on_batch(x[i : i + 4], y[i : i + 4])[0] for i in (0, 4, 8)]
    expected = (4 * losses[0] + 4 * losses[1] + 2 * losses[2]) / 10
    assert history.history["loss"][0] == pytest.approx(expected, rel=1e-6)


def test_evaluate_and_predict_return_keras_types():
    x, y = data()
    model = small_model()
    score = model.evaluate(x, y, verbose=0)
    assert isinstance(score, list) and len(score) == 2
    assert set(model.evaluate(x, y, verbose=0, return_dict=True)) == {"loss", "accuracy"}
    prediction = model.predict(x, verbose=0)
    assert prediction.dtype == np.float32 and prediction.shape == (20, 2)
    np.testing.assert_allclose(prediction, model(x).numpy(), rtol=1e-6)
    model.compile("adam", "categorical_crossentropy")
    assert isinstance(model.evaluate(x, y, verbose=0), float)


def test_predict_records_no_graph():
    model = small_model()
    out = model(np.ones((2, 3), "float32"))
    assert not out.requires_grad and out.parents == ()


@pytest.mark.slow
def test_cli_tutorial_end_to_end(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "numkeras",
            "tutorial",
            "--epochs",
            "1",
            "--train-samples",
            "1000",
            "--output",
            str(tmp_path),
            "--seed",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for text in (
        "x_train: (1000, 28, 28)",
        "x_test: (10000, 28, 28)",
        "Total params: 34,826",
        "8/8",
        "Test accuracy:",
        "Predicted:",
        "Labels:    [7 2 1 0 4 1 4 9 5 9",
    ):
        assert text in out, text
    assert any(p.name.startswith("mnist_cnn") for p in tmp_path.iterdir())


def test_cli_help():
    result = subprocess.run(
        [sys.executable, "-m", "numkeras", "tutorial", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert "--epochs" in result.stdout and "--batch-size" in result.stdout


def test_sequential_build_keeps_a_lambda_output_shape():
    model = numkeras.Sequential(
        [layers.Input((3,)), layers.Lambda(lambda x: x[:, :2], output_shape=(2,)), layers.Dense(1)]
    )
    assert model.layers[0].compute_output_shape((None, 3)) == (None, 2)
