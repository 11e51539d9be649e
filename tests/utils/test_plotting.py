"""numkeras.utils.plot_history and plot_model: real PNGs that depend on what is plotted, Keras's
signature, and a clear error without matplotlib."""

import inspect
import struct
import sys

import numpy as np
import pytest

import numkeras
from numkeras import cli, layers
from numkeras.utils import plot_history, plot_model, set_random_seed


def png_size(path):
    with open(path, "rb") as fh:
        head = fh.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", head[16:24])  # width, height from the IHDR chunk


@pytest.fixture
def mpl():
    return pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def history():
    set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    model = numkeras.Sequential([layers.Input((4,)), layers.Dense(1, activation="sigmoid")])
    model.compile("adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model.fit(x, y, epochs=3, batch_size=16, validation_split=0.25, verbose=0)


def functional_model():
    inputs = numkeras.Input((28, 28, 1), name="image")
    x = layers.Conv2D(4, 3, activation="relu")(inputs)
    y = layers.Conv2D(4, 3, padding="same")(x)
    x = layers.Add()([x, y])  # a skip connection
    outputs = layers.Dense(10, activation="softmax")(layers.Flatten()(x))
    return numkeras.Model(inputs, outputs)


# --- plot_history --------------------------------------------------------------------------------
@pytest.mark.oracle
def test_plot_history_from_fit(mpl, history, tmp_path):
    path = tmp_path / "history.png"
    fig = plot_history(history, path)
    assert path.stat().st_size > 5000
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == ["loss", "accuracy"]
    for ax in panels:  # training and validation, one point per epoch, epochs from 1
        assert [line.get_label() for line in ax.get_lines()] == ["training", "validation"]
        np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), [1, 2, 3])
    np.testing.assert_allclose(panels[0].get_lines()[1].get_ydata(), history.history["val_loss"])


@pytest.mark.oracle
def test_plot_history_depends_on_the_history(mpl, tmp_path):
    logs = {"loss": [1.0, 0.6, 0.4], "val_loss": [1.1, 0.8, 0.7]}
    plot_history(logs, tmp_path / "a.png")
    plot_history({"loss": [1.0, 0.2, 0.1], "val_loss": [1.1, 0.9, 0.9]}, tmp_path / "b.png")
    more = {**logs, "accuracy": [0.5, 0.7, 0.8], "val_accuracy": [0.4, 0.6, 0.7], "mae": [3, 2, 1]}
    plot_history(more, tmp_path / "c.png")
    a, b = (tmp_path / "a.png").read_bytes(), (tmp_path / "b.png").read_bytes()
    assert a != b
    assert png_size(tmp_path / "c.png")[0] > png_size(tmp_path / "a.png")[0]  # three panels


@pytest.mark.oracle
def test_plot_history_without_a_path_returns_the_figure(mpl, tmp_path):
    fig = plot_history({"val_loss": [0.5, 0.4]})  # validation only is fine
    assert [ax.get_title() for ax in fig.axes if ax.get_visible()] == ["loss"]
    assert list(tmp_path.iterdir()) == []


def test_plot_history_shows_itself_in_a_notebook(mpl, history, tmp_path):
    """Without `%matplotlib inline` a notebook displays an object through its `_repr_png_`:
    the figure gives PNG bytes of its own size; given a path it is saved as well."""
    fig = plot_history(history, tmp_path / "h.png")
    data = fig._repr_png_()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (round(fig.get_figwidth() * 100), round(fig.get_figheight() * 100))
    assert data == fig._repr_png_() and (tmp_path / "h.png").stat().st_size > 5000
    formatters = pytest.importorskip("IPython.core.formatters")
    assert formatters.PNGFormatter()(fig) == data  # what Jupyter calls to display the result


@pytest.mark.oracle
@pytest.mark.parametrize(
    "bad, error, words",
    [
        ([1, 2, 3], TypeError, "History that `fit` returns"),
        ({}, ValueError, "empty history"),
        ({"loss": []}, ValueError, "empty history"),
    ],
)
def test_plot_history_rejects(mpl, bad, error, words):
    with pytest.raises(error, match=words):
        plot_history(bad)


@pytest.mark.slow
@pytest.mark.oracle
def test_tutorial_command_saves_training_curves(mpl, tmp_path, capsys):
    argv = [
        "tutorial",
        "--epochs",
        "1",
        "--train-samples",
        "256",
        "--batch-size",
        "64",
        "--seed",
        "0",
        "--output",
        str(tmp_path),
    ]
    assert cli.main(argv) == 0
    assert "Training curves saved to" in capsys.readouterr().out
    assert png_size(tmp_path / "history.png")[0] > 0


# --- plot_model ----------------------------------------------------------------------------------
def test_plot_model_has_keras_signature():
    params = inspect.signature(plot_model).parameters
    assert [(n, p.default) for n, p in params.items() if n not in ("model", "kwargs")] == [
        ("to_file", "model.png"),
        ("show_shapes", False),
        ("show_dtype", False),
        ("show_layer_names", False),
        ("rankdir", "TB"),
        ("expand_nested", False),
        ("dpi", 200),
        ("show_layer_activations", False),
        ("show_trainable", False),
        ("splines", "ortho"),
    ]


