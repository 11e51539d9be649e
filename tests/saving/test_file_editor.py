"""saving.KerasFileEditor: the same weights tree, comparisons and edits as Keras's editor on
the same files, and edited files that load."""

import numpy as np
import pytest

import numkeras

pytest.importorskip("h5py")


def _model(lib, units=3):
    model = lib.Sequential(
        [lib.Input((4,)), lib.layers.Dense(units, name="d1"), lib.layers.Dense(2, name="d2")]
    )
    model.compile("adam", "mse")
    return model


def _tree(d):
    return {k: _tree(v) if isinstance(v, dict) else tuple(np.shape(v)) for k, v in d.items()}


@pytest.fixture
def saved(tmp_path):
    numkeras.utils.set_random_seed(0)
    model = _model(numkeras)
    model.fit(np.ones((4, 4)), np.ones((4, 2)), verbose=0)
    path = str(tmp_path / "m.keras")
    model.save(path)
    return model, path


def test_reads_the_same_tree_as_keras(keras, saved, capsys):
    model, path = saved
    ours, theirs = numkeras.saving.KerasFileEditor(path), keras.saving.KerasFileEditor(path)
    assert _tree(ours.weights_dict) == _tree(theirs.weights_dict)
    for a, b in zip(ours.weights_dict["layers"]["dense"].values(), model.layers[0].get_weights()):
        np.testing.assert_array_equal(a, b)
    assert ours.config == theirs.config and ours.metadata == theirs.metadata
    capsys.readouterr()
    ours.summary()
    text = capsys.readouterr().out
    assert "Weights structure" in text and "shape=(4, 3), dtype=float32" in text
    assert "('d1')" in text


def test_compare_counts_as_keras(keras, saved, capsys):
    _, path = saved
    ours, theirs = numkeras.saving.KerasFileEditor(path), keras.saving.KerasFileEditor(path)
    for units in (3, 5):
        reference_ours, reference_theirs = _model(numkeras, units), _model(keras, units)
        for ref in (reference_ours, reference_theirs):  # optimizer variables, as in the file
            ref.optimizer.build(ref.trainable_variables)
        assert ours.compare(reference_ours) == theirs.compare(reference_theirs)
    assert ours.compare(_model(numkeras, 5))["status"] == "error"


def test_edits_as_keras_and_the_result_loads(keras, saved, tmp_path):
    _, path = saved
    editors = numkeras.saving.KerasFileEditor(path), keras.saving.KerasFileEditor(path)
    extra = {"0": np.ones((2, 2), "float32")}
    for editor in editors:
        editor.rename_object("layers/dense_1", "renamed")
        editor.add_object("layers/new", extra)
        editor.add_weights("layers/new", {"1": np.zeros(2, "float32")})
        editor.delete_weight("layers/new", "1")
        editor.delete_object("layers/new")
        editor.rename_object("layers/renamed", "dense_1")
    assert _tree(editors[0].weights_dict) == _tree(editors[1].weights_dict)
    for lib_editor in editors:
        for call, args, message in [
            (lib_editor.rename_object, ("nope", "x"), "does not appear in the model"),
            (lib_editor.rename_object, ("layers/nope", "x"), "Path 'layers/nope' not found"),
            (lib_editor.rename_object, ("layers/dense", "a/b"), "should be a leaf name"),
            (lib_editor.add_object, ("layers/x", [1]), "should be a dict"),
            (lib_editor.delete_weight, ("layers/dense", "7"), "Weight 7 not found"),
            (lib_editor.save, (str(tmp_path / "x.h5"),), "expected a `.weights.h5`"),
        ]:
            with pytest.raises(ValueError, match=message):
                call(*args)
    out = str(tmp_path / "edited.weights.h5")
    editors[0].save(out)
    fresh_ours, fresh_theirs = _model(numkeras), _model(keras)
    fresh_ours.load_weights(out, skip_mismatch=True)
    fresh_theirs.load_weights(out, skip_mismatch=True)
    x = np.ones((2, 4), "float32")
    np.testing.assert_allclose(
        fresh_ours.predict(x, verbose=0), fresh_theirs.predict(x, verbose=0), rtol=1e-6
    )
    with pytest.raises(ValueError, match="Invalid filename"):
        numkeras.saving.KerasFileEditor(str(tmp_path / "m.txt"))


def test_a_name_finds_its_one_object(saved):
    """By name, not path (Keras's own count of a name's occurrences adds the running count
    again for later sibling objects, so there a name found once can be reported twice)."""
    _, path = saved
    editor = numkeras.saving.KerasFileEditor(path)
    editor.rename_object("dense_1", "head")
    assert list(editor.weights_dict["layers"]) == ["dense", "head"]
    editor.add_object("optimizer/dense", {"0": np.zeros(1)})
    with pytest.raises(ValueError, match="occurs more than once in the model"):
        editor.delete_object("dense")
