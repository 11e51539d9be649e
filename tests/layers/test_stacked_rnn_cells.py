"""StackedRNNCells: RNN over stacked cells against real Keras (copied weights) and against
stacked RNN layers; return_state and initial_state structures; training; configs; .keras files."""

import re

import numpy as np
import pytest

import numkeras
from numkeras import layers
from numkeras.layers.rnn.stacked_rnn_cells import StackedRNNCells
from numkeras.tree import flatten

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
B, T, D = 3, 6, 5
STACKS = [("SimpleRNNCell", "LSTMCell", "GRUCell"), ("LSTMCell", "LSTMCell"), ("GRUCell",)]
UNITS = (4, 3, 2)


def _x(*shape, seed=1):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


def _cells(module, kinds):
    return [getattr(module.layers, kind)(units) for kind, units in zip(kinds, UNITS)]


def _pair(keras, kinds, x, **kwargs):
    """The same RNN over stacked cells in numkeras and Keras, with Keras's weights copied."""
    theirs = keras.layers.RNN(keras.layers.StackedRNNCells(_cells(keras, kinds)), **kwargs)
    ours = layers.RNN(StackedRNNCells(_cells(numkeras, kinds)), **kwargs)
    theirs(x), ours(x)
    rng = np.random.default_rng(0)
    for v in theirs.weights:
        v.assign((rng.standard_normal(v.shape) * 0.5).astype("float32"))
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    return ours, theirs


def _unnumbered(layer):
    return [re.sub(r"_\d+", "", v.path) for v in layer.weights]


def _np(structure):
    if isinstance(structure, (list, tuple)):
        return [_np(s) for s in structure]
    return np.asarray(structure.detach().cpu() if hasattr(structure, "detach") else structure)


# --- against real Keras ---------------------------------------------------------------------
def test_state_and_output_sizes_and_weight_paths_match_keras(keras):
    kinds = STACKS[0]
    ours, theirs = (
        StackedRNNCells(_cells(numkeras, kinds)),
        keras.layers.StackedRNNCells(_cells(keras, kinds)),
    )
    assert ours.state_size == theirs.state_size == [4, [3, 3], 2]
    assert ours.output_size == theirs.output_size == 2
    a, b = _pair(keras, kinds, _x(B, T, D))
    assert _unnumbered(a) == _unnumbered(b)  # rnn/stacked_rnn_cells/simple_rnn_cell/kernel, ...
    assert [v.shape for v in a.weights] == [tuple(v.shape) for v in b.weights]


@pytest.mark.parametrize("kinds", STACKS)
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"return_sequences": True},
        {"go_backwards": True},
        {"return_sequences": True, "go_backwards": True},
    ],
)
def test_outputs_match_keras(keras, kinds, kwargs):
    x = _x(B, T, D)
    ours, theirs = _pair(keras, kinds, x, **kwargs)
    np.testing.assert_allclose(ours(x).data, _np(theirs(x)), rtol=1e-5, atol=1e-5)


def _assert_states_equal(ours, theirs):
    ours, theirs = flatten(ours), flatten(_np(theirs))
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.data, b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kinds", STACKS[:2])
def test_return_state_and_initial_state_match_keras(keras, kinds):
    """Keras returns (and takes) the states as one list per cell: `output, [h], [h, c], ...`."""
    x = _x(B, T, D)
    ours, theirs = _pair(keras, kinds, x, return_state=True)
    mine, keras_out = ours(x), theirs(x)
    assert [len(s) for s in mine[1:]] == [len(s) for s in keras_out[1:]]
    _assert_states_equal(mine, keras_out)
    initial = [
        [_x(B, n, seed=10 + i) for n in (s if isinstance(s, list) else [s])]
        for i, s in enumerate(ours.cell.state_size)
    ]
    expected = theirs(x, initial_state=initial)
    for given in (initial, flatten(initial)):  # Keras's nested form, and a flat one too
        _assert_states_equal(ours(x, initial_state=given), expected)
    with pytest.raises(ValueError, match="initial_state"):
        ours(x, initial_state=flatten(initial)[:-1])


