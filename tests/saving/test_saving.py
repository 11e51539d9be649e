"""Saving and loading: Keras 3 `.keras`, `.weights.h5` and legacy `.h5`, both ways with real
Keras; optimizer state; corrupt and crafted files; atomic writes; pickle and deepcopy."""

import copy
import io
import json
import os
import pickle
import sys
import warnings
import zipfile

import h5py
import numpy as np
import pytest

import numkeras as nk
from numkeras import layers
from numkeras.saving import h5_store, register_keras_serializable

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures")
CNN_KERAS = os.path.join(FIXTURES, "cnn.keras")
CNN_H5 = os.path.join(FIXTURES, "cnn.h5")
RNG = np.random.default_rng(0)
X28 = RNG.random((6, 28, 28, 1), dtype=np.float32)
X8 = RNG.random((16, 8, 8, 1), dtype=np.float32)
Y8 = np.eye(3, dtype=np.float32)[RNG.integers(0, 3, 16)]


def tutorial_cnn():
    """The fixture's architecture, with the names Keras gave it."""
    return nk.Sequential(
        [
            layers.Input((28, 28, 1)),
            layers.Conv2D(32, 3, activation="relu", name="conv2d"),
            layers.MaxPooling2D(2, name="max_pooling2d"),
            layers.Conv2D(64, 3, activation="relu", name="conv2d_1"),
            layers.MaxPooling2D(2, name="max_pooling2d_1"),
            layers.Flatten(name="flatten"),
            layers.Dropout(0.5, name="dropout"),
            layers.Dense(10, activation="softmax", name="dense"),
        ],
        name="sequential",
    )