@pytest.mark.oracle
def test_plot_model_sequential(mpl, tmp_path):
    model = cli.build_tutorial_model()
    plain, full = tmp_path / "plain.png", tmp_path / "full.png"
    plot_model(model, to_file=plain, dpi=50)
    result = plot_model(
        model,
        to_file=full,
        show_shapes=True,
        show_layer_names=True,
        show_dtype=True,
        show_layer_activations=True,
        show_trainable=True,
        dpi=50,
    )
    assert result is None or hasattr(result, "data")  # an IPython Image when IPython is there
    (w0, h0), (w1, h1) = png_size(plain), png_size(full)
    assert h0 > 2 * w0  # eight boxes, top to bottom
    assert w1 > w0 and h1 > h0  # the shapes and names make the boxes bigger
    assert plain.stat().st_size > 3000


@pytest.mark.oracle
def test_plot_model_depends_on_the_model(mpl, tmp_path):
    small = numkeras.Sequential([layers.Input((4,)), layers.Dense(2)])
    plot_model(small, tmp_path / "small.png", dpi=50)
    plot_model(cli.build_tutorial_model(), tmp_path / "cnn.png", dpi=50)
    assert png_size(tmp_path / "cnn.png")[1] > 2 * png_size(tmp_path / "small.png")[1]
    assert plot_model(small, tmp_path / "small.svg") is None
    assert (tmp_path / "small.svg").read_text().lstrip().startswith("<?xml")


@pytest.mark.oracle
def test_plot_model_functional_graph(mpl, tmp_path):
    model = functional_model()
    plot_model(model, tmp_path / "tb.png", show_shapes=True, dpi=50)
    plot_model(model, tmp_path / "lr.png", show_shapes=True, rankdir="LR", dpi=50)
    (w, h), (lw, lh) = png_size(tmp_path / "tb.png"), png_size(tmp_path / "lr.png")
    assert h > lh and lw > w  # six ranks down, or six ranks across
    from numkeras.utils.plotting import _graph, _ranks

    boxes, edges = _graph(model)
    names = [layer.name for layer, _, _ in boxes]
    assert names[0] == "image" and len(edges) == 6  # the skip adds an edge over a rank
    assert _ranks(len(boxes), edges) == [0, 1, 2, 3, 4, 5]


def drawn(model, rankdir="TB", **options):
    """What plot_model draws: each box's text lines (title first), its rectangle, and each
    edge's polyline, read from the figure's artists."""
    from matplotlib.patches import FancyBboxPatch

    from numkeras.utils.plotting import _model_figure

    flags = dict(
        show_shapes=False,
        show_dtype=False,
        show_layer_names=False,
        show_layer_activations=False,
        show_trainable=False,
    )
    fig = _model_figure(model, rankdir, {**flags, **options})
    (ax,) = fig.axes
    rects = [p.get_bbox().bounds for p in ax.patches if isinstance(p, FancyBboxPatch)]
    labels = []
    for x, y, w, h in rects:  # the texts whose anchor lies inside the box, top to bottom
        inside = [
            t
            for t in ax.texts
            if x < t.get_position()[0] < x + w and y < t.get_position()[1] < y + h
        ]
        labels.append([t.get_text() for t in sorted(inside, key=lambda t: -t.get_position()[1])])
    return labels, rects, [line.get_xydata() for line in ax.get_lines()]


