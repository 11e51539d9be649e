"""Keras masks between layers: passed to `call(mask=)`, kept by layers that support masking,
computed by `compute_mask`, dropped (with Keras's warning) by the others; real Keras agrees."""

import warnings

import numpy as np
import pytest

from numkeras import Input, Layer, Model, Sequential, layers, ops
from numkeras.models import load_model

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
TOKENS = np.array([[3, 5, 2, 0, 0], [1, 4, 0, 0, 0], [6, 2, 7, 1, 9]])
KEPT = TOKENS != 0


def _mask(t):
    mask = getattr(t, "_keras_mask", None)
    return None if mask is None else np.asarray(ops.convert_to_numpy(mask))


def _copy_weights(ours, theirs):
    """Give both models the same random weights (ours are the source)."""
    rng = np.random.default_rng(0)
    for v in ours.weights:
        v.assign((rng.standard_normal(v.shape) * 0.4).astype("float32"))
    theirs.set_weights(ours.get_weights())


def _embed():
    return layers.Embedding(10, 4, mask_zero=True)


# --- passing masks on -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "make",
    [
        lambda: layers.Dense(3),
        lambda: layers.Dropout(0.5),
        lambda: layers.Activation("relu"),
        lambda: layers.ReLU(),
        lambda: layers.LayerNormalization(),
        lambda: layers.Identity(),
        lambda: layers.BatchNormalization(),
        lambda: layers.GaussianNoise(0.1),
        lambda: layers.TimeDistributed(layers.Dense(2)),
    ],
)
def test_layers_that_support_masking_keep_the_mask(make):
    y = make()(_embed()(TOKENS))
    np.testing.assert_array_equal(_mask(y), KEPT)


@pytest.mark.parametrize(
    "make",
    [lambda: layers.Flatten(), lambda: layers.Conv1D(2, 2), lambda: layers.Lambda(lambda x: x * 2)],
)
def test_other_layers_drop_the_mask_with_keras_warning(make):
    with pytest.warns(UserWarning, match="does not support masking"):
        y = make()(_embed()(TOKENS))
    assert _mask(y) is None


def test_call_receives_the_mask_the_input_carries():
    seen = []

    class Probe(Layer):
        def call(self, inputs, mask=None):
            seen.append(None if mask is None else np.asarray(mask))
            return inputs

    with pytest.warns(UserWarning, match="does not support masking"):  # as Keras
        Probe()(_embed()(TOKENS))
    Probe()(np.ones((3, 5, 4), "float32"))
    np.testing.assert_array_equal(seen[0], KEPT)
    assert seen[1] is None


def test_an_explicit_mask_wins_over_the_carried_one():
    class Probe(Layer):
        def call(self, inputs, mask=None):
            self.got = np.asarray(mask)
            return inputs

    probe, mine = Probe(), np.ones((3, 5), bool)
    probe(_embed()(TOKENS), mask=mine)
    np.testing.assert_array_equal(probe.got, mine)


def test_compute_mask_and_supports_masking_set_in_init():
    class FirstStepsOnly(Layer):
        def call(self, inputs):
            return inputs * 1.0  # a new tensor (the input already carries a mask)

        def compute_mask(self, inputs, mask=None):
            return ops.logical_and(np.arange(inputs.shape[1]) < 2, mask)

    class PassThrough(Layer):
        def __init__(self):
            super().__init__()
            self.supports_masking = True

    x = _embed()(TOKENS)
    assert FirstStepsOnly().supports_masking and not Layer().supports_masking
    np.testing.assert_array_equal(_mask(FirstStepsOnly()(x)), KEPT & (np.arange(5) < 2))
    np.testing.assert_array_equal(_mask(PassThrough()(x)), KEPT)


def test_lambda_passes_a_mask_only_when_given_one():
    x = _embed()(TOKENS)
    y = layers.Lambda(lambda t: t * 2, mask=lambda inputs, mask: mask)(x)
    np.testing.assert_array_equal(_mask(y), KEPT)