def small_cnn(dropout=False):
    stack = [
        layers.Input((8, 8, 1)),
        layers.Conv2D(4, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
    ]
    stack += [layers.Dropout(0.5)] if dropout else []
    model = nk.Sequential(stack + [layers.Dense(3, activation="softmax")])
    model.compile(nk.optimizers.Adam(1e-2), "categorical_crossentropy", metrics=["accuracy"])
    return model


def small_functional():
    a, b = nk.Input((4,), name="a"), nk.Input((4,), name="b")
    shared = layers.Dense(3, activation="relu", name="shared")
    out1 = layers.Dense(2, name="head1")(shared(a))
    out2 = layers.Dense(1, activation="sigmoid", name="head2")(shared(b))
    model = nk.Model([a, b], [out1, out2])
    model.compile("adam", ["mse", "binary_crossentropy"])
    return model


def train_once(model):
    model.fit(X8, Y8, batch_size=16, epochs=1, shuffle=False, verbose=0)
    return model


def weights_layout(source):
    """{dataset path: (shape, dtype kind)} and {vars group: name attribute} of an H5 file."""
    datasets, names = {}, {}

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            datasets[name] = (obj.shape, obj.dtype.kind)
        elif name.endswith("vars"):
            names[name] = obj.attrs.get("name")

    with h5py.File(source, "r") as f:
        f.visititems(visit)
    return datasets, names


def archive_member(path, name):
    with zipfile.ZipFile(path) as zf:
        return zf.read(name)


def write_archive(path, members):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def assert_same_weights(a, b):
    for u, v in zip(a.weights, b.weights, strict=True):
        np.testing.assert_array_equal(u.numpy(), v.numpy())


# --- files written by real Keras ------------------------------------------------------------------
@pytest.mark.parametrize("path", [CNN_KERAS, CNN_H5])
def test_keras_fixture_loads_with_its_weights_and_optimizer(path):
    model = nk.models.load_model(path)
    assert [type(la).__name__ for la in model.layers] == [
        "Conv2D",
        "MaxPooling2D",
        "Conv2D",
        "MaxPooling2D",
        "Flatten",
        "Dropout",
        "Dense",
    ]
    assert model.compiled and type(model.optimizer).__name__ == "Adam"
    assert len(model.optimizer.variables) == 14
    with zipfile.ZipFile(CNN_KERAS) as zf, h5py.File(io.BytesIO(zf.read("model.weights.h5"))) as f:
        np.testing.assert_array_equal(model.layers[0].kernel.numpy(), f["layers/conv2d/vars/0"])
        np.testing.assert_array_equal(model.layers[-1].bias.numpy(), f["layers/dense/vars/1"])
        np.testing.assert_array_equal(model.optimizer.variables[13].numpy(), f["optimizer/vars/13"])


@pytest.mark.parametrize("path", [CNN_KERAS, CNN_H5])
def test_keras_fixture_predicts_like_keras(keras, path):
    expected = keras.saving.load_model(path).predict(X28, verbose=0)
    np.testing.assert_allclose(
        nk.models.load_model(path).predict(X28, verbose=0), expected, atol=1e-5
    )


def test_our_file_matches_keras_layout_and_config():
    model = tutorial_cnn()
    model.compile(
        nk.optimizers.Adam(name="adam"),
        "categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=True,
    )
    model.optimizer.build(model.trainable_weights)
    buffer = io.BytesIO(h5_store.weights_to_bytes(model))
    fixture = io.BytesIO(archive_member(CNN_KERAS, "model.weights.h5"))
    assert weights_layout(buffer) == weights_layout(fixture)

    def strip(config):  # ids, and keys newer Keras adds with null values
        if isinstance(config, dict):
            return {
                k: strip(v)
                for k, v in config.items()
                if k != "shared_object_id"
                and not (
                    v is None
                    and k
                    in ("input_axes", "output_axes", "quantization_config", "activity_regularizer")
                )
            }
        return [strip(v) for v in config] if isinstance(config, list) else config

    ours = strip(json.loads(model.to_json()))
    theirs = strip(json.loads(archive_member(CNN_KERAS, "config.json")))
    for entry in ours["config"]["layers"] + theirs["config"]["layers"]:
        entry.pop("build_config", None)  # Keras omits it for layers without their own build()
    assert ours == theirs


# --- files we write, read by real Keras ----------------------------------------------------
@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_keras_loads_our_sequential(keras, tmp_path, suffix):
    model = train_once(small_cnn())
    path = str(tmp_path / f"model{suffix}")
    model.save(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "skipping variables" or similar warnings
        loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(
        loaded.predict(X8, verbose=0), model.predict(X8, verbose=0), atol=1e-5
    )
    assert int(loaded.optimizer.iterations) == 1
    theirs = loaded.optimizer.variables
    # Keras's legacy H5 loader builds a Sequential's optimizer without its weights, so it
    # restores only the iteration and learning rate; the .keras format restores every slot
    assert len(theirs) == (len(model.optimizer.variables) if suffix == ".keras" else 2)
    for a, b in zip(theirs, model.optimizer.variables):
        np.testing.assert_allclose(np.asarray(a), b.numpy(), atol=1e-7)


def test_keras_loads_our_functional_and_we_load_its_copy(keras, tmp_path):
    model = small_functional()
    x = [X8.reshape(16, -1)[:, :4], X8.reshape(16, -1)[:, 4:8]]
    model.fit(x, [Y8[:, :2], Y8[:, 2:]], verbose=0)
    model.save(tmp_path / "f.keras")
    theirs = keras.saving.load_model(tmp_path / "f.keras")
    for a, b in zip(theirs.predict(x, verbose=0), model.predict(x, verbose=0), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)
    theirs.save(tmp_path / "k.keras")
    again = nk.models.load_model(tmp_path / "k.keras")
    for a, b in zip(again.predict(x, verbose=0), model.predict(x, verbose=0), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)
    assert [t._keras_history[0].name for t in again.inputs] == ["a", "b"]


def branching(lib):
    """Branches, merges, a shared layer and BatchNormalization: Keras orders such layers by
    depth, and names weights and optimizer slots by that order."""
    a, b = lib.Input((4,), name="a"), lib.Input((4,), name="b")
    shared = lib.layers.Dense(4, name="shared")
    left = lib.layers.BatchNormalization(name="bn")(lib.layers.Dense(4, name="d1")(a))
    right = shared(lib.layers.Dense(4, name="pre")(b))
    merged = lib.layers.Concatenate(name="cat")([shared(left), right])
    out = lib.layers.Dense(2, name="out")(lib.layers.Add(name="add")([merged, merged]))
    model = lib.Model([a, b], out)
    model.compile(optimizer="adam", loss="mse")
    return model


def test_branching_functional_model_both_ways(keras, tmp_path):
    x = [X8.reshape(16, -1)[:, :4], X8.reshape(16, -1)[:, 4:8]]
    ours, theirs = branching(nk), branching(keras)
    assert [la.name for la in ours.layers] == [la.name for la in theirs.layers]
    for source, other, load in [
        (ours, "k", keras.saving.load_model),
        (theirs, "n", nk.models.load_model),
    ]:
        source.fit(x, Y8[:, :2], verbose=0)
        source.save(tmp_path / f"{other}.keras")
        loaded = load(tmp_path / f"{other}.keras")
        np.testing.assert_allclose(
            loaded.predict(x, verbose=0), source.predict(x, verbose=0), atol=1e-5
        )
        for u, v in zip(loaded.optimizer.variables, source.optimizer.variables, strict=True):
            np.testing.assert_allclose(np.asarray(u), np.asarray(v), atol=1e-7)


# --- numkeras round trips ------------------------------------------------------------------
def test_round_trip_resumes_training_exactly(tmp_path):
    model = train_once(small_cnn())
    model.save(tmp_path / "m.keras")
    loaded = nk.models.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(loaded.predict(X8, verbose=0), model.predict(X8, verbose=0))
    assert loaded.get_compile_config() == model.get_compile_config()
    fresh = nk.models.load_model(tmp_path / "m.keras", compile=False)
    assert not fresh.compiled
    fresh.compile(nk.optimizers.Adam(1e-2), "categorical_crossentropy")
    for m in (model, loaded, fresh):
        train_once(m)
    assert_same_weights(loaded, model)
    assert not np.array_equal(fresh.layers[-1].kernel.numpy(), model.layers[-1].kernel.numpy())


def test_functional_round_trip_keeps_shared_layers(tmp_path):
    model = small_functional()
    model.save(tmp_path / "f.keras")
    loaded = nk.models.load_model(tmp_path / "f.keras")
    assert len(loaded.layers) == len(model.layers) and len(loaded.weights) == 6
    x = [np.ones((2, 4), "float32"), np.zeros((2, 4), "float32")]
    for a, b in zip(loaded.predict(x, verbose=0), model.predict(x, verbose=0), strict=True):
        np.testing.assert_array_equal(a, b)


@register_keras_serializable(package="SavingTest")
class TwoTower(nk.Model):
    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.body = layers.Dense(units)
        self.blocks = [layers.Dense(2), layers.Dense(2)]
        self._head = layers.Dense(1)

    def call(self, x):
        x = self.body(x)
        for block in self.blocks:
            x = block(x)
        return self._head(x)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def test_registered_subclassed_model_round_trip(tmp_path):
    model = TwoTower()
    x = X8.reshape(16, -1)[:, :4]
    model.compile("adam", "mse")
    model.fit(x, Y8[:, :1], verbose=0)
    # Keras's walk: attributes sorted, `layers` holds what no attribute reached, privates last
    assert [path for path, _ in h5_store.walk(model)] == [
        "",
        "blocks/dense",
        "blocks/dense_1",
        "body",
        "layers/dense_3",
        "optimizer",
    ]
    model.save(tmp_path / "t.keras")
    loaded = nk.models.load_model(tmp_path / "t.keras")
    assert isinstance(loaded, TwoTower) and loaded.units == 3
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


@register_keras_serializable(package="SavingTest")
def twice(x):
    return x * 2


def test_functions_by_name_lambda_refused_and_directory_format(tmp_path):
    x = X8.reshape(16, -1)[:, :4]
    model = nk.Sequential(
        [
            layers.Dense(4, input_shape=(4,)),
            layers.Lambda(nk.ops.exp),
            layers.Lambda(twice),
            layers.Dense(1),
        ]
    )
    model.save(tmp_path / "dir.keras", zipped=False)
    assert sorted(os.listdir(tmp_path / "dir.keras")) == [
        "config.json",
        "metadata.json",
        "model.weights.h5",
    ]
    loaded = nk.models.load_model(tmp_path / "dir.keras")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    nk.Sequential([layers.Input((4,)), layers.Lambda(lambda t: t + 1)]).save(tmp_path / "l.keras")
    with pytest.raises(ValueError, match="Unknown function '<lambda>'"):
        nk.models.load_model(tmp_path / "l.keras")


def test_save_weights_load_weights_round_trip(tmp_path):
    model = train_once(small_cnn())
    model.save_weights(tmp_path / "w.weights.h5")
    other = small_cnn()
    other.load_weights(tmp_path / "w.weights.h5")
    assert_same_weights(other, model)
    assert int(other.optimizer.iterations.numpy()) == 1  # optimizer state comes along
    model.save(tmp_path / "m.keras")
    third = small_cnn()
    third.load_weights(tmp_path / "m.keras")
    assert_same_weights(third, model)
    with pytest.raises(ValueError, match=r"\.weights\.h5"):
        model.save_weights(tmp_path / "w.h5")
    os.rename(tmp_path / "w.weights.h5", tmp_path / "renamed.h5")
    fourth = small_cnn()
    fourth.load_weights(tmp_path / "renamed.h5")  # Keras 3 layout under a legacy name
    assert_same_weights(fourth, model)


def test_legacy_h5_weights_by_position_and_by_name():
    model = tutorial_cnn()
    model.load_weights(CNN_H5)
    reference = nk.models.load_model(CNN_KERAS)
    assert_same_weights(model, reference)
    renamed = tutorial_cnn()
    renamed.layers[0].name = "not_in_file"
    renamed.load_weights(CNN_H5, by_name=True)
    np.testing.assert_array_equal(
        renamed.layers[-1].kernel.numpy(), reference.layers[-1].kernel.numpy()
    )
    assert not np.array_equal(renamed.layers[0].kernel.numpy(), reference.layers[0].kernel.numpy())


def keras2_dense(layer_name, units, activation, **extra):
    return {
        "class_name": "Dense",
        "config": {
            "name": layer_name,
            "trainable": True,
            "dtype": "float32",
            "units": units,
            "activation": activation,
            "use_bias": True,
            "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
            "bias_initializer": {"class_name": "Zeros", "config": {}},
            "kernel_regularizer": None,
            "bias_regularizer": None,
            "activity_regularizer": None,
            "kernel_constraint": None,
            "bias_constraint": None,
        },
        **extra,
    }


KERAS2_INPUT = {
    "class_name": "InputLayer",
    "config": {
        "batch_input_shape": [None, 4],
        "dtype": "float32",
        "sparse": False,
        "ragged": False,
        "name": "input_1",
    },
}
KERAS2_MODELS = {
    "sequential": {
        "class_name": "Sequential",
        "config": {
            "name": "sequential",
            "layers": [
                KERAS2_INPUT,
                keras2_dense("dense", 3, "relu"),
                keras2_dense("dense_1", 2, "linear"),
            ],
        },
    },
    "functional": {
        "class_name": "Functional",
        "config": {
            "name": "model",
            "trainable": True,
            "layers": [
                {**KERAS2_INPUT, "name": "input_1", "inbound_nodes": []},
                keras2_dense(
                    "dense", 3, "relu", name="dense", inbound_nodes=[[["input_1", 0, 0, {}]]]
                ),
                keras2_dense(
                    "dense_1", 2, "linear", name="dense_1", inbound_nodes=[[["dense", 0, 0, {}]]]
                ),
            ],
            "input_layers": [["input_1", 0, 0]],
            "output_layers": [["dense_1", 0, 0]],
        },
    },
}
KERAS2_TRAINING = {
    "loss": "mse",
    "loss_weights": None,
    "weighted_metrics": None,
    "metrics": [
        [
            {
                "class_name": "MeanMetricWrapper",
                "config": {"name": "mae", "dtype": "float32", "fn": "mean_absolute_error"},
            }
        ]
    ],
    "optimizer_config": {
        "class_name": "Custom>Adam",
        "config": {
            "name": "Adam",
            "weight_decay": None,
            "clipnorm": None,
            "global_clipnorm": None,
            "clipvalue": None,
            "use_ema": False,
            "ema_momentum": 0.99,
            "ema_overwrite_frequency": None,
            "jit_compile": True,
            "is_legacy_optimizer": False,
            "learning_rate": 0.001,
            "beta_1": 0.9,
            "beta_2": 0.999,
            "epsilon": 1e-07,
            "amsgrad": False,
        },
    },
}


@pytest.mark.parametrize("kind", ["sequential", "functional"])
def test_keras2_h5_model(tmp_path, kind):
    """tf.keras 2.x layout: `model_weights/dense/dense/kernel:0`, Keras 2 configs and nodes."""
    weights = [RNG.random(shape, dtype=np.float32) for shape in [(4, 3), (3,), (3, 2), (2,)]]
    path = tmp_path / "k2.h5"
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"], f.attrs["backend"] = "2.15.0", "tensorflow"
        f.attrs["model_config"] = json.dumps(KERAS2_MODELS[kind])
        f.attrs["training_config"] = json.dumps(KERAS2_TRAINING)
        group = f.create_group("model_weights")
        names = (["input_1"] if kind == "functional" else []) + ["dense", "dense_1"]
        group.attrs["layer_names"] = np.array([n.encode() for n in names])
        values = iter(weights)
        for name in names:
            layer = group.create_group(name)
            weight_names = [] if name == "input_1" else [f"{name}/kernel:0", f"{name}/bias:0"]
            layer.attrs["weight_names"] = np.array([w.encode() for w in weight_names])
            for w in weight_names:
                layer.create_dataset(w, data=next(values))
        optimizer = f.create_group("optimizer_weights")  # Keras 2's own slot layout
        optimizer.attrs["weight_names"] = np.array([b"Adam/iter:0"])
        optimizer.create_dataset("Adam/iter:0", data=np.int64(7))
    with pytest.warns(UserWarning, match="optimizer state"):
        model = nk.models.load_model(path)
    x = RNG.random((5, 4), dtype=np.float32)
    expected = np.maximum(x @ weights[0] + weights[1], 0) @ weights[2] + weights[3]
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-6)
    assert type(model.optimizer).__name__ == "Adam"
    assert set(model.fit(x, expected, verbose=0).history) == {"loss", "mae"}


def test_json_and_clone(tmp_path):
    model = train_once(small_cnn())
    rebuilt = nk.models.model_from_json(model.to_json())
    assert rebuilt.compiled and [type(la) for la in rebuilt.layers] == [
        type(la) for la in model.layers
    ]
    for original in (model, small_functional()):
        clone = nk.models.clone_model(original)
        assert clone is not original and len(clone.weights) == len(original.weights)
        assert all(a is not b for a, b in zip(clone.weights, original.weights))


# --- bad files ----------------------------------------------------------------------------------
def saved_cnn(tmp_path):
    path = tmp_path / "good.keras"
    small_cnn().save(path)
    return path


def assert_load_fails(path, match=None):
    before = sorted(os.listdir(os.path.dirname(path)))
    with pytest.raises(ValueError, match=match) as info:
        nk.models.load_model(path)
    assert str(path) in str(info.value)
    assert sorted(os.listdir(os.path.dirname(path))) == before  # nothing extracted or left


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.keras"):
        nk.models.load_model(tmp_path / "nope.keras")
    with pytest.raises(FileNotFoundError):
        small_cnn().load_weights(tmp_path / "nope.weights.h5")


@pytest.mark.parametrize(
    "fraction", [0.0, 0.001, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.999]
)
def test_truncated_file(tmp_path, fraction):
    data = saved_cnn(tmp_path).read_bytes()
    bad = tmp_path / "bad.keras"
    bad.write_bytes(data[: int(len(data) * fraction)])
    assert_load_fails(bad)


@pytest.mark.parametrize("member", ["metadata.json", "config.json", "model.weights.h5", "end"])
def test_flipped_bytes(tmp_path, member):
    path = saved_cnn(tmp_path)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        if member == "end":
            offset = data.rfind(b"PK\x05\x06")  # the end-of-central-directory record
        else:
            info = zf.getinfo(member)
            offset = info.header_offset + 30 + len(info.filename) + info.file_size // 2
    data[offset] ^= 0xFF
    bad = tmp_path / "bad.keras"
    bad.write_bytes(bytes(data))
    assert_load_fails(bad)


def test_random_bytes_and_wrong_archives(tmp_path):
    bad = tmp_path / "bad.keras"
    bad.write_bytes(np.random.default_rng(1).bytes(5000))
    assert_load_fails(bad, "zip")
    write_archive(bad, {"model.weights.h5": b""})
    assert_load_fails(bad, "config.json")
    good = saved_cnn(tmp_path)
    write_archive(bad, {"config.json": archive_member(good, "config.json")})
    assert_load_fails(bad, "model.weights.h5")
    write_archive(bad, {"config.json": b"{not json", "model.weights.h5": b""})
    assert_load_fails(bad, "JSON")
    bad_h5 = tmp_path / "bad.h5"
    bad_h5.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(100))
    assert_load_fails(bad_h5)


