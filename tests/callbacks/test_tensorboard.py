"""TensorBoard callback: the event files read back by a reader written here (both CRCs, the
protobuf decoded by hand), by TensorBoard's own loader, and compared with the files real
Keras 3 (torch backend, TensorFlow's summary writer) writes for the same model and data."""

import glob
import json
import os
import re
import struct
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import numkeras
from numkeras import layers
from numkeras.callbacks import LambdaCallback
from numkeras.callbacks.event_file import crc32c, masked_crc32c
from numkeras.callbacks.tensorboard import TensorBoard, histogram_buckets

RNG = np.random.default_rng(0)
X = RNG.standard_normal((32, 4)).astype("float32")
Y = (X @ np.array([[1.0], [-2.0], [0.5], [0.0]], "float32") + 0.1).astype("float32")


# --- a reader written from the format's description ------------------------------------------
def _fields(data):
    """Protobuf wire format -> list of (field number, value); length-delimited values stay
    bytes, fixed32/fixed64 stay 4/8 raw bytes."""
    out, i = [], 0

    def varint():
        nonlocal i
        n = shift = 0
        while True:
            byte = data[i]
            i += 1
            n |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return n

    while i < len(data):
        key = varint()
        field, wire = key >> 3, key & 7
        if wire == 0:
            value = varint()
        elif wire == 2:
            size = varint()
            value, i = data[i : i + size], i + size
        else:
            size = {1: 8, 5: 4}[wire]
            value, i = data[i : i + size], i + size
        out.append((field, value))
    return out


def read_events(path):
    """Each record's CRCs checked; events as dicts (wall_time, step, file_version, values)."""
    blob, i, events = open(path, "rb").read(), 0, []
    while i < len(blob):
        header = blob[i : i + 8]
        (length,) = struct.unpack("<Q", header)
        assert struct.unpack("<I", blob[i + 8 : i + 12])[0] == masked_crc32c(header)
        data = blob[i + 12 : i + 12 + length]
        assert struct.unpack("<I", blob[i + 12 + length : i + 16 + length])[0] == masked_crc32c(
            data
        )
        i += 16 + length
        event = {"step": 0, "values": []}
        for field, value in _fields(data):
            if field == 1:
                event["wall_time"] = struct.unpack("<d", value)[0]
            elif field == 2:
                event["step"] = value
            elif field == 3:
                event["file_version"] = value.decode()
            elif field == 5:
                event["values"] += [_value(v) for f, v in _fields(value) if f == 1]
        events.append(event)
    return events


def _value(data):
    value = {}
    for field, raw in _fields(data):
        if field == 1:
            value["tag"] = raw.decode()
        elif field == 2:
            value["simple_value"] = struct.unpack("<f", raw)[0]
        elif field == 9:
            plugin = dict(_fields(dict(_fields(raw))[1]))
            value["plugin"] = plugin[1].decode()
        elif field == 8:
            tensor = _fields(raw)
            dtype = dict(tensor)[1]
            dims = [dict(_fields(d))[1] for f, d in _fields(dict(tensor).get(2, b"")) if f == 2]
            if dtype == 7:
                value["strings"] = [v for f, v in tensor if f == 8]
            else:
                content = dict(tensor)[4]
                value["tensor"] = np.frombuffer(content, {1: "<f4", 2: "<f8"}[dtype]).reshape(dims)
    return value


def scalars(log_dir, sub):
    """{tag: [(step, value), ...]} over all event files in log_dir/sub, oldest file first."""
    out = {}
    for path in _files(log_dir, sub):
        for event in read_events(path):
            for value in event["values"]:
                if "simple_value" in value:
                    out.setdefault(value["tag"], []).append((event["step"], value["simple_value"]))
    return out


def _files(log_dir, sub):
    return sorted(
        glob.glob(os.path.join(log_dir, sub, "events.out.tfevents.*")),
        key=lambda p: int(p.split(".")[-2]),
    )


def tiny_model(seed=0):
    numkeras.utils.set_random_seed(seed)
    model = numkeras.Sequential(
        [
            layers.Input((4,)),
            layers.Dense(8, activation="relu", name="hidden"),
            layers.Dense(1, name="out"),
        ]
    )
    model.compile("sgd", "mse", metrics=["mae"])
    return model


# --- format ---------------------------------------------------------------------------------
def test_crc32c_known_answers():
    # RFC 3720 B.4 test vectors
    assert crc32c(b"") == 0
    assert crc32c(bytes(32)) == 0x8A9136AA
    assert crc32c(bytes([0xFF] * 32)) == 0x62A8AB43
    assert crc32c(bytes(range(32))) == 0x46DD794E


