"""A small file can't make loading allocate much more than it holds: each weight's declared
shape is checked against the arrays the file stores before the weight is created."""

import io
import json
import tracemalloc
import zipfile

import pytest

import numkeras


def _declaring_a_huge_dense(tmp_path, units=12000, suffix=".keras"):
    """A .keras file whose config declares Dense(units) on `units` inputs, with the weights
    of a 2 x 2 Dense (a 1.5 KB file that declares 576 MB of float32 weights)."""
    model = numkeras.Sequential([numkeras.Input((2,)), numkeras.layers.Dense(2)])
    small = tmp_path / "small.keras"
    model.save(small)
    with zipfile.ZipFile(small) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    config = json.loads(members["config.json"])
    config["config"]["layers"][0]["config"]["batch_shape"] = [None, units]
    config["config"]["layers"][1]["config"]["units"] = units
    config["config"]["build_input_shape"] = [None, units]
    config["config"]["layers"][1]["build_config"] = {"input_shape": [None, units]}
    members["config.json"] = json.dumps(config).encode()
    path = tmp_path / f"huge{suffix}"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    path.write_bytes(buffer.getvalue())
    return path


def _peak_bytes(fn):
    tracemalloc.start()
    try:
        fn()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def test_a_tiny_file_declaring_a_huge_dense_is_refused_before_allocating(tmp_path):
    path = _declaring_a_huge_dense(tmp_path)
    assert path.stat().st_size < 16000

    def load():
        with pytest.raises(ValueError, match=r"\(12000, 12000\)"):
            numkeras.saving.load_model(path)

    assert _peak_bytes(load) < 16 << 20  # the kernel alone would be 576 MB


def test_the_refusal_names_the_layer_and_the_stored_shapes(tmp_path):
    path = _declaring_a_huge_dense(tmp_path, units=5)
    with pytest.raises(ValueError, match=r"dense.*kernel.*\(5, 5\)") as info:
        numkeras.saving.load_model(path)
    assert "(2, 2)" in str(info.value)


def test_a_matching_file_still_loads(tmp_path):
    model = numkeras.Sequential(
        [numkeras.Input((3,)), numkeras.layers.Dense(4), numkeras.layers.Dense(4)]
    )
    model.compile("adam", "mse")
    model.save(tmp_path / "m.keras")
    loaded = numkeras.saving.load_model(tmp_path / "m.keras")
    assert [w.shape for w in loaded.get_weights()] == [(3, 4), (4,), (4, 4), (4,)]