CRAFTED = [
    {
        "module": "os",
        "class_name": "system",
        "config": {"command": "touch {marker}"},
        "registered_name": None,
    },
    {
        "module": "keras.layers",
        "class_name": "Dense",
        "config": {
            "units": 2,
            "activation": {
                "module": "os",
                "class_name": "function",
                "config": "system",
                "registered_name": "system",
            },
        },
    },
    {"module": "builtins", "class_name": "eval", "config": {"source": "1"}},
    {
        "module": "keras.layers",
        "class_name": "Lambda",
        "config": {
            "function": {
                "class_name": "__lambda__",
                "config": {"value": ["4wEAAAAAAAAA", None, None]},
            }
        },
    },
    {
        "module": "keras.layers",
        "class_name": "Dense",
        "config": {
            "units": 2,
            "activation": {
                "class_name": "__lambda__",
                "config": {"value": ["4wEAAAAAAAAA", None, None]},
            },
        },
    },
]


@pytest.mark.parametrize("layer", CRAFTED)
def test_crafted_config_never_runs_code(tmp_path, monkeypatch, layer):
    calls = []
    monkeypatch.setattr(os, "system", lambda *a: calls.append(a))
    marker = tmp_path / "pwned"
    good = saved_cnn(tmp_path)
    config = json.loads(archive_member(good, "config.json"))
    crafted = json.loads(json.dumps(layer).replace("{marker}", str(marker)))
    config["config"]["layers"].insert(1, crafted)
    bad = tmp_path / "bad.keras"
    write_archive(
        bad,
        {
            "config.json": json.dumps(config),
            "model.weights.h5": archive_member(good, "model.weights.h5"),
        },
    )
    assert_load_fails(bad, "Unknown|lambda")
    assert not calls and not marker.exists()