def test_file_names_and_first_record(tmp_path):
    model = tiny_model()
    model.fit(X, Y, epochs=1, verbose=0, callbacks=[TensorBoard(tmp_path)])
    (path,) = _files(tmp_path, "train")
    name = os.path.basename(path)
    host = re.escape(os.uname().nodename) if hasattr(os, "uname") else r"[^.]+"
    assert re.fullmatch(rf"events\.out\.tfevents\.\d{{10}}\.{host}\.{os.getpid()}\.\d+\.v2", name)
    first = read_events(path)[0]
    assert first["file_version"] == "brain.Event:2" and first["values"] == []
    assert first["wall_time"] == int(first["wall_time"])
    assert not os.path.exists(tmp_path / "validation")  # no validation data: no file


# --- what is written ------------------------------------------------------------------------
def test_epoch_scalars_match_history(tmp_path):
    model = tiny_model()
    history = model.fit(
        X,
        Y,
        epochs=3,
        batch_size=8,
        validation_split=0.25,
        verbose=0,
        callbacks=[TensorBoard(tmp_path)],
    ).history
    train, val = scalars(tmp_path, "train"), scalars(tmp_path, "validation")
    assert sorted(train) == ["epoch_learning_rate", "epoch_loss", "epoch_mae"]
    for key in ("loss", "mae"):
        assert [s for s, _ in train[f"epoch_{key}"]] == [0, 1, 2]
        np.testing.assert_allclose([v for _, v in train[f"epoch_{key}"]], history[key], rtol=1e-6)
        np.testing.assert_allclose(
            [v for _, v in val[f"epoch_{key}"]], history[f"val_{key}"], rtol=1e-6
        )
    assert train["epoch_learning_rate"] == [(e, pytest.approx(0.01)) for e in range(3)]
    # 24 training rows in batches of 8: the validation after epoch e is at iteration 3(e+1)
    assert [s for s, _ in val["evaluation_loss_vs_iterations"]] == [3, 6, 9]
    np.testing.assert_allclose(
        [v for _, v in val["evaluation_loss_vs_iterations"]], history["val_loss"], rtol=1e-6
    )
    assert sorted(val) == [
        "epoch_loss",
        "epoch_mae",
        "evaluation_loss_vs_iterations",
        "evaluation_mae_vs_iterations",
    ]


@pytest.mark.parametrize("update_freq, steps", [("batch", [1, 2, 3, 4, 5, 6, 7, 8]), (3, [3, 6])])
def test_batch_scalars(tmp_path, update_freq, steps):
    seen = []
    record = LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(dict(logs)))
    tiny_model().fit(
        X,
        Y,
        epochs=2,
        batch_size=8,
        verbose=0,
        callbacks=[record, TensorBoard(tmp_path, update_freq=update_freq)],
    )
    train = scalars(tmp_path, "train")
    assert [s for s, _ in train["batch_loss"]] == steps  # counted across epochs, from 1
    np.testing.assert_allclose(
        [v for _, v in train["batch_loss"]], [seen[s - 1]["loss"] for s in steps], rtol=1e-6
    )
    assert [s for s, _ in train["batch_mae"]] == steps


def test_evaluation_scalars_are_written_whatever_update_freq(tmp_path):
    # Keras drops some of these with an integer update_freq (tensorflow/tensorboard#4975)
    model = tiny_model()
    tb = TensorBoard(tmp_path, update_freq=2)
    history = model.fit(
        X, Y, epochs=2, batch_size=8, validation_split=0.25, verbose=0, callbacks=[tb]
    ).history
    loss = model.evaluate(X, Y, verbose=0, callbacks=[tb])[0]
    assert scalars(tmp_path, "validation")["evaluation_loss_vs_iterations"] == [
        (3, pytest.approx(history["val_loss"][0], rel=1e-6)),
        (6, pytest.approx(history["val_loss"][1], rel=1e-6)),
        (6, pytest.approx(loss, rel=1e-6)),
    ]
    assert [s for s, _ in scalars(tmp_path, "train")["epoch_loss"]] == [0, 1]


