"""fit/evaluate/predict inputs: generators and iterables of batches with steps_per_epoch /
validation_steps, PyDataset, class_weight, sample_weight, validation_freq, shuffle modes."""

import warnings

import numpy as np
import pytest

import numkeras
from numkeras import callbacks, layers
from numkeras.models.data import ArrayData, class_weight_to_sample_weights
from numkeras.utils import PyDataset

RNG = np.random.default_rng(1)
X = RNG.standard_normal((24, 3)).astype("float32")
Y = (X.sum(1, keepdims=True) > 0).astype("float32")
SW = RNG.uniform(0.5, 2.0, 24).astype("float32")


def tiny_model(seed=0, metrics=None):
    numkeras.utils.set_random_seed(seed)
    model = numkeras.Sequential(
        [
            layers.Input((3,)),
            layers.Dense(4, activation="tanh"),
            layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile("adam", "binary_crossentropy", metrics=metrics)
    return model


def batches(x, y, sw=None, size=8):
    for start in range(0, len(x), size):
        part = (x[start : start + size], y[start : start + size])
        yield part if sw is None else part + (sw[start : start + size],)


def assert_same_weights(a, b):
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)


class Batches(PyDataset):
    def __init__(self, x, y, size=8, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.size = x, y, size
        self.visits, self.epochs_ended = [], 0

    def __len__(self):
        return -(-len(self.x) // self.size)

    def __getitem__(self, index):
        self.visits.append(index)
        rows = slice(index * self.size, (index + 1) * self.size)
        return self.x[rows], self.y[rows]

    def on_epoch_end(self):
        self.epochs_ended += 1


# --- generators and iterables ----------------------------------------------------------------
def test_generator_with_sample_weights_trains_like_arrays():
    reference, model = tiny_model(), tiny_model()
    reference.fit(X, Y, sample_weight=SW, batch_size=8, epochs=1, shuffle=False, verbose=0)
    history = model.fit(batches(X, Y, SW), epochs=1, verbose=0)
    assert_same_weights(model, reference)
    assert history.history["loss"] == reference.history.history["loss"]


def test_generator_with_steps_per_epoch_carries_on_across_epochs():
    served = []

    def endless():
        i = 0
        while True:
            served.append(i)
            yield X[i % 3 * 8 : (i % 3 + 1) * 8], Y[i % 3 * 8 : (i % 3 + 1) * 8]
            i += 1

    model = tiny_model()
    history = model.fit(
        endless(),
        steps_per_epoch=2,
        epochs=3,
        verbose=0,
        validation_data=endless(),
        validation_steps=1,
    )
    assert history.epoch == [0, 1, 2] and len(history.history["val_loss"]) == 3
    assert len(served) == 6 + 3  # never restarted: 2 training + 1 validation batch per epoch


def test_generator_running_out_warns_and_stops():
    model = tiny_model()
    with pytest.warns(UserWarning, match="ran out of data"):
        history = model.fit(batches(X, Y), steps_per_epoch=2, epochs=3, verbose=0)
    assert history.epoch == [0, 1]  # 3 batches: epoch 2 has one, then there is nothing left
    with pytest.warns(UserWarning, match="ran out of data"):
        history = model.fit(batches(X, Y), epochs=3, verbose=0)  # one pass only
    assert history.epoch == [0]


def test_reiterable_is_read_once_per_epoch():
    class Loader:
        def __iter__(self):
            return batches(X, Y)

    reference, model = tiny_model(), tiny_model()
    reference.fit(X, Y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(Loader(), epochs=3, verbose=0)
    assert_same_weights(model, reference)


def test_evaluate_and_predict_take_generators():
    model = tiny_model(metrics=["accuracy"])
    expected = model.evaluate(X, Y, batch_size=8, verbose=0)
    assert model.evaluate(batches(X, Y), verbose=0) == expected
    assert model.evaluate(batches(X, Y), steps=3, verbose=0) == expected
    outputs = model.predict(X, verbose=0)
    np.testing.assert_array_equal(model.predict(batches(X, Y), verbose=0), outputs)
    bare = (X[i : i + 5] for i in range(0, 24, 5))  # x alone, uneven batches
    np.testing.assert_array_equal(model.predict(bare, verbose=0), outputs)
    np.testing.assert_array_equal(model.predict(X, steps=3, verbose=0), outputs)  # 3 of 8


def test_progress_bar_counts_an_unknown_number_of_steps(capsys):
    tiny_model().fit(batches(X, Y), epochs=1, verbose=2)
    assert capsys.readouterr().out.startswith("3/3 - ")


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda m: m.fit(batches(X, Y), Y, verbose=0), "`y` should not be passed"),
        (lambda m: m.fit(batches(X, Y), sample_weight=SW, verbose=0), "`sample_weights` should"),
        (lambda m: m.fit(batches(X, Y), class_weight={0: 2}, verbose=0), "not supported for"),
        (lambda m: m.fit(batches(X, Y), validation_split=0.2, verbose=0), "only supported for"),
        (lambda m: m.fit(iter([(X, Y, SW, SW)]), verbose=0), "received a tuple of 4"),
        (lambda m: m.fit(Batches(X, Y), Y, verbose=0), "as a PyDataset, `y` should not"),
        (lambda m: m.predict(iter([]), verbose=0), "received no batches"),  # (and a warning)
        (
            lambda m: m.fit(X, Y, validation_data=(X, Y), validation_freq="2", verbose=0),
            "`validation_freq` to be a list or int",
        ),
    ],
)
@pytest.mark.filterwarnings("ignore:Your prediction data ran out")
def test_bad_inputs(call, match):
    with pytest.raises(ValueError, match=match):
        call(tiny_model())


# --- PyDataset -------------------------------------------------------------------------------
def test_py_dataset_trains_like_arrays_and_calls_on_epoch_end():
    data = Batches(X, Y)
    reference, model = tiny_model(), tiny_model()
    reference.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    model.fit(data, epochs=2, shuffle=False, verbose=0)
    assert_same_weights(model, reference)
    assert data.visits == [0, 1, 2, 0, 1, 2] and data.epochs_ended == 2
    assert model.evaluate(data, verbose=0) == reference.evaluate(X, Y, batch_size=8, verbose=0)
    assert model.predict(Batches(X, Y), verbose=0).shape == (24, 1)


def test_py_dataset_shuffle_visits_every_batch_once_per_epoch():
    data = Batches(X, Y, size=4)
    numkeras.utils.set_random_seed(5)
    tiny_model().fit(data, epochs=3, verbose=0)  # shuffle=True by default
    epochs = [data.visits[i : i + 6] for i in range(0, 18, 6)]
    assert all(sorted(e) == list(range(6)) for e in epochs)
    assert len({tuple(e) for e in epochs}) > 1


def test_py_dataset_threads_give_the_same_batches():
    one, many = tiny_model(), tiny_model()
    one.fit(Batches(X, Y, size=4), epochs=2, shuffle=False, verbose=0)
    many.fit(Batches(X, Y, size=4, workers=3, max_queue_size=2), epochs=2, shuffle=False, verbose=0)
    assert_same_weights(one, many)


def test_py_dataset_base_and_sequence_alias():
    assert numkeras.utils.Sequence is PyDataset

    class Endless(PyDataset):
        def __getitem__(self, index):
            return X[:2], Y[:2]

        @property
        def num_batches(self):
            return None

    history = tiny_model().fit(Endless(), steps_per_epoch=3, epochs=2, verbose=0)
    assert history.epoch == [0, 1]

    class NoSuper(PyDataset):
        def __init__(self):
            pass

    with pytest.warns(UserWarning, match="should call `super"):
        assert NoSuper().workers == 1


# --- class_weight, sample_weight -------------------------------------------------------------
@pytest.mark.oracle
@pytest.mark.parametrize(
    "labels",
    [
        np.array([0, 1, 2, 1, 0, 3]),
        np.array([[0.0], [1.0], [1.0], [0.0], [1.0], [1.0]]),
        np.eye(4)[[0, 3, 2, 2, 1, 0]],
    ],
)
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # Keras's own, under NumPy 2
def test_class_weight_to_sample_weights(labels):
    class_weight = {0: 0.5, 1: 2.0, 2: 3.0}  # class 3 unlisted: weight 1
    ours = class_weight_to_sample_weights(labels, class_weight)
    sparse = labels.argmax(-1) if labels.ndim == 2 and labels.shape[1] > 1 else labels.ravel()
    expected = [class_weight.get(int(c), 1.0) for c in sparse]
    np.testing.assert_array_equal(ours, np.array(expected, "float32"))
    keras_utils = pytest.importorskip("keras.src.trainers.data_adapters.data_adapter_utils")
    np.testing.assert_array_equal(
        ours, keras_utils.class_weight_to_sample_weights(labels, class_weight)
    )


def test_class_weight_trains_like_sample_weight():
    class_weight = {0: 0.25, 1: 3.0}
    weights = np.where(Y.ravel() == 1, 3.0, 0.25).astype("float32")
    a, b = tiny_model(), tiny_model()
    a.fit(X, Y, class_weight=class_weight, batch_size=8, epochs=2, shuffle=False, verbose=0)
    b.fit(X, Y, sample_weight=weights, batch_size=8, epochs=2, shuffle=False, verbose=0)
    assert_same_weights(a, b)
    c = tiny_model()
    c.fit(Batches(X, Y), class_weight=class_weight, epochs=2, shuffle=False, verbose=0)
    assert_same_weights(a, c)
    with pytest.raises(ValueError, match="`class_weight` and `sample_weight`"):
        a.fit(X, Y, class_weight=class_weight, sample_weight=weights, verbose=0)
    with pytest.raises(ValueError, match="single output"):
        a.fit(X, [Y, Y], class_weight=class_weight, verbose=0)


# --- validation_freq, steps with arrays, shuffle modes ---------------------------------------
@pytest.mark.parametrize("freq, validated", [(2, [1, 3]), ([1, 4], [0, 3]), (1, [0, 1, 2, 3])])
def test_validation_freq(freq, validated):
    seen = []
    record = callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: seen.append("val_loss" in logs)
    )
    tiny_model().fit(
        X, Y, epochs=4, validation_data=(X, Y), validation_freq=freq, callbacks=[record], verbose=0
    )
    assert [i for i, v in enumerate(seen) if v] == validated


