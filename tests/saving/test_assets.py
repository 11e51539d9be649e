"""Adapted vocabularies travel in `.keras` files as Keras's assets
(`assets/<layer path>/vocabulary.txt`), both ways with real Keras."""

import os
import zipfile

import numpy as np
import pytest

import numkeras
from numkeras import layers

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

TOKENS = np.array([[3, 7, 7], [9, 3, 3], [3, 11, 7]])


def test_adapted_vocabulary_saved_as_keras_assets(tmp_path):
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    pytest.importorskip("tensorflow")
    lookup = layers.IntegerLookup(output_mode="multi_hot")
    lookup.adapt(TOKENS)
    ours = numkeras.Sequential([numkeras.Input((3,), dtype="int64"), lookup])
    ours.save(tmp_path / "ours.keras")
    names = zipfile.ZipFile(tmp_path / "ours.keras").namelist()
    assert "assets/layers/integer_lookup/vocabulary.txt" in names
    loaded = keras.saving.load_model(tmp_path / "ours.keras")
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(loaded(TOKENS)), ours(TOKENS).numpy())
    again = numkeras.saving.load_model(tmp_path / "ours.keras")
    assert again.layers[0].get_vocabulary() == lookup.get_vocabulary()

    theirs_lookup = keras.layers.IntegerLookup(output_mode="multi_hot")
    theirs_lookup.adapt(TOKENS)
    theirs = keras.Sequential([keras.Input((3,), dtype="int64"), theirs_lookup])
    theirs.save(tmp_path / "theirs.keras")
    mine = numkeras.saving.load_model(tmp_path / "theirs.keras")
    np.testing.assert_array_equal(mine(TOKENS).numpy(), keras.ops.convert_to_numpy(theirs(TOKENS)))


def test_assets_in_an_unzipped_keras_folder(tmp_path):
    lookup = layers.StringLookup(output_mode="one_hot")
    lookup.adapt(np.array(["b", "a", "b", "c", "b", "a"]))
    model = numkeras.Sequential([numkeras.Input((1,), dtype="string"), lookup])
    model.save(tmp_path / "m.keras", zipped=False)
    assert (
        tmp_path / "m.keras" / "assets" / "layers" / "string_lookup" / "vocabulary.txt"
    ).exists()
    loaded = numkeras.saving.load_model(tmp_path / "m.keras")
    assert loaded.layers[0].get_vocabulary() == ["[UNK]", "b", "a", "c"]
    x = np.array([["a"], ["z"], ["c"]])
    np.testing.assert_array_equal(loaded(x).numpy(), model(x).numpy())