def test_histograms_graph_and_steps_per_second(tmp_path):
    model = tiny_model()
    model.fit(
        X,
        Y,
        epochs=3,
        batch_size=8,
        verbose=0,
        callbacks=[
            TensorBoard(tmp_path, histogram_freq=2, write_steps_per_second=True, update_freq=4)
        ],
    )
    events = [e for path in _files(tmp_path, "train") for e in read_events(path)]
    hist = [(e["step"], v) for e in events for v in e["values"] if v.get("plugin") == "histograms"]
    assert [(s, v["tag"]) for s, v in hist] == [
        (s, f"{w.path}/histogram") for s in (0, 2) for w in model.weights
    ]
    for (_, value), weight in zip(hist[4:], model.weights):  # epoch 2 = the final weights
        np.testing.assert_array_equal(value["tensor"], histogram_buckets(np.asarray(weight)))
        assert value["tensor"][:, 2].sum() == np.asarray(weight).size
    (graph,) = [v for e in events for v in e["values"] if v["tag"] == "keras"]
    assert graph["plugin"] == "graph_keras_model"
    assert json.loads(graph["strings"][0]) == json.loads(model.to_json())
    train = scalars(tmp_path, "train")
    assert [s for s, _ in train["epoch_steps_per_second"]] == [0, 1, 2]
    assert [s for s, _ in train["batch_steps_per_second"]] == [4, 8, 12]
    assert all(v > 0 for _, v in train["epoch_steps_per_second"])


def test_histogram_buckets_edge_cases():
    assert histogram_buckets(np.full(5, 2.0), 3).tolist() == [[2, 2, 0], [2, 2, 0], [2, 2, 5]]
    assert histogram_buckets(np.zeros(0), 2).tolist() == [[0, 0, 0], [0, 0, 0]]
    x = RNG.standard_normal(1000)
    buckets = histogram_buckets(x)
    assert buckets.shape == (30, 3) and buckets[:, 2].sum() == 1000
    assert buckets[0, 0] == x.min() and buckets[-1, 1] == x.max()
    np.testing.assert_array_equal(buckets[:, 2], np.histogram(x, 30)[0])