@pytest.mark.parametrize("masking", ["embedding", "masking"])
def test_masks_match_keras(keras, masking):
    tokens = np.array([[3, 1, 4, 0, 0, 0], [2, 7, 1, 8, 2, 0], [5, 0, 0, 0, 0, 0]])
    x = tokens if masking == "embedding" else _x(B, T, D) * (tokens[..., None] > 0)

    def model(module, cells):
        inputs = module.Input((T,) if masking == "embedding" else (T, D))
        front = (
            module.layers.Embedding(9, D, mask_zero=True)
            if masking == "embedding"
            else module.layers.Masking(0.0)
        )
        y = module.layers.RNN(cells, return_sequences=True)(front(inputs))
        return module.Model(inputs, module.layers.GRU(2)(y))

    theirs = model(keras, keras.layers.StackedRNNCells(_cells(keras, STACKS[0])))
    ours = model(numkeras, StackedRNNCells(_cells(numkeras, STACKS[0])))
    rng = np.random.default_rng(3)
    theirs.set_weights(
        [rng.standard_normal(w.shape).astype("float32") * 0.5 for w in theirs.get_weights()]
    )
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(
        ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-5
    )


def test_stateful_carries_the_states_keras_returns(keras):
    """Keras's own stateful RNN cannot reset stacked cells' (nested) states, so the oracle is
    Keras's return_state fed back as initial_state."""
    x1, x2 = _x(B, T, D, seed=2), _x(B, T, D, seed=3)
    _, theirs = _pair(keras, STACKS[0], x1, return_state=True)
    ours = layers.RNN(StackedRNNCells(_cells(numkeras, STACKS[0])), stateful=True)
    ours(x1)
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    ours.reset_state()
    first, *states = theirs(x1)
    second = theirs(x2, initial_state=states)[0]
    np.testing.assert_allclose(ours(x1).data, _np(first), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ours(x2).data, _np(second), rtol=1e-5, atol=1e-5)
    ours.reset_state()
    assert not np.allclose(ours(x2).data, _np(second), atol=1e-3)


# --- within numkeras --------------------------------------------------------------------------
@pytest.mark.parametrize("go_backwards", [False, True])
def test_equals_stacked_rnn_layers(go_backwards):
    """One RNN over stacked cells computes what RNN layers stacked with return_sequences do
    (going backwards, only the first layer reverses the time axis)."""
    x = _x(B, T, D)
    stacked = layers.RNN(
        StackedRNNCells(_cells(numkeras, STACKS[0])),
        return_sequences=True,
        go_backwards=go_backwards,
    )
    rnns = [
        layers.RNN(cell, return_sequences=True, go_backwards=go_backwards and i == 0)
        for i, cell in enumerate(_cells(numkeras, STACKS[0]))
    ]
    stacked(x)
    z = x
    for rnn in rnns:
        z = rnn(z)
    rng = np.random.default_rng(4)
    weights = [rng.standard_normal(w.shape).astype("float32") for w in stacked.get_weights()]
    stacked.set_weights(weights)
    for rnn in rnns:
        rnn.set_weights(weights[: len(rnn.weights)])
        weights = weights[len(rnn.weights) :]
    y = stacked(x)
    z = x
    for rnn in rnns:
        z = rnn(z)
    np.testing.assert_allclose(y.data, z.data, rtol=1e-6, atol=1e-6)


def test_call_as_a_cell_keeps_the_states_structure():
    cells = StackedRNNCells([layers.LSTMCell(4), layers.GRUCell(3)])
    h4, h3 = np.zeros((2, 4), "float32"), np.zeros((2, 3), "float32")
    out, (lstm_states, gru_state) = cells(_x(2, 5), [[h4, h4], h3])
    assert out.shape == (2, 3) and len(lstm_states) == 2 and gru_state.shape == (2, 3)
    out, (_, gru_states) = cells(_x(2, 5), [[h4, h4], [h3]])
    assert isinstance(gru_states, list) and len(gru_states) == 1