def keras_labels(keras_model, **options):
    """Keras's own plot_model box texts (its graphviz HTML labels, tags removed)."""
    import re

    from keras.src.utils.model_visualization import make_layer_label

    flags = dict(
        show_shapes=False,
        show_dtype=False,
        show_layer_names=False,
        show_layer_activations=False,
        show_trainable=False,
    )
    out = []
    for layer in keras_model.layers if hasattr(keras_model, "_layers") else keras_model:
        html = make_layer_label(layer, **{**flags, **options})
        out.append(
            [re.sub("<[^>]+>", "", cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", html)]
        )
    return out


def _cross(p, q, r, s):
    """Whether segments pq and rs cross at a point inside both (touching ends do not count)."""

    def side(a, b, c):
        return np.sign((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]))

    return side(p, q, r) * side(p, q, s) < 0 and side(r, s, p) * side(r, s, q) < 0


def assert_no_crossings(rects, polylines):
    segments = [
        (k, line[i], line[i + 1]) for k, line in enumerate(polylines) for i in range(len(line) - 1)
    ]
    for a in range(len(segments)):
        for b in range(a + 1, len(segments)):
            (ka, p, q), (kb, r, s) = segments[a], segments[b]
            assert ka == kb or not _cross(p, q, r, s), (segments[a], segments[b])
    for k, p, q in segments:  # and no edge runs through a box
        for t in np.linspace(0.02, 0.98, 49):
            x, y = p + t * (q - p)
            for bx, by, bw, bh in rects:
                assert not (bx + 0.01 < x < bx + bw - 0.01 and by + 0.01 < y < by + bh - 0.01), (
                    k,
                    (x, y),
                    (bx, by, bw, bh),
                )


ALL = dict(
    show_shapes=True,
    show_dtype=True,
    show_layer_names=True,
    show_layer_activations=True,
    show_trainable=True,
)


def tutorial_layers(lib):
    L = lib.layers
    return [
        L.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        L.MaxPooling2D((2, 2)),
        L.Flatten(),
        L.Dropout(0.5),
        L.Dense(10, activation="softmax"),
    ]


@pytest.mark.parametrize("how", ["Input", "input_shape", "trained", "loaded"])
def test_plot_model_sequential_labels_are_keras_labels(mpl, tmp_path, how):
    """Every box of a Sequential model shows its input and output shapes, with Input or
    input_shape, after training and after load_model, in the very words of Keras's boxes."""
    keras = pytest.importorskip("keras")
    models = []
    for lib in (numkeras, keras):
        stack = tutorial_layers(lib)
        if how == "input_shape":
            stack[0] = lib.layers.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1))
        else:
            stack.insert(0, lib.layers.Input((28, 28, 1)))
        models.append(lib.Sequential(stack))
    model, reference = models
    if how == "trained":
        model.compile("adam", "categorical_crossentropy")
        x = np.zeros((4, 28, 28, 1), "float32")
        model.fit(x, np.eye(10, dtype="float32")[:4], epochs=1, verbose=0)
    if how == "loaded":
        model.save(tmp_path / "m.keras")
        model = numkeras.models.load_model(tmp_path / "m.keras")
    labels, rects, lines = drawn(model, **ALL)
    assert [box[1:] for box in labels] == [box[1:] for box in keras_labels(reference, **ALL)]
    assert labels[0][1:4] == [
        "Activation: relu",
        "Input shape: (None, 28, 28, 1)",
        "Output shape: (None, 26, 26, 32)",
    ]
    assert not any("?" in line for box in labels for line in box)
    assert len(rects) == 5 and len(lines) == 4  # a box per layer, no InputLayer box, as Keras
    assert_no_crossings(rects, lines)


def branchy_models(lib):
    """A skip connection, and two branches of different lengths merged again."""
    L = lib.layers
    inputs = lib.Input((28, 28, 1), name="image")
    x = L.Conv2D(4, 3, activation="relu")(inputs)
    y = L.Conv2D(4, 3, padding="same")(x)
    x = L.Add()([x, y])
    skip = lib.Model(inputs, L.Dense(10, activation="softmax")(L.Flatten()(x)))
    inputs = lib.Input((8,), name="features")
    a = L.Dense(4, name="short")(inputs)
    b = L.Dense(4, name="long_2")(L.Dense(6, name="long_1")(inputs))
    c = L.Dense(3, name="side")(inputs)
    merged = L.Concatenate()([a, b, c])
    branches = lib.Model(inputs, [L.Dense(1, name="out")(merged), L.Dense(2, name="aux")(b)])
    return [skip, branches]


@pytest.mark.parametrize("which", [0, 1])
@pytest.mark.parametrize("rankdir", ["TB", "LR"])
def test_plot_model_functional_labels_and_no_crossings(mpl, which, rankdir):
    keras = pytest.importorskip("keras")
    model, reference = branchy_models(numkeras)[which], branchy_models(keras)[which]
    labels, rects, lines = drawn(model, rankdir, show_shapes=True, show_dtype=True)
    assert [box[1:] for box in labels] == [
        box[1:] for box in keras_labels(reference, show_shapes=True, show_dtype=True)
    ]
    assert len(lines) == (6 if which == 0 else 9)
    assert_no_crossings(rects, lines)


@pytest.mark.oracle
@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"rankdir": "BT"}, "rankdir must be 'TB' or 'LR'"),
        ({"layer_range": ["a", "b"]}, "layer_range` is no longer supported"),
        ({"colour": "red"}, "Unrecognized keyword arguments"),
    ],
)
def test_plot_model_rejects(mpl, tmp_path, kwargs, words):
    model = numkeras.Sequential([layers.Input((4,)), layers.Dense(2)])
    with pytest.raises(ValueError, match=words):
        plot_model(model, tmp_path / "x.png", **kwargs)
    assert not (tmp_path / "x.png").exists()


@pytest.mark.oracle
def test_plot_model_needs_a_built_model(mpl, tmp_path):
    with pytest.raises(ValueError, match="has not yet been built"):
        plot_model(numkeras.Sequential([layers.Dense(2)]), tmp_path / "x.png")


# --- without matplotlib --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "call",
    [
        lambda path: plot_history({"loss": [1.0]}, path),
        lambda path: plot_model(numkeras.Sequential([layers.Input((4,)), layers.Dense(2)]), path),
    ],
)
def test_a_clear_error_without_matplotlib(monkeypatch, tmp_path, call):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` now fails
    with pytest.raises(ImportError, match=r"pip install 'numkeras\[plot\]'"):
        call(tmp_path / "x.png")