def test_wrong_weight_shapes_and_counts(tmp_path):
    model = small_cnn()
    model.save(tmp_path / "a.keras")
    wider = nk.Sequential(
        [
            layers.Input((8, 8, 1)),
            layers.Conv2D(5, 3),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(3),
        ]
    )
    wider.save_weights(tmp_path / "wide.weights.h5")
    deeper = nk.Sequential(
        [
            layers.Input((8, 8, 1)),
            layers.Conv2D(4, 3),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(3),
            layers.Dense(3),
        ]
    )
    deeper.save_weights(tmp_path / "deep.weights.h5")
    bad = tmp_path / "bad.keras"
    config = archive_member(tmp_path / "a.keras", "config.json")
    write_archive(
        bad,
        {"config.json": config, "model.weights.h5": (tmp_path / "wide.weights.h5").read_bytes()},
    )
    assert_load_fails(bad, r"shape \(3, 3, 1, 4\).*\(3, 3, 1, 5\)")
    before = [w.numpy() for w in model.weights]
    for name, match in [("wide", "shape"), ("deep", "layers/dense_1")]:
        with pytest.raises(ValueError, match=match):
            model.load_weights(tmp_path / f"{name}.weights.h5")
    for w, b in zip(model.weights, before, strict=True):  # a failed load changes nothing
        np.testing.assert_array_equal(w.numpy(), b)
    with pytest.warns(UserWarning, match="Skipping"):
        model.load_weights(tmp_path / "wide.weights.h5", skip_mismatch=True)
    no_bias = nk.Sequential(
        [
            layers.Input((8, 8, 1)),
            layers.Conv2D(4, 3, use_bias=False),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(3),
        ]
    )
    with pytest.raises(ValueError, match=r"expects 1 variables \['kernel'\].* has 2"):
        no_bias.load_weights(tmp_path / "a.keras")
    with pytest.raises(ValueError, match="weights only"):
        nk.models.load_model(tmp_path / "wide.weights.h5")
    (tmp_path / "model.txt").write_bytes((tmp_path / "a.keras").read_bytes())
    with pytest.raises(ValueError, match="not supported"):
        nk.models.load_model(tmp_path / "model.txt")