def test_pooling_and_dot_consume_the_mask_without_warning():
    x = _embed()(TOKENS)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pooled = layers.GlobalAveragePooling1D()(x)
        dotted = layers.Dot(axes=2)([x, x])
    assert _mask(pooled) is None and _mask(dotted) is None
    expected = (x.numpy() * KEPT[..., None]).sum(1) / KEPT.sum(1, keepdims=True)
    np.testing.assert_allclose(pooled.numpy(), expected, rtol=1e-6)


# --- against real Keras --------------------------------------------------------------------------
def test_dense_between_embedding_and_lstm_keeps_the_mask_as_keras(keras):
    def build(lib):
        return lib.Sequential(
            [
                lib.Input((5,), dtype="int32"),
                lib.layers.Embedding(10, 4, mask_zero=True),
                lib.layers.Dense(6, activation="tanh"),
                lib.layers.LSTM(3),
            ]
        )

    ours, theirs = build(__import__("numkeras")), build(keras)
    _copy_weights(ours, theirs)
    expected = keras.ops.convert_to_numpy(theirs(TOKENS))
    np.testing.assert_allclose(ours(TOKENS).numpy(), expected, rtol=1e-5, atol=1e-6)
    unmasked = ours.layers[2](ours.layers[1](ours.layers[0](TOKENS)), mask=np.ones((3, 5), bool))
    assert not np.allclose(unmasked.numpy(), expected, atol=1e-3)  # the mask mattered


@pytest.mark.parametrize("merge", ["Add", "Maximum", "Concatenate", "Average"])
def test_merging_masks_as_keras(keras, merge):
    other = np.array([[0, 0, 2, 3, 0], [1, 0, 0, 4, 0], [6, 0, 7, 0, 9]])
    ours_emb, theirs_emb = _embed(), keras.layers.Embedding(10, 4, mask_zero=True)
    ours_emb(TOKENS), theirs_emb(TOKENS)
    theirs_emb.set_weights(ours_emb.get_weights())
    ours = getattr(layers, merge)()([ours_emb(TOKENS), ours_emb(other)])
    theirs = getattr(keras.layers, merge)()([theirs_emb(TOKENS), theirs_emb(other)])
    np.testing.assert_array_equal(_mask(ours), keras.ops.convert_to_numpy(theirs._keras_mask))


def test_concatenate_with_an_unmasked_input_as_keras(keras):
    x = np.random.default_rng(1).standard_normal((3, 5, 2)).astype("float32")
    ours_emb = layers.Embedding(10, 2, mask_zero=True)
    theirs_emb = keras.layers.Embedding(10, 2, mask_zero=True)
    ours_emb(TOKENS), theirs_emb(TOKENS)
    theirs_emb.set_weights(ours_emb.get_weights())
    ours = layers.Concatenate(axis=1)([ours_emb(TOKENS), x])
    theirs = keras.layers.Concatenate(axis=1)([theirs_emb(TOKENS), keras.ops.convert_to_tensor(x)])
    np.testing.assert_array_equal(_mask(ours), keras.ops.convert_to_numpy(theirs._keras_mask))


@pytest.mark.parametrize("merge_mode", ["concat", None])
def test_bidirectional_output_masks_as_keras(keras, merge_mode):
    ours = layers.Bidirectional(layers.GRU(2, return_sequences=True), merge_mode=merge_mode)
    outputs = ours(_embed()(TOKENS))
    for out in outputs if merge_mode is None else [outputs]:
        np.testing.assert_array_equal(_mask(out), KEPT)


