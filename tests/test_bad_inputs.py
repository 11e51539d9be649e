"""A catalogue of bad calls: each raises a clear error (its type and key words checked) from
within 3 frames of the user's line, changes nothing, and training goes on afterwards."""

import traceback
import warnings

import numpy as np
import pytest

import numkeras
from numkeras import callbacks, layers
from numkeras.datasets import mnist
from numkeras.engine import autodiff
from numkeras.utils import to_categorical

RNG = np.random.default_rng(0)
X = RNG.random((16, 8, 8, 1), dtype="float32")
LABELS = RNG.integers(0, 3, 16)
Y = to_categorical(LABELS, 3)
TARGETS = {
    "categorical_crossentropy": Y,
    "sparse_categorical_crossentropy": LABELS,
    "binary_crossentropy": Y,
    "mse": Y,
}


def cnn(loss="categorical_crossentropy"):
    numkeras.utils.set_random_seed(0)
    model = numkeras.Sequential(
        [
            layers.Input((8, 8, 1)),
            layers.Conv2D(2, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile("adam", loss, metrics=["accuracy"])
    return model


def functional_cnn(loss="categorical_crossentropy"):
    numkeras.utils.set_random_seed(0)
    inputs = numkeras.Input((8, 8, 1))
    hidden = layers.Flatten()(layers.Conv2D(2, 3, activation="relu")(inputs))
    model = numkeras.Model(inputs, layers.Dense(3, activation="softmax")(hidden))
    model.compile("adam", loss)
    return model


def user_frame_depth(info, test_file=__file__):
    """How many frames below the user's line (the case's lambda) the error was raised."""
    frames = traceback.extract_tb(info.tb)
    user = max(i for i, f in enumerate(frames) if f.filename == test_file and f.name == "<lambda>")
    return len(frames) - 1 - user


def weights_file(tmp_path, units):
    numkeras.utils.set_random_seed(1)
    other = numkeras.Sequential(
        [
            layers.Input((8, 8, 1)),
            layers.Conv2D(2, 3),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(units),
        ]
    )
    path = tmp_path / f"dense{units}.weights.h5"
    other.save_weights(path)
    return path


def junk_file(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"not an HDF5 file")
    return path


def case(name, call, error, words, loss="categorical_crossentropy", build=cnn):
    return pytest.param(call, error, words, loss, build, id=name)


# call(model, tmp_path) -> raises `error` whose message holds every word in `words`
MODEL_CASES = [
    # --- inputs that do not fit the model
    case(
        "flat vectors to an image model",
        lambda m, t: m.fit(X.reshape(16, -1), Y, verbose=0),
        ValueError,
        ["conv2d", "(None, 8, 8, 1)", "(None, 64)", "reshape"],
    ),
    case(
        "wrong channel count",
        lambda m, t: m.fit(np.repeat(X, 3, -1), Y, verbose=0),
        ValueError,
        ["(None, 8, 8, 1)", "(None, 8, 8, 3)"],
    ),
    case(
        "an extra axis",
        lambda m, t: m.predict(X[:, None], verbose=0),
        ValueError,
        ["expected shape"],
    ),
    case(
        "wrong spatial size",
        lambda m, t: m.evaluate(X[:, :6], Y, verbose=0),
        ValueError,
        ["(None, 6, 8, 1)"],
    ),
    case(
        "per-sample shape differs (evaluate, channels)",
        lambda m, t: m.evaluate(np.repeat(X, 2, -1), Y, verbose=0),
        ValueError,
        ['layer "conv2d', "expected shape (None, 8, 8, 1)", "got (None, 8, 8, 2)"],
    ),
    case(
        "flat vectors to a functional model",
        lambda m, t: m.predict(X.reshape(16, -1), verbose=0),
        ValueError,
        ['layer "functional', "(None, 64)", "reshape to (-1, 8, 8, 1)"],
        build=functional_cnn,
    ),
    case(
        "one image without the batch axis",
        lambda m, t: m.predict(X[0], verbose=0),
        ValueError,
        [
            "got (None, 8, 1, 1) (from an array of shape (8, 8, 1))",
            "x[None]",
            "np.expand_dims(x, 0)",
            "(1, 8, 8, 1)",
        ],
    ),
    case(
        "one image without batch and channel axes",
        lambda m, t: m.predict(X[0, ..., 0]),
        ValueError,
        ["array of shape (8, 8)", "x[None, ..., None]", "(1, 8, 8, 1)"],
    ),
    case(
        "one image without the batch axis, called directly",
        lambda m, t: m(X[0]),
        ValueError,
        ["array of shape (8, 8, 1)", "np.expand_dims(x, 0)"],
    ),
    case(
        "one image without the batch axis to a functional model",
        lambda m, t: m.predict(X[0], verbose=0),
        ValueError,
        ["array of shape (8, 8, 1)", "x[None]", "np.expand_dims(x, 0)"],
        build=functional_cnn,
    ),
    case(
        "two arrays to a one-input functional model",
        lambda m, t: m.fit([X, X], Y, verbose=0),
        ValueError,
        ["expects 1 input", "2 input arrays"],
        build=functional_cnn,
    ),
    case(
        "a dict of inputs to a Sequential model",
        lambda m, t: m.fit({"a": X}, Y, verbose=0),
        ValueError,
        ["Sequential", "single input", "(None, 8, 8, 1)", "dict"],
    ),
    case(
        "a list of scalars read as inputs",
        lambda m, t: m.predict([1.0, 2.0], verbose=0),
        ValueError,
        ["`x`", "scalar 1.0", "np.array"],
    ),
    case(
        "train_on_batch flat vectors",
        lambda m, t: m.train_on_batch(X.reshape(16, -1), Y),
        ValueError,
        ["(None, 8, 8, 1)", "(None, 64)"],
    ),
    case(
        "test_on_batch wrong channels",
        lambda m, t: m.test_on_batch(np.repeat(X, 3, -1), Y),
        ValueError,
        ["(None, 8, 8, 3)"],
    ),
    case(
        "predict_on_batch wrong size",
        lambda m, t: m.predict_on_batch(np.ones((2, 9, 9, 1))),
        ValueError,
        ["(None, 9, 9, 1)", "(None, 8, 8, 1)"],
    ),
    # --- data that cannot be used
    case(
        "x and y lengths differ",
        lambda m, t: m.fit(X, Y[:10], verbose=0),
        ValueError,
        ["same number of samples", "16", "10"],
    ),
    case(
        "train_on_batch lengths differ",
        lambda m, t: m.train_on_batch(X, Y[:3]),
        ValueError,
        ["same number of samples", "y: [3]"],
    ),
    case(
        "sample_weight length differs",
        lambda m, t: m.fit(X, Y, sample_weight=np.ones(3), verbose=0),
        ValueError,
        ["sample_weight: [3]"],
    ),
    case(
        "sample_weight shape fits nothing",
        lambda m, t: m.fit(X, Y, sample_weight=np.ones((16, 4)), verbose=0),
        ValueError,
        ["`sample_weight`", "(16,)", "(16, 4)"],
    ),
    case("empty data", lambda m, t: m.fit(X[:0], Y[:0], verbose=0), ValueError, ["empty"]),
    case("object array", lambda m, t: m.fit(X.astype(object), Y, verbose=0), TypeError, ["dtype"]),
    case(
        "string array", lambda m, t: m.predict(np.array([["a"]]), verbose=0), TypeError, ["dtype"]
    ),
    case(
        "string labels",
        lambda m, t: m.fit(X, np.array(["cat"] * 16), verbose=0),
        TypeError,
        ["`y`", "dtype <U3"],
    ),
    case(
        "NaN in inputs",
        lambda m, t: m.fit(np.where(X > 0.5, np.nan, X), Y, verbose=0),
        ValueError,
        ["NaN", "`x`", "set_nan_policy"],
    ),
    case(
        "inf in labels",
        lambda m, t: m.fit(X, np.where(Y > 0, np.inf, Y), verbose=0),
        ValueError,
        ["infinite", "`y`"],
    ),
    case(
        "NaN in sample weights",
        lambda m, t: m.fit(X, Y, sample_weight=np.full(16, np.nan), verbose=0),
        ValueError,
        ["`sample_weight`", "16 NaN"],
    ),
    case(
        "NaN in test_on_batch inputs",
        lambda m, t: m.test_on_batch(X * np.nan, Y),
        ValueError,
        ["`x` contains 1024 NaN"],
    ),
    case("x is None", lambda m, t: m.predict(None, verbose=0), ValueError, ["`x` is None"]),
    # --- targets that do not fit the loss
    case(
        "one-hot width differs from units",
        lambda m, t: m.fit(X, to_categorical(LABELS + 2, 5), verbose=0),
        ValueError,
        ["categorical_crossentropy", "5 classes", "3 units"],
    ),
    case(
        "sparse labels to a one-hot loss",
        lambda m, t: m.fit(X, LABELS, verbose=0),
        ValueError,
        ["sparse_categorical_crossentropy"],
    ),
    case(
        "one-hot labels to a sparse loss",
        lambda m, t: m.fit(X, Y, verbose=0),
        ValueError,
        [
            "sparse_categorical_crossentropy",
            "(None,)",
            "got (16, 3)",
            "Did you mean categorical_crossentropy",
        ],
        loss="sparse_categorical_crossentropy",
    ),
    case(
        "sparse labels out of range",
        lambda m, t: m.fit(X, LABELS + 3, verbose=0),
        ValueError,
        ["[0, 3)", "3 units", "from 3 to 5"],
        loss="sparse_categorical_crossentropy",
    ),
    case(
        "one bad label in the last batch",
        lambda m, t: m.fit(X, np.r_[LABELS[:-1], 7], batch_size=4, verbose=0),
        ValueError,
        ["from 0 to 7"],
        loss="sparse_categorical_crossentropy",
    ),
    case(
        "negative sparse labels (evaluate)",
        lambda m, t: m.evaluate(X, LABELS - 1, verbose=0),
        ValueError,
        ["[0, 3)", "from -1"],
        loss="sparse_categorical_crossentropy",
    ),
    case(
        "fractional sparse labels (train_on_batch)",
        lambda m, t: m.train_on_batch(X, LABELS + 0.5),
        ValueError,
        ["integer class labels", "non-integer"],
        loss="sparse_categorical_crossentropy",
    ),
    case(
        "binary targets outside [0, 1]",
        lambda m, t: m.fit(X, 2 * Y, verbose=0),
        ValueError,
        ["binary_crossentropy", "between 0 and 1", "from 0 to 2"],
        loss="binary_crossentropy",
    ),
    case(
        "regression targets of the wrong width",
        lambda m, t: m.fit(X, np.ones((16, 5)), verbose=0),
        ValueError,
        ["mean_squared_error", "(None, 3)", "(16, 5)"],
        loss="mse",
    ),
    case(
        "no targets for a compiled loss",
        lambda m, t: m.fit(X, verbose=0),
        ValueError,
        ["`fit` needs targets", "categorical_crossentropy", "y=None"],
    ),
    case(
        "no targets to evaluate",
        lambda m, t: m.evaluate(X, verbose=0),
        ValueError,
        ["`evaluate` needs targets"],
    ),
    # --- fit / evaluate / predict arguments
    case(
        "batch_size zero",
        lambda m, t: m.fit(X, Y, batch_size=0, verbose=0),
        ValueError,
        ["batch_size"],
    ),
    case(
        "batch_size negative",
        lambda m, t: m.predict(X, batch_size=-4, verbose=0),
        ValueError,
        ["batch_size"],
    ),
    case(
        "batch_size float",
        lambda m, t: m.evaluate(X, Y, batch_size=2.5, verbose=0),
        ValueError,
        ["batch_size"],
    ),
    case(
        "batch_size string",
        lambda m, t: m.fit(X, Y, batch_size="32", verbose=0),
        ValueError,
        ["batch_size='32'"],
    ),
    case("epochs negative", lambda m, t: m.fit(X, Y, epochs=-1, verbose=0), ValueError, ["epochs"]),
    case(
        "epochs float", lambda m, t: m.fit(X, Y, epochs=1.5, verbose=0), ValueError, ["epochs=1.5"]
    ),
    case(
        "initial_epoch negative",
        lambda m, t: m.fit(X, Y, initial_epoch=-1, verbose=0),
        ValueError,
        ["initial_epoch"],
    ),
    case(
        "validation_split 1",
        lambda m, t: m.fit(X, Y, validation_split=1.0, verbose=0),
        ValueError,
        ["validation_split"],
    ),
    case(
        "validation_split negative",
        lambda m, t: m.fit(X, Y, validation_split=-0.1, verbose=0),
        ValueError,
        ["validation_split"],
    ),
    case(
        "validation_split string",
        lambda m, t: m.fit(X, Y, validation_split="0.2", verbose=0),
        ValueError,
        ["validation_split='0.2'", "[0, 1)"],
    ),
    case(
        "validation_split leaves nothing",
        lambda m, t: m.fit(X[:1], Y[:1], validation_split=0.1, verbose=0),
        ValueError,
        ["validation_split"],
    ),
    case(
        "validation_data of 4 items",
        lambda m, t: m.fit(X, Y, validation_data=(X, Y, Y, Y), verbose=0),
        ValueError,
        ["`validation_data`", "(x_val, y_val)", "4 items"],
    ),
    case(
        "validation_data a bare array",
        lambda m, t: m.fit(X, Y, validation_data=X, verbose=0),
        ValueError,
        ["`validation_data`", "ndarray of shape (16, 8, 8, 1)"],
    ),
    case(
        "validation_data of the wrong shape",
        lambda m, t: m.fit(X, Y, validation_data=(X[:, :6], Y), verbose=0),
        ValueError,
        ["(None, 6, 8, 1)"],
    ),
    case(
        "validation labels of the wrong width",
        lambda m, t: m.fit(X, Y, validation_data=(X, Y[:, :2]), verbose=0),
        ValueError,
        ["categorical_crossentropy", "(16, 2)"],
    ),
    case(
        "NaN in validation_data",
        lambda m, t: m.fit(X, Y, validation_data=(X * np.nan, Y), verbose=0),
        ValueError,
        ["NaN"],
    ),
    case(
        "validation_freq zero",
        lambda m, t: m.fit(X, Y, validation_data=(X, Y), validation_freq=0, verbose=0),
        ValueError,
        ["validation_freq=0"],
    ),
    case(
        "validation_batch_size zero",
        lambda m, t: m.fit(X, Y, validation_data=(X, Y), validation_batch_size=0, verbose=0),
        ValueError,
        ["validation_batch_size=0"],
    ),
    case(
        "validation_steps zero",
        lambda m, t: m.fit(X, Y, validation_data=(X, Y), validation_steps=0, verbose=0),
        ValueError,
        ["validation_steps=0"],
    ),
    case(
        "steps_per_epoch zero",
        lambda m, t: m.fit(X, Y, steps_per_epoch=0, verbose=0),
        ValueError,
        ["steps_per_epoch=0", ">= 1"],
    ),
    case(
        "steps negative (predict)",
        lambda m, t: m.predict(X, steps=-1, verbose=0),
        ValueError,
        ["steps=-1"],
    ),
    case(
        "steps zero (evaluate)",
        lambda m, t: m.evaluate(X, Y, steps=0, verbose=0),
        ValueError,
        ["steps=0"],
    ),
    case(
        "shuffle a string",
        lambda m, t: m.fit(X, Y, shuffle="yes", verbose=0),
        ValueError,
        ["shuffle='yes'", "'batch'"],
    ),
    case(
        "class_weight a list",
        lambda m, t: m.fit(X, Y, class_weight=[1, 2], verbose=0),
        ValueError,
        ["`class_weight`", "dict", "[1, 2]"],
    ),
    case(
        "class_weight a list (train_on_batch)",
        lambda m, t: m.train_on_batch(X, Y, class_weight=[1, 2]),
        ValueError,
        ["`class_weight`", "dict"],
    ),
    case(
        "class_weight with sample_weight",
        lambda m, t: m.fit(X, Y, class_weight={0: 2.0}, sample_weight=np.ones(16), verbose=0),
        ValueError,
        ["class_weight", "sample_weight"],
    ),
    case("verbose 7", lambda m, t: m.fit(X, Y, verbose=7), ValueError, ["verbose"]),
    case(
        "callbacks not Callback",
        lambda m, t: m.fit(X, Y, callbacks=[print], verbose=0),
        TypeError,
        ["Callback"],
    ),
    # --- compile
    case(
        "unknown optimizer", lambda m, t: m.compile("adamm", "mse"), ValueError, ["adamm", "adam"]
    ),
    case(
        "optimizer a number",
        lambda m, t: m.compile(3, "mse"),
        ValueError,
        ["optimizer identifier: 3"],
    ),
    case(
        "unknown loss",
        lambda m, t: m.compile("adam", "categorical_crossentropyy"),
        ValueError,
        ["categorical_crossentropyy"],
    ),
    case("loss a number", lambda m, t: m.compile("adam", 5), ValueError, ["loss identifier 5"]),
    case(
        "unknown metric",
        lambda m, t: m.compile("adam", "mse", metrics=["acuracy"]),
        ValueError,
        ["acuracy"],
    ),
    case(
        "metrics a string",
        lambda m, t: m.compile("adam", "mse", metrics="accuracy"),
        ValueError,
        ["`metrics`", "list, tuple, or dict", "'accuracy'"],
    ),
    case(
        "loss_weights a string",
        lambda m, t: m.compile("adam", "mse", loss_weights="a"),
        ValueError,
        ["`loss_weights`", "'a'"],
    ),
    case(
        "steps_per_execution zero",
        lambda m, t: m.compile("adam", "mse", steps_per_execution=0),
        ValueError,
        ["steps_per_execution=0"],
    ),
    case(
        "negative learning rate",
        lambda m, t: m.compile(numkeras.optimizers.Adam(learning_rate=-1e-3), "mse"),
        ValueError,
        ["learning_rate", "non-negative", "-0.001"],
    ),
    # --- weights
    case(
        "set_weights wrong count",
        lambda m, t: m.set_weights(m.get_weights()[:-1]),
        ValueError,
        ["expected", "4", "3"],
    ),
    case(
        "set_weights wrong shape",
        lambda m, t: m.set_weights([np.zeros((2, 2))] + m.get_weights()[1:]),
        ValueError,
        ["shape", "(3, 3, 1, 2)", "(2, 2)"],
    ),
    case(
        "set_weights an array, not a list",
        lambda m, t: m.set_weights(np.ones(4)),
        ValueError,
        ["list of 4 arrays", "ndarray"],
    ),
    case(
        "set_weights strings",
        lambda m, t: m.set_weights([np.full(w.shape, "a") for w in m.get_weights()]),
        ValueError,
        ["dtype <U1"],
    ),
    case(
        "layer set_weights wrong shape",
        lambda m, t: m.layers[-1].set_weights([np.zeros((5, 3)), np.zeros(3)]),
        ValueError,
        ["dense", "(5, 3)"],
    ),
    case(
        "load_weights missing file",
        lambda m, t: m.load_weights(t / "none.weights.h5"),
        FileNotFoundError,
        ["none.weights.h5"],
    ),
    case(
        "load_weights of another model (wrong shapes)",
        lambda m, t: m.load_weights(weights_file(t, 4)),
        ValueError,
        ["dense", "kernel", "(18, 3)", "(18, 4)"],
    ),
    case(
        "load_weights not an HDF5 file",
        lambda m, t: m.load_weights(junk_file(t, "junk.weights.h5")),
        ValueError,
        ["Cannot load weights", "junk"],
    ),
    case(
        "load_weights unknown format",
        lambda m, t: m.load_weights(junk_file(t, "w.txt")),
        ValueError,
        ["File format not supported", "w.txt"],
    ),
    case("load_weights a number", lambda m, t: m.load_weights(3), TypeError, ["`filepath`", "int"]),
    case("unknown layer name", lambda m, t: m.get_layer("nope"), ValueError, ["nope", "conv2d"]),
    case("layer index out of range", lambda m, t: m.get_layer(index=9), ValueError, ["9"]),
    case(
        "get_layer with neither name nor index",
        lambda m, t: m.get_layer(),
        ValueError,
        ["name or layer index"],
    ),
]


def state(model):
    return (
        [w.copy() for w in model.get_weights()],
        model.optimizer,
        int(model.optimizer.iterations),
        model._compile_loss,
        model.history,
    )


@pytest.mark.parametrize("call, error, words, loss, build", MODEL_CASES)
def test_bad_model_call_is_refused_and_the_model_still_trains(
    call, error, words, loss, build, tmp_path
):
    model = build(loss)
    weights, *rest = state(model)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning is not an acceptable answer either
        with pytest.raises(error) as info:
            call(model, tmp_path)
    message = str(info.value)
    for word in words:
        assert word in message, (word, message)
    depth = user_frame_depth(info)
    assert depth <= 3, "".join(traceback.format_tb(info.tb))
    assert info.value.__cause__ is None and (
        info.value.__context__ is None or info.value.__suppress_context__
    )
    new_weights, *new_rest = state(model)
    for a, b in zip(weights, new_weights):
        np.testing.assert_array_equal(a, b)
    assert all(a is b or a == b for a, b in zip(rest, new_rest))
    history = model.fit(X, TARGETS[loss], batch_size=8, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


# make() -> raises `error` whose message holds every word in `words`; one family per block
LAYER_CASES = [
    # core
    ("Dense units zero", lambda: layers.Dense(0), ValueError, ["units", "0"]),
    ("Dense units negative", lambda: layers.Dense(-3), ValueError, ["units"]),
    ("Dense units float", lambda: layers.Dense(2.5), ValueError, ["units"]),
    ("unknown activation", lambda: layers.Dense(3, activation="relux"), ValueError, ["relux"]),
    (
        "unknown initializer",
        lambda: layers.Dense(3, kernel_initializer="glorot"),
        ValueError,
        ["glorot"],
    ),
    ("unknown keyword", lambda: layers.Dense(3, unitz=4), ValueError, ["unitz"]),
    ("Activation unknown name", lambda: layers.Activation("sigmoidd"), ValueError, ["sigmoidd"]),
    (
        "Embedding input_dim zero",
        lambda: layers.Embedding(0, 3),
        ValueError,
        ["Embedding", "input_dim=0"],
    ),
    (
        "Embedding output_dim negative",
        lambda: layers.Embedding(10, -1),
        ValueError,
        ["output_dim=-1"],
    ),
    (
        "Embedding index out of range",
        lambda: layers.Embedding(5, 2)(np.array([[7]])),
        ValueError,
        ["embedding", "input_dim=5", "7"],
    ),
    ("Lambda not callable", lambda: layers.Lambda(3), ValueError, ["Lambda", "callable"]),
    ("Input negative size", lambda: layers.Input((-2, 3)), ValueError, ["shape", "(-2, 3)"]),
    ("Input shape a string", lambda: layers.Input("abc"), ValueError, ["shape"]),
    # convolutional
    ("Conv2D filters zero", lambda: layers.Conv2D(0, 3), ValueError, ["filters"]),
    ("Conv2D kernel zero", lambda: layers.Conv2D(4, 0), ValueError, ["kernel_size"]),
    (
        "Conv2D kernel tuple too long",
        lambda: layers.Conv2D(4, (3, 3, 3)),
        ValueError,
        ["kernel_size"],
    ),
    ("Conv2D strides negative", lambda: layers.Conv2D(4, 3, strides=-1), ValueError, ["strides"]),
    (
        "Conv2D bad padding",
        lambda: layers.Conv2D(4, 3, padding="full"),
        ValueError,
        ["padding", "full"],
    ),
    (
        "Conv2D bad data_format",
        lambda: layers.Conv2D(4, 3, data_format="nhwc"),
        ValueError,
        ["data_format"],
    ),
    ("Conv2D groups zero", lambda: layers.Conv2D(2, 3, groups=0), ValueError, ["groups=0"]),
    ("Conv1D filters zero", lambda: layers.Conv1D(0, 3), ValueError, ["Conv1D", "filters=0"]),
    (
        "Conv1D dilation zero",
        lambda: layers.Conv1D(2, 3, dilation_rate=0),
        ValueError,
        ["dilation_rate=0"],
    ),
    (
        "Conv2D called on a 3-D input",
        lambda: layers.Conv2D(2, 3)(np.ones((2, 5, 5))),
        ValueError,
        ["conv2d", "expected ndim=4", "(2, 5, 5)"],
    ),
    # pooling
    ("MaxPooling2D pool zero", lambda: layers.MaxPooling2D(0), ValueError, ["pool_size"]),
    (
        "MaxPooling1D pool zero",
        lambda: layers.MaxPooling1D(0),
        ValueError,
        ["MaxPooling1D", "pool_size=0"],
    ),
    (
        "AveragePooling2D strides zero",
        lambda: layers.AveragePooling2D(2, strides=0),
        ValueError,
        ["strides=0"],
    ),
    (
        "AveragePooling2D bad padding",
        lambda: layers.AveragePooling2D(2, padding="full"),
        ValueError,
        ["padding='full'"],
    ),
    (
        "GlobalAveragePooling2D bad data_format",
        lambda: layers.GlobalAveragePooling2D(data_format="x"),
        ValueError,
        ["data_format='x'"],
    ),
    # activations
    ("ELU alpha a string", lambda: layers.ELU(alpha="x"), ValueError, ["ELU", "alpha='x'"]),
    (
        "LeakyReLU negative slope",
        lambda: layers.LeakyReLU(negative_slope=-1),
        ValueError,
        ["negative_slope=-1"],
    ),
    ("ReLU negative max_value", lambda: layers.ReLU(max_value=-1), ValueError, ["max_value=-1"]),
    ("Softmax axis a string", lambda: layers.Softmax(axis="x"), ValueError, ["axis='x'"]),
    ("PReLU bad shared_axes", lambda: layers.PReLU(shared_axes="a"), ValueError, ["shared_axes"]),
    # merging
    ("Concatenate axis a string", lambda: layers.Concatenate(axis="x"), ValueError, ["axis='x'"]),
    ("Dot axes a string", lambda: layers.Dot(axes="x"), ValueError, ["axes='x'"]),
    (
        "Add of incompatible shapes",
        lambda: layers.Add()([np.ones((2, 3)), np.ones((2, 4))]),
        ValueError,
        ["Add", "(3,)", "(4,)"],
    ),
    (
        "Concatenate of different batch sizes",
        lambda: layers.Concatenate()([np.ones((2, 3)), np.ones((3, 4))]),
        ValueError,
        ["batch sizes", "(2, 3)", "(3, 4)"],
    ),
    # normalization
    (
        "BatchNormalization negative epsilon",
        lambda: layers.BatchNormalization(epsilon=-1),
        ValueError,
        ["epsilon=-1"],
    ),
    (
        "BatchNormalization axis out of range",
        lambda: layers.BatchNormalization(axis=5)(np.ones((2, 3))),
        ValueError,
        ["axis=5", "(2, 3)"],
    ),
    (
        "LayerNormalization axis out of range",
        lambda: layers.LayerNormalization(axis=5)(np.ones((2, 3))),
        ValueError,
        ["axis=5"],
    ),
    (
        "UnitNormalization axis a string",
        lambda: layers.UnitNormalization(axis="x"),
        ValueError,
        ["axis='x'"],
    ),
    # preprocessing
    ("Normalization axis a string", lambda: layers.Normalization(axis="x"), ValueError, ["axis"]),
    (
        "Normalization mean without variance",
        lambda: layers.Normalization(mean=1.0),
        ValueError,
        ["`mean` and `variance`"],
    ),
    ("Rescaling scale a string", lambda: layers.Rescaling("a"), ValueError, ["scale='a'"]),
    # regularization
    ("Dropout rate above one", lambda: layers.Dropout(1.5), ValueError, ["rate", "1.5"]),
    ("Dropout rate negative", lambda: layers.Dropout(-0.1), ValueError, ["rate=-0.1"]),
    ("GaussianNoise negative stddev", lambda: layers.GaussianNoise(-1), ValueError, ["stddev=-1"]),
    ("GaussianDropout rate one", lambda: layers.GaussianDropout(1.0), ValueError, ["rate=1.0"]),
    ("SpatialDropout2D rate two", lambda: layers.SpatialDropout2D(2), ValueError, ["rate=2"]),
    (
        "ActivityRegularization negative l1",
        lambda: layers.ActivityRegularization(l1=-1),
        ValueError,
        ["l1=-1"],
    ),
    # reshaping
    ("Reshape two unknowns", lambda: layers.Reshape((-1, -1)), ValueError, ["target_shape"]),
    ("Reshape zero size", lambda: layers.Reshape((0, 3)), ValueError, ["target_shape"]),
    (
        "Reshape to an incompatible size",
        lambda: layers.Reshape((5,))(np.ones((2, 6))),
        ValueError,
        ["reshape", "(2, 6)", "(5,)"],
    ),
    (
        "Flatten bad data_format",
        lambda: layers.Flatten(data_format="x"),
        ValueError,
        ["data_format"],
    ),
    ("Permute repeated axis", lambda: layers.Permute((1, 1)), ValueError, ["dims=(1, 1)"]),
    ("RepeatVector zero", lambda: layers.RepeatVector(0), ValueError, ["n=0"]),
    (
        "UpSampling2D unknown interpolation",
        lambda: layers.UpSampling2D(interpolation="cubic"),
        ValueError,
        ["interpolation='cubic'"],
    ),
    ("UpSampling1D size zero", lambda: layers.UpSampling1D(0), ValueError, ["size=0"]),
    ("ZeroPadding2D negative", lambda: layers.ZeroPadding2D(-1), ValueError, ["padding=-1"]),
    ("Cropping1D negative", lambda: layers.Cropping1D(-1), ValueError, ["cropping=-1"]),
    (
        "Cropping2D crops everything",
        lambda: layers.Cropping2D(5)(np.ones((1, 4, 4, 1))),
        ValueError,
        ["cropping", "(1, 4, 4, 1)"],
    ),
    # recurrent
    ("LSTM units zero", lambda: layers.LSTM(0), ValueError, ["LSTM", "units=0"]),
    ("LSTM dropout two", lambda: layers.LSTM(3, dropout=2), ValueError, ["dropout=2"]),
    (
        "GRU negative recurrent_dropout",
        lambda: layers.GRU(3, recurrent_dropout=-1),
        ValueError,
        ["recurrent_dropout=-1"],
    ),
    (
        "SimpleRNN unknown activation",
        lambda: layers.SimpleRNN(3, activation="x"),
        ValueError,
        ["'x'"],
    ),
    (
        "LSTM called on a 2-D input",
        lambda: layers.LSTM(3)(np.ones((2, 3))),
        ValueError,
        ["lstm", "expected ndim=3"],
    ),
    (
        "Bidirectional of a Dense layer",
        lambda: layers.Bidirectional(layers.Dense(3)),
        ValueError,
        ["Bidirectional", "recurrent", "Dense"],
    ),
    (
        "Bidirectional unknown merge_mode",
        lambda: layers.Bidirectional(layers.LSTM(3), merge_mode="x"),
        ValueError,
        ["merge_mode='x'"],
    ),
    (
        "TimeDistributed of a number",
        lambda: layers.TimeDistributed(3),
        ValueError,
        ["TimeDistributed", "layer=3"],
    ),
    ("RNN of a number", lambda: layers.RNN(3), ValueError, ["RNN", "cell=3"]),
]

CALLBACK_CASES = [
    (
        "EarlyStopping negative patience",
        lambda: callbacks.EarlyStopping(patience=-1),
        ValueError,
        ["EarlyStopping", "patience=-1"],
    ),
    (
        "EarlyStopping unknown mode",
        lambda: callbacks.EarlyStopping(mode="maximum"),
        ValueError,
        ["mode='maximum'", "'min'"],
    ),
    (
        "EarlyStopping negative start_from_epoch",
        lambda: callbacks.EarlyStopping(start_from_epoch=-2),
        ValueError,
        ["start_from_epoch"],
    ),
    (
        "EarlyStopping monitor not a name",
        lambda: callbacks.EarlyStopping(monitor=3),
        ValueError,
        ["monitor=3"],
    ),
    (
        "ModelCheckpoint unbalanced template",
        lambda: callbacks.ModelCheckpoint("c-{epoch.keras"),
        ValueError,
        ["ModelCheckpoint", "template", "c-{epoch.keras"],
    ),
    (
        "ModelCheckpoint positional field",
        lambda: callbacks.ModelCheckpoint("c-{}.keras"),
        ValueError,
        ["positional field", "{epoch}"],
    ),
    (
        "ModelCheckpoint bad format spec",
        lambda: callbacks.ModelCheckpoint("c-{val_loss:02d}.keras"),
        ValueError,
        ["Unknown format code"],
    ),
    (
        "ModelCheckpoint unknown mode",
        lambda: callbacks.ModelCheckpoint("c.keras", mode="best"),
        ValueError,
        ["ModelCheckpoint", "mode='best'"],
    ),
    (
        "ModelCheckpoint save_freq zero",
        lambda: callbacks.ModelCheckpoint("c.keras", save_freq=0),
        ValueError,
        ["save_freq", "0"],
    ),
    (
        "ReduceLROnPlateau factor above one",
        lambda: callbacks.ReduceLROnPlateau(factor=1.5),
        ValueError,
        ["factor >= 1.0", "1.5"],
    ),
    (
        "ReduceLROnPlateau negative patience",
        lambda: callbacks.ReduceLROnPlateau(patience=-1),
        ValueError,
        ["patience=-1"],
    ),
    (
        "ReduceLROnPlateau negative cooldown",
        lambda: callbacks.ReduceLROnPlateau(cooldown=-1),
        ValueError,
        ["cooldown=-1"],
    ),
    (
        "ReduceLROnPlateau negative min_lr",
        lambda: callbacks.ReduceLROnPlateau(min_lr=-1),
        ValueError,
        ["min_lr=-1"],
    ),
    (
        "CSVLogger two-character separator",
        lambda: callbacks.CSVLogger("l.csv", separator=",,"),
        ValueError,
        ["CSVLogger", "separator=',,'", "1-character"],
    ),
    (
        "CSVLogger separator None",
        lambda: callbacks.CSVLogger("l.csv", separator=None),
        ValueError,
        ["separator=None"],
    ),
    (
        "LearningRateScheduler not callable",
        lambda: callbacks.LearningRateScheduler(0.1),
        ValueError,
        ["schedule=0.1"],
    ),
    (
        "LambdaCallback hook not callable",
        lambda: callbacks.LambdaCallback(on_epoch_end=3),
        ValueError,
        ["on_epoch_end=3"],
    ),
    (
        "BackupAndRestore save_freq zero",
        lambda: callbacks.BackupAndRestore("b", save_freq=0),
        ValueError,
        ["save_freq=0"],
    ),
]

UTIL_CASES = [
    (
        "a misspelt keyword",
        lambda: layers.Dense(10, activaton="relu"),
        ValueError,
        [
            "Unrecognized keyword arguments passed to Dense: {'activaton': 'relu'}",
            "Did you mean 'activation'",
        ],
    ),
    (
        "a misspelt keyword of a base class",
        lambda: layers.Conv2D(4, 3, input_shap=(8, 8, 1)),
        ValueError,
        ["Conv2D", "Did you mean 'input_shape'"],
    ),
    (
        "an unknown keyword like no other",
        lambda: layers.Dense(10, colour="red"),
        ValueError,
        ["passed to Dense: {'colour': 'red'}."],
    ),
    (
        "to_categorical negative label",
        lambda: to_categorical([0, -1, 2]),
        ValueError,
        [">= 0", "-1"],
    ),
    (
        "to_categorical label too large",
        lambda: to_categorical([0, 3], num_classes=3),
        ValueError,
        ["num_classes=3", "3"],
    ),
    (
        "to_categorical fractional label",
        lambda: to_categorical([0.5, 1]),
        ValueError,
        ["integer class labels", "0.5"],
    ),
    ("to_categorical strings", lambda: to_categorical(["a"]), ValueError, ["dtype <U1"]),
    (
        "to_categorical negative num_classes",
        lambda: to_categorical([0], num_classes=-2),
        ValueError,
        ["num_classes", "-2"],
    ),
    (
        "mnist.load_data a path",
        lambda: mnist.load_data(path="/no/such/dir/mnist.npz"),
        ValueError,
        ["mnist.load_data", "`path`", "/no/such/dir/mnist.npz"],
    ),
    (
        "mnist.load_data a number",
        lambda: mnist.load_data(path=3),
        TypeError,
        ["mnist.load_data", "path=3"],
    ),
    (
        "set_random_seed a string",
        lambda: numkeras.utils.set_random_seed("a"),
        ValueError,
        ["seed='a'"],
    ),
    (
        "set_random_seed a float",
        lambda: numkeras.utils.set_random_seed(1.5),
        ValueError,
        ["seed=1.5"],
    ),
    (
        "set_nan_policy unknown",
        lambda: numkeras.config.set_nan_policy("ignore"),
        ValueError,
        ["policy='ignore'", "'warn'"],
    ),
    (
        "SGD negative momentum",
        lambda: numkeras.optimizers.SGD(momentum=-1),
        ValueError,
        ["momentum", "-1"],
    ),
]

CONSTRUCTOR_CASES = LAYER_CASES + CALLBACK_CASES + UTIL_CASES


@pytest.mark.parametrize(
    "make, error, words", [pytest.param(*c[1:], id=c[0]) for c in CONSTRUCTOR_CASES]
)
def test_bad_constructor_argument(make, error, words):
    with pytest.raises(error) as info:
        make()
    for word in words:
        assert word in str(info.value), (word, str(info.value))
    assert user_frame_depth(info) <= 3, "".join(traceback.format_tb(info.tb))


def test_the_catalogue_is_large_and_covers_every_layer_family():
    assert len(MODEL_CASES) + len(CONSTRUCTOR_CASES) >= 150
    families = {
        "core",
        "convolutional",
        "pooling",
        "activations",
        "merging",
        "normalization",
        "preprocessing",
        "regularization",
        "reshaping",
        "rnn",
    }
    covered = set()
    for _, make, *_ in LAYER_CASES:
        names = set(make.__code__.co_names)
        for name in names & set(layers.__all__):
            module = getattr(layers, name).__module__
            covered.add(module.split(".")[2])
    assert families <= covered, families - covered


def test_fit_before_compile():
    model = numkeras.Sequential([layers.Input((3,)), layers.Dense(1)])
    for call in (
        lambda: model.fit(np.ones((4, 3)), np.ones((4, 1)), verbose=0),
        lambda: model.evaluate(np.ones((4, 3)), np.ones((4, 1)), verbose=0),
        lambda: model.train_on_batch(np.ones((4, 3)), np.ones((4, 1))),
        lambda: model.test_on_batch(np.ones((4, 3)), np.ones((4, 1))),
    ):
        with pytest.raises(RuntimeError, match="compile") as info:
            call()
        assert user_frame_depth(info) <= 3


@pytest.mark.parametrize(
    "make, match",
    [
        (
            lambda: numkeras.Sequential([layers.Input((2, 2, 1)), layers.Conv2D(1, 3)]),
            "larger than the input",
        ),
        (
            lambda: numkeras.Sequential([layers.Input((1, 1, 1)), layers.MaxPooling2D(2)]),
            "pool_size",
        ),
        (lambda: layers.Conv2D(1, 3)(numkeras.Input((2, 2, 1))), "larger than the input"),
        (
            lambda: (
                lambda dense: (dense(np.ones((1, 3), "float32")), dense(numkeras.Input((4,))))
            )(layers.Dense(2)),
            "axis -1 of input shape to have value 3",
        ),
    ],
    ids=["Sequential kernel", "Sequential pool", "functional kernel", "functional width"],
)
def test_layers_that_do_not_fit_their_input(make, match):
    with pytest.raises(ValueError, match=match) as info:
        make()
    assert user_frame_depth(info) <= 3, "".join(traceback.format_tb(info.tb))


def test_adding_a_layer_that_does_not_fit_leaves_the_model_as_it_was():
    model = cnn()
    names = [layer.name for layer in model.layers]
    with pytest.raises(ValueError, match=r"cannot reshape .*\(None, 3\).*\(2, 2, 3\)") as info:
        (lambda: model.add(layers.Reshape((2, 2, 3))))()
    assert user_frame_depth(info) <= 3
    assert [layer.name for layer in model.layers] == names and model.built
    model.fit(X, Y, epochs=1, verbose=0)
    model.add(layers.Dense(2))  # a layer that fits is added as usual
    assert model.predict(X, verbose=0).shape == (16, 2)


@pytest.mark.parametrize("build", [cnn, functional_cnn])
@pytest.mark.parametrize(
    "adapt",
    [lambda x: x[..., 0], lambda x: x[..., None]],
    ids=["one rank short", "a trailing axis of 1 more"],
)
def test_input_one_rank_off_with_a_trailing_one_is_adapted_as_keras(build, adapt):
    model = build()
    np.testing.assert_allclose(model.predict(adapt(X), verbose=0), model.predict(X, verbose=0))
    model.fit(adapt(X), Y, epochs=1, verbose=0)


def test_uint8_images_warn_once_at_the_users_line(monkeypatch):
    from numkeras.models import data

    monkeypatch.setattr(data, "_warned", set())
    model = cnn()
    images = (X * 255).astype("uint8")
    with pytest.warns(UserWarning, match="255") as record:
        model.predict(images, verbose=0)
    assert record[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.predict(images, verbose=0)  # only once


def test_integer_images_of_another_dtype_warn_once_too(monkeypatch):
    from numkeras.models import data

    monkeypatch.setattr(data, "_warned", set())
    model = cnn()
    with pytest.warns(UserWarning, match=r"integer array \(int64, values up to 25\d\)"):
        model.predict((X * 255).astype("int64"), verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.predict((X * 255).astype("int64"), verbose=0)  # only once
        ids = numkeras.Sequential([layers.Input((4,)), layers.Embedding(10, 2)])
        ids.predict(np.arange(8).reshape(2, 4), verbose=0)  # token ids are not images


class Bug(layers.Layer):
    """A custom layer with a bug in `build` (a NumPy error) or a deliberate error in `call`."""

    def __init__(self, where, **kwargs):
        super().__init__(**kwargs)
        self.where = where

    def build(self, input_shape):
        if self.where == "build":
            np.zeros(3).reshape(2, 2)

    def call(self, inputs):
        if self.where == "call":
            raise ValueError("a message from the user's own layer")
        return inputs


@pytest.mark.parametrize("where", ["build", "call"])
def test_errors_not_raised_by_numkeras_keep_every_frame(where):
    """Only numkeras's own argument errors are raised from the public call: a NumPy error in a
    custom layer's build, or a user's own error, keeps its whole traceback."""
    model = numkeras.Sequential([Bug(where)])
    with pytest.raises(ValueError) as info:
        model.predict(np.ones((2, 3), "float32"), verbose=0)
    names = [frame.name for frame in traceback.extract_tb(info.tb)]
    assert where in names, names  # the frame of the bug is there
    assert names[-1] != "__exit__"


def test_a_bad_callback_argument_leaves_an_existing_log_alone(tmp_path):
    log = tmp_path / "log.csv"
    log.write_text("epoch,loss\n0,0.5\n")
    with pytest.raises(ValueError, match="separator"):
        callbacks.CSVLogger(log, separator="::")
    assert log.read_text() == "epoch,loss\n0,0.5\n"


# --- NaN / inf policy ----------------------------------------------------------------------------
@pytest.fixture
def warn_on_nan():
    numkeras.config.set_nan_policy("warn")
    yield
    numkeras.config.set_nan_policy("raise")


def test_nan_policy_defaults_to_raise_and_is_documented():
    assert numkeras.config.nan_policy() == "raise"
    assert "set_nan_policy" in numkeras.config.__doc__
    assert numkeras.config.floatx() == "float32"  # Keras's settings are there too
    assert not numkeras.config.is_traceback_filtering_enabled()


def test_nan_policy_warn_trains_on_with_a_warning_at_the_users_line(warn_on_nan):
    model = cnn()
    bad = X.copy()
    bad[3, 0, 0, 0] = np.nan
    with pytest.warns(UserWarning, match="`x` contains 1 NaN or infinite values") as record:
        model.predict(bad, verbose=0)
    assert record[0].filename == __file__
    with pytest.warns(UserWarning, match="`y` contains"):
        model.evaluate(X, np.where(Y > 0, np.inf, Y), verbose=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = model.fit(bad, Y, batch_size=8, epochs=1, verbose=0)
    messages = [str(w.message) for w in caught]
    assert any("NaN or infinite values" in m for m in messages)
    assert any("The loss became nan" in m for m in messages)  # fit's one-time warning
    assert not np.isfinite(history.history["loss"][0])


def test_nan_policy_warn_with_terminate_on_nan_stops_at_the_first_bad_batch(warn_on_nan, capsys):
    model = cnn()
    bad = X.copy()
    bad[12] = np.nan  # in the second batch of 8 (no shuffling)
    with pytest.warns(UserWarning, match="NaN"):
        history = model.fit(
            bad,
            Y,
            batch_size=8,
            epochs=3,
            shuffle=False,
            verbose=0,
            callbacks=[callbacks.TerminateOnNaN()],
        )
    assert "Epoch 1, batch 1: Invalid loss" in capsys.readouterr().out
    assert history.epoch == [0] and int(model.optimizer.iterations) == 2


def test_load_model_without_the_extension_suggests_the_file(tmp_path, monkeypatch):
    cnn().save(tmp_path / "mnist_cnn.keras")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"'mnist_cnn'\. Did you mean 'mnist_cnn\.keras'"):
        numkeras.models.load_model("mnist_cnn")
    with pytest.raises(FileNotFoundError) as info:
        numkeras.models.load_model("other")
    assert "Did you mean" not in str(info.value)


# --- generator and PyDataset batches: checked like arrays, before the step ---------------------
def bn_cnn(loss="categorical_crossentropy"):
    """A model with state that the forward pass updates (BatchNormalization's moving stats)."""
    numkeras.utils.set_random_seed(0)
    model = numkeras.Sequential(
        [
            layers.Input((8, 8, 1)),
            layers.Conv2D(2, 3),
            layers.BatchNormalization(),
            layers.Flatten(),
            layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile("adam", loss, metrics=["accuracy"])
    return model


class Batches(numkeras.utils.PyDataset):
    def __init__(self, x, y):
        super().__init__()
        self.x, self.y = x, y

    def __len__(self):
        return 2

    def __getitem__(self, i):
        return self.x[i * 8 : (i + 1) * 8], self.y[i * 8 : (i + 1) * 8]


SOURCES = {
    "generator": lambda x, y: ((x[i : i + 8], y[i : i + 8]) for i in (0, 8)),
    "PyDataset": Batches,
}
BAD_NAN_X = np.where(X > 0.5, np.nan, X)


def every_value(model):
    """Weights (moving statistics too) and optimizer state (metrics are reset by `fit`)."""
    return [np.array(v.numpy()) for v in model.weights + model.optimizer.variables]


def assert_unchanged(model, before):
    after = every_value(model)
    assert len(after) == len(before)
    for a, b in zip(before, after):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("source", sorted(SOURCES))
@pytest.mark.parametrize(
    "x, y, loss, words",
    [
        pytest.param(
            X,
            LABELS + 3,
            "sparse_categorical_crossentropy",
            ["[0, 3)", "from 3 to 5"],
            id="sparse labels out of range",
        ),
        pytest.param(
            X,
            Y,
            "sparse_categorical_crossentropy",
            ["sparse_categorical_crossentropy", "(8, 3)"],
            id="one-hot labels to a sparse loss",
        ),
        pytest.param(
            X,
            to_categorical(LABELS + 2, 5),
            "categorical_crossentropy",
            ["5 classes", "3 units"],
            id="one-hot width differs from units",
        ),
        pytest.param(
            BAD_NAN_X,
            Y,
            "categorical_crossentropy",
            ["NaN", "`x`", "set_nan_policy"],
            id="NaN in inputs",
        ),
        pytest.param(
            X,
            np.where(Y > 0, np.inf, Y),
            "categorical_crossentropy",
            ["infinite", "`y`"],
            id="inf in labels",
        ),
    ],
)
def test_bad_batches_are_refused_before_the_step_and_the_model_still_trains(
    source, x, y, loss, words
):
    model = bn_cnn(loss)
    model.fit(X, TARGETS[loss], batch_size=8, epochs=1, verbose=0)  # optimizer and metrics built
    before = every_value(model)
    with pytest.raises(ValueError) as info:
        model.fit(SOURCES[source](x, y), epochs=1, verbose=0)
    for word in words:
        assert word in str(info.value), (word, str(info.value))
    assert_unchanged(model, before)
    history = model.fit(SOURCES[source](X, TARGETS[loss]), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


def test_nan_policy_warn_lets_generator_batches_through_with_a_warning(warn_on_nan):
    model = bn_cnn()
    with pytest.warns(UserWarning, match="`x` contains"):
        model.fit(SOURCES["generator"](BAD_NAN_X, Y), epochs=1, verbose=0)


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.fit(X, Y, batch_size=8, epochs=1, verbose=0),
        lambda m: m.train_on_batch(X, Y),
    ],
    ids=["fit", "train_on_batch"],
)
def test_a_step_that_fails_in_the_loss_changes_no_state(call):
    armed = []

    def loss_failing_when_armed(y_true, y_pred):
        if armed and autodiff.is_recording():  # in the step, not in fit's shape probe
            raise RuntimeError("the loss failed")
        return numkeras.ops.mean(numkeras.ops.square(y_true - y_pred))

    model = bn_cnn(loss_failing_when_armed)
    model.train_on_batch(X[:8], Y[:8])
    before = every_value(model)
    armed.append(True)
    with pytest.raises(RuntimeError, match="the loss failed"):
        call(model)
    assert_unchanged(model, before)


def test_a_step_that_fails_in_a_metric_changes_no_state():
    class Failing(numkeras.metrics.Mean):
        def update_state(self, y_true, y_pred, sample_weight=None):
            if getattr(self, "armed", False):
                raise RuntimeError("the metric failed")
            super().update_state(y_pred)

    metric = Failing(name="failing")
    model = bn_cnn()
    model.compile("adam", "categorical_crossentropy", metrics=[metric])
    model.train_on_batch(X[:8], Y[:8])
    before = every_value(model)
    metric.armed = True
    with pytest.raises(RuntimeError, match="the metric failed"):
        model.fit(X, Y, batch_size=8, epochs=1, verbose=0)
    assert_unchanged(model, before)