def test_fit_step_changes_every_cell():
    model = numkeras.Sequential(
        [
            numkeras.Input((T, D)),
            layers.RNN(
                StackedRNNCells([layers.SimpleRNNCell(4), layers.LSTMCell(3)]),
                return_sequences=True,
            ),
            layers.Flatten(),
            layers.Dense(2),
        ]
    )
    model.compile("adam", "mse")
    before = [np.array(w) for w in model.get_weights()]
    history = model.fit(_x(8, T, D), _x(8, 2), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert all(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    assert model.predict(_x(2, T, D), verbose=0).shape == (2, 2)


def test_bad_cells():
    with pytest.raises(ValueError, match="state_size"):
        StackedRNNCells([layers.SimpleRNNCell(2), layers.Dense(2)])


# --- configs and files ------------------------------------------------------------------------
def test_config_round_trip_matches_keras_keys(keras):
    ours = layers.RNN(StackedRNNCells(_cells(numkeras, STACKS[0])), return_sequences=True)
    ours(_x(B, T, D))
    config = ours.get_config()
    theirs = keras.layers.RNN(keras.layers.StackedRNNCells(_cells(keras, STACKS[0])))
    assert set(config["cell"]["config"]) == set(theirs.get_config()["cell"]["config"])
    assert config["cell"]["module"] == "keras.layers"
    assert [c["class_name"] for c in config["cell"]["config"]["cells"]] == list(STACKS[0])
    clone = layers.RNN.from_config(config)
    x = _x(B, T, D)
    clone(x)
    assert clone.get_config() == config
    clone.set_weights(ours.get_weights())
    np.testing.assert_allclose(clone(x).data, ours(x).data)
    assert StackedRNNCells.from_config(ours.cell.get_config()).state_size == [4, [3, 3], 2]


def _model(module, cells):
    return module.Sequential(
        [
            module.Input((T, D)),
            module.layers.RNN(cells, return_sequences=True),
            module.layers.Flatten(),
            module.layers.Dense(2),
        ]
    )


def _h5_paths(path):
    import io
    import zipfile

    import h5py

    paths = []
    with zipfile.ZipFile(path) as z, h5py.File(io.BytesIO(z.read("model.weights.h5"))) as f:
        f.visititems(
            lambda name, obj: (
                paths.append((name, obj.shape)) if isinstance(obj, h5py.Dataset) else None
            )
        )
    return paths


def test_keras_file_saved_by_numkeras_loads_in_keras(keras, tmp_path):
    x = _x(4, T, D)
    ours = _model(numkeras, StackedRNNCells(_cells(numkeras, STACKS[0])))
    ours.save(tmp_path / "ours.keras")
    theirs = _model(keras, keras.layers.StackedRNNCells(_cells(keras, STACKS[0])))
    theirs.save(tmp_path / "theirs.keras")
    paths = _h5_paths(tmp_path / "ours.keras")
    assert paths == _h5_paths(tmp_path / "theirs.keras")
    assert paths[0] == ("layers/dense/vars/0", (T * 2, 2))
    assert ("layers/rnn/cell/cells/lstm_cell/vars/1", (3, 12)) in paths
    loaded = keras.models.load_model(tmp_path / "ours.keras")
    assert isinstance(loaded.layers[0].cell, keras.layers.StackedRNNCells)
    np.testing.assert_allclose(
        _np(loaded.predict(x, verbose=0)), ours.predict(x, verbose=0), rtol=1e-5, atol=1e-5
    )


def test_keras_file_saved_by_keras_loads_in_numkeras(keras, tmp_path):
    x = _x(4, T, D)
    theirs = _model(keras, keras.layers.StackedRNNCells(_cells(keras, STACKS[0])))
    theirs.save(tmp_path / "theirs.keras")
    loaded = numkeras.models.load_model(tmp_path / "theirs.keras")
    assert isinstance(loaded.layers[0].cell, StackedRNNCells)
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-5
    )