def test_functional_model_loss_ignores_masked_steps_as_keras(keras):
    """A masked sequence output: padded steps count in neither the loss nor the metric."""

    def build(lib):
        tokens = lib.Input((5,), dtype="int32")
        h = lib.layers.Embedding(10, 4, mask_zero=True)(tokens)
        h = lib.layers.SimpleRNN(3, return_sequences=True)(h)
        out = lib.layers.Dense(2, activation="softmax")(h)
        model = lib.Model(tokens, out)
        model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
        return model

    ours, theirs = build(__import__("numkeras")), build(keras)
    _copy_weights(ours, theirs)
    y = (TOKENS % 2)[..., None]
    expected = theirs.evaluate(TOKENS, y, verbose=0)
    np.testing.assert_allclose(ours.evaluate(TOKENS, y, verbose=0), expected, rtol=1e-5)
    np.testing.assert_array_equal(_mask(ours(TOKENS)), KEPT)


def test_masks_flow_through_nested_models():
    """Keras warns that a Sequential does not support masking, yet its layers keep it."""
    inner = Sequential([layers.Dense(4), layers.Dropout(0.1)])
    tokens = Input((5,), dtype="int32")
    model = Model(tokens, inner(_embed()(tokens)))
    with pytest.warns(UserWarning, match="'sequential.*' .*does not support masking"):
        out = model(TOKENS)
    np.testing.assert_array_equal(_mask(out), KEPT)


# --- the Masking layer -------------------------------------------------------------------------
SEQUENCES = np.array(
    [
        [[1.0, 2.0], [0.0, 0.0], [3.0, 0.0], [0.0, 0.0]],
        [[0.0, 0.0], [0.5, -1.0], [0.0, 0.0], [2.0, 2.0]],
    ],
    "float32",
)


def test_masking_marks_all_mask_value_timesteps_and_zeroes_them():
    y = layers.Masking()(SEQUENCES)
    np.testing.assert_array_equal(
        _mask(y), [[True, False, True, False], [False, True, False, True]]
    )
    np.testing.assert_array_equal(np.asarray(y), SEQUENCES)
    y = layers.Masking(mask_value=2.0)(SEQUENCES)  # masked steps become zeros
    np.testing.assert_array_equal(_mask(y), [[True, True, True, True], [True, True, True, False]])
    np.testing.assert_array_equal(np.asarray(y)[1, 3], [0.0, 0.0])
    config = layers.Masking(mask_value=-1.0, name="m").get_config()
    assert config["mask_value"] == -1.0 and layers.Masking.from_config(config).mask_value == -1.0


def test_masking_then_lstm_matches_keras(keras):
    ours = Sequential([Input((4, 2)), layers.Masking(), layers.LSTM(3)])
    theirs = keras.Sequential([keras.Input((4, 2)), keras.layers.Masking(), keras.layers.LSTM(3)])
    _copy_weights(ours, theirs)
    want = keras.ops.convert_to_numpy(theirs(SEQUENCES))
    np.testing.assert_allclose(np.asarray(ours(SEQUENCES)), want, rtol=1e-5, atol=1e-6)
    # the masked steps are skipped: the same as the sequences without them
    kept = [SEQUENCES[0, [0, 2]], SEQUENCES[1, [1, 3]]]
    lstm = ours.layers[1]
    np.testing.assert_allclose(np.asarray(lstm(np.stack(kept))), want, rtol=1e-5, atol=1e-6)


def test_masking_saves_and_loads_with_keras(keras, tmp_path):
    ours = Sequential([Input((4, 2)), layers.Masking(mask_value=0.5), layers.LSTM(3)])
    ours.save(tmp_path / "m.keras")
    theirs = keras.saving.load_model(tmp_path / "m.keras")
    assert theirs.layers[0].mask_value == 0.5
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(theirs(SEQUENCES)),
        np.asarray(ours(SEQUENCES)),
        rtol=1e-5,
        atol=1e-6,
    )
    theirs.save(tmp_path / "k.keras")
    back = load_model(tmp_path / "k.keras")
    assert isinstance(back.layers[0], layers.Masking) and back.layers[0].mask_value == 0.5
    np.testing.assert_allclose(np.asarray(back(SEQUENCES)), np.asarray(ours(SEQUENCES)), rtol=1e-6)