# --- atomic writes ----------------------------------------------------------------------------
def test_saving_is_atomic(tmp_path, monkeypatch):
    model = small_cnn()
    path = tmp_path / "m.keras"
    model.save(path)
    model.save(path)
    model.save_weights(tmp_path / "m.weights.h5")
    model.save(tmp_path / "m.h5")
    assert sorted(os.listdir(tmp_path)) == ["m.h5", "m.keras", "m.weights.h5"]
    original = path.read_bytes()

    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    with pytest.raises(OSError, match="disk full"):
        model.save(tmp_path / "new.keras")
    assert path.read_bytes() == original
    assert sorted(os.listdir(tmp_path)) == ["m.h5", "m.keras", "m.weights.h5"]
    with pytest.raises(FileExistsError):
        model.save(path, overwrite=False)


# --- pickle and deepcopy ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "clone", [lambda m: pickle.loads(pickle.dumps(m)), copy.deepcopy], ids=["pickle", "deepcopy"]
)
def test_pickle_and_deepcopy_trained_models(clone):
    model = train_once(small_cnn())
    copied = clone(model)
    np.testing.assert_array_equal(copied.predict(X8, verbose=0), model.predict(X8, verbose=0))
    train_once(copied)
    train_once(model)
    assert_same_weights(copied, model)
    assert all(a is not b for a, b in zip(copied.weights, model.weights))
    functional = small_functional()
    x = [np.ones((2, 4), "float32"), np.zeros((2, 4), "float32")]
    for a, b in zip(
        clone(functional).predict(x, verbose=0), functional.predict(x, verbose=0), strict=True
    ):
        np.testing.assert_array_equal(a, b)


SAVE_FOREVER = """
import sys
import numkeras as nk
from numkeras import layers
model = nk.Sequential([layers.Input((8, 8, 1)), layers.Conv2D(4, 3), layers.Flatten(),
                       layers.Dense(3)])
model.compile("adam", "mse")
path = sys.argv[1]
model.save(path)
print("saved", flush=True)
while True:
    model.layers[-1].kernel.assign(model.layers[-1].kernel.numpy() + 1)
    model.save(path)
"""


@pytest.mark.parametrize("delay", [0.05, 0.13, 0.31])
def test_process_killed_while_saving_leaves_a_loadable_file(tmp_path, delay):
    """SIGKILL at an arbitrary moment of repeated saves: the file is the old or the new one."""
    import signal
    import subprocess
    import time

    path = tmp_path / "model.keras"
    proc = subprocess.Popen(
        [sys.executable, "-c", SAVE_FOREVER, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "saved"
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    model = nk.models.load_model(path)  # a torn file would raise here
    assert model.count_params() == 4 * 9 + 4 + 144 * 3 + 3
    assert all(np.isfinite(w).all() for w in model.get_weights())
