"""utils.model_to_dot: the same pydot graph as Keras's (labels, edges, graph settings) for
the same models; Keras's ImportError without pydot."""

import pytest

import numkeras
from numkeras.utils import dot_graph as dot_module

pydot = pytest.importorskip("pydot")


def _functional(lib):
    i = lib.Input((3,), name="x")
    d = lib.layers.Dense(2, activation="relu", name="d")(i)
    c = lib.layers.Concatenate(name="cat")([i, d])
    return lib.Model(i, lib.layers.Dense(1, name="o")(c), name="fm")


def _sequential(lib):
    return lib.Sequential(
        [lib.Input((4,)), lib.layers.Dense(3, name="s1"), lib.layers.Dropout(0.1, name="s2")],
        name="sm",
    )


def _graph(dot):
    """Labels by node, edges by (source label, destination label), ids resolved to labels."""
    labels = {n.get_name(): n.get("label") for n in dot.get_nodes() if n.get_name() != "node"}
    edges = sorted((labels[e.get_source()], labels[e.get_destination()]) for e in dot.get_edges())
    return sorted(labels.values()), edges, dot.get_attributes()


@pytest.mark.parametrize("make", [_functional, _sequential])
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"show_shapes": True, "show_dtype": True},
        {"show_layer_activations": True, "show_trainable": True, "show_layer_names": False},
        {"rankdir": "LR", "dpi": 96, "splines": "line"},
    ],
)
def test_model_to_dot_matches_keras(keras, make, options):
    ours = numkeras.utils.model_to_dot(make(numkeras), **options)
    theirs = keras.utils.model_to_dot(make(keras), **options)
    assert isinstance(ours, pydot.Dot)
    assert _graph(ours) == _graph(theirs)


def test_nested_model_and_errors_as_keras(keras):
    for lib in (numkeras, keras):
        inner = _sequential(lib)
        i = lib.Input((4,), name="outer_in")
        model = lib.Model(i, inner(i), name="outer")
        flat = lib.utils.model_to_dot(model)
        assert len([n for n in flat.get_nodes() if n.get_name() != "node"]) == 2
        nested = lib.utils.model_to_dot(model, expand_nested=True)
        assert [g.get_name() for g in nested.get_subgraphs()] == ["cluster_sm"]
        with pytest.raises(ValueError, match="Argument `layer_range` is no longer supported"):
            lib.utils.model_to_dot(model, layer_range=["a", "b"])
        with pytest.raises(ValueError, match="Unrecognized keyword arguments"):
            lib.utils.model_to_dot(model, colour=True)
        unbuilt = lib.Sequential([lib.layers.Dense(2)])
        with pytest.raises(ValueError, match="This model has not yet been built"):
            lib.utils.model_to_dot(unbuilt)


def test_without_pydot_the_error_is_keras(monkeypatch):
    monkeypatch.setattr(dot_module, "_pydot", lambda: None)
    with pytest.raises(ImportError, match=r"You must install pydot \(`pip install pydot`\)"):
        numkeras.utils.model_to_dot(_sequential(numkeras))