def test_steps_per_epoch_with_arrays():
    record = []
    count = callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: record.append(b))
    model = tiny_model()
    model.fit(X, Y, steps_per_epoch=4, epochs=1, callbacks=[count], verbose=0)
    assert record == [0, 1, 2, 3]  # batch_size = ceil(24 / 4) = 6
    record.clear()
    with pytest.warns(UserWarning, match="ran out of data"):
        history = model.fit(
            X, Y, batch_size=8, steps_per_epoch=2, epochs=3, callbacks=[count], verbose=0
        )
    # 3 batches per pass: epochs take 2, then 1 (the pass ends, a new one starts), then 2
    assert record == [0, 1, 0, 0, 1] and history.epoch == [0, 1, 2]


def test_shuffle_modes():
    data = ArrayData(np.arange(10, dtype="float32")[:, None])
    plain = [b[0].ravel().tolist() for b in data.batches(4)]
    numkeras.utils.set_random_seed(0)
    within = [b[0].ravel().tolist() for b in data.batches(4, shuffle="batch")]
    assert [sorted(b) for b in within] == plain and within != plain  # same batches, new order
    numkeras.utils.set_random_seed(0)
    full = [b[0].ravel().tolist() for b in data.batches(4, shuffle=True)]
    assert sorted(sum(full, [])) == list(range(10)) and [sorted(b) for b in full] != plain