def test_events_reach_disk_each_epoch_and_no_file_stays_open(tmp_path):
    class Crash(numkeras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise RuntimeError("crash")

    with pytest.raises(RuntimeError, match="crash"):  # TensorBoard runs first, then the crash
        tiny_model().fit(
            X, Y, epochs=3, verbose=0, callbacks=[TensorBoard(tmp_path, update_freq=1), Crash()]
        )
    train = scalars(tmp_path, "train")
    assert [s for s, _ in train["epoch_loss"]] == [0, 1]
    assert [s for s, _ in train["batch_loss"]] == [1, 2]
    if os.path.isdir("/proc/self/fd"):
        open_files = {os.path.realpath(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")}
        assert not any(p.startswith(str(tmp_path)) for p in open_files)


def test_embeddings_and_arguments(tmp_path):
    numkeras.utils.set_random_seed(0)
    model = numkeras.Sequential(
        [
            layers.Input((3,), dtype="int32"),
            layers.Embedding(10, 2, name="emb"),
            layers.Flatten(),
            layers.Dense(1),
        ]
    )
    model.compile("sgd", "mse")
    tb = TensorBoard(tmp_path, embeddings_freq=1, embeddings_metadata={"emb": "meta.tsv"})
    model.fit(
        np.arange(12).reshape(4, 3) % 10, np.ones((4, 1)), epochs=2, verbose=0, callbacks=[tb]
    )
    assert (tmp_path / "projector_config.pbtxt").read_text() == (
        'embeddings {\n  tensor_name: "layer_with_weights-0/embeddings/.ATTRIBUTES/'
        'VARIABLE_VALUE"\n  metadata_path: "meta.tsv"\n}\n'
    )
    assert sorted(p.name for p in (tmp_path / "train").glob("*.h5")) == [
        "keras_embedding.ckpt-0.weights.h5",
        "keras_embedding.ckpt-1.weights.h5",
    ]
    with pytest.raises(ValueError, match="Unrecognized `Embedding` layer names"):
        model.fit(
            np.zeros((4, 3), "int32"),
            np.ones((4, 1)),
            verbose=0,
            callbacks=[
                TensorBoard(tmp_path, embeddings_freq=1, embeddings_metadata={"nope": "m.tsv"})
            ],
        )
    with pytest.raises(ValueError, match="Profiling is not yet available"):
        TensorBoard(profile_batch=2)
    with pytest.raises(ValueError, match="update_freq"):
        TensorBoard(update_freq="step")
    with pytest.raises(ValueError, match="histogram_freq"):
        TensorBoard(histogram_freq=-1)
    tb = TensorBoard(tmp_path / "quiet", write_graph=False)
    tiny_model().predict(X, verbose=0, callbacks=[tb])
    assert not os.path.exists(tmp_path / "quiet")  # nothing to write: no file is created


# --- oracles: TensorBoard's reader and real Keras -------------------------------------------
KERAS_SCRIPT = textwrap.dedent("""
    import os, sys
    os.environ["KERAS_BACKEND"] = "torch"
    import numpy as np, keras
    out = sys.argv[1]
    data = np.load(os.path.join(out, "data.npz"))
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)),
                              keras.layers.Dense(8, activation="relu", name="hidden"),
                              keras.layers.Dense(1, name="out")])
    model.compile("sgd", "mse", metrics=["mae"])
    np.savez(os.path.join(out, "weights.npz"), *model.get_weights())
    tb = keras.callbacks.TensorBoard(os.path.join(out, "keras"), histogram_freq=1, update_freq=1)
    model.fit(data["x"], data["y"], epochs=2, batch_size=8, validation_split=0.25,
              shuffle=False, callbacks=[tb], verbose=0)
    model.evaluate(data["x"], data["y"], callbacks=[tb], verbose=0)
""")


def tensorboard_view(log_dir, sub):
    """What TensorBoard's loader sees: {(tag, step): [values]}, each value migrated to the
    tensor form TensorBoard's dashboards use (simple_value and TF2 tensors alike)."""
    from tensorboard import data_compat
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
    from tensorboard.util import tensor_util

    out = {}
    for path in _files(log_dir, sub):
        for event in EventFileLoader(path).Load():
            for value in event.summary.value:
                value = data_compat.migrate_value(value)
                plugin = value.metadata.plugin_data.plugin_name
                array = tensor_util.make_ndarray(value.tensor)
                tag = re.sub(r"^sequential(_\d+)?/", "", value.tag)  # the model's own name
                key = (tag, event.step, plugin)
                out.setdefault(key, []).append(array)
    return out


@pytest.mark.oracle
def test_tensorboard_reads_what_keras_writes(tmp_path):
    pytest.importorskip("tensorboard")
    np.savez(tmp_path / "data.npz", x=X, y=Y)
    try:
        import importlib.util

        has_tf = importlib.util.find_spec("tensorflow") and importlib.util.find_spec("keras")
    except ValueError:
        has_tf = False
    if has_tf:
        run = subprocess.run(
            [sys.executable, "-c", KERAS_SCRIPT, str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        )
        assert run.returncode == 0, run.stderr[-3000:]
    numkeras.backend.clear_session()  # "sequential", as in Keras's fresh process: tags hold paths
    model = tiny_model()
    if has_tf:
        weights = np.load(tmp_path / "weights.npz")
        model.set_weights([weights[f"arr_{i}"] for i in range(len(weights.files))])
    tb = TensorBoard(tmp_path / "numkeras", histogram_freq=1, update_freq=1)
    model.fit(
        X,
        Y,
        epochs=2,
        batch_size=8,
        validation_split=0.25,
        shuffle=False,
        callbacks=[tb],
        verbose=0,
    )
    model.evaluate(X, Y, callbacks=[tb], verbose=0)
    ours = {sub: tensorboard_view(tmp_path / "numkeras", sub) for sub in ("train", "validation")}
    assert sorted(k for k in ours["validation"]) == [
        ("epoch_loss", 0, "scalars"),
        ("epoch_loss", 1, "scalars"),
        ("epoch_mae", 0, "scalars"),
        ("epoch_mae", 1, "scalars"),
        ("evaluation_loss_vs_iterations", 3, "scalars"),
        ("evaluation_loss_vs_iterations", 6, "scalars"),
        ("evaluation_mae_vs_iterations", 3, "scalars"),
        ("evaluation_mae_vs_iterations", 6, "scalars"),
    ]
    if not has_tf:
        pytest.skip(
            "TensorFlow (Keras's summary writer) not installed: only TensorBoard's "
            "reading of numkeras's files was checked"
        )
    for sub in ("train", "validation"):
        theirs = tensorboard_view(tmp_path / "keras", sub)
        assert sorted(ours[sub]) == sorted(theirs)
        for key, arrays in theirs.items():
            if key[0] == "keras":  # model JSON: numkeras's config differs in details
                assert len(ours[sub][key]) == len(arrays) == 2
                continue
            assert len(ours[sub][key]) == len(arrays), key
            for mine, keras_array in zip(ours[sub][key], arrays):
                np.testing.assert_allclose(
                    mine, keras_array, rtol=2e-5, atol=1e-6, err_msg=str(key)
                )
