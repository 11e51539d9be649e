"""numkeras.tree against real `keras.tree`: the same leaves, paths, rebuilt structures and errors.

The oracle is `keras.tree` on optree, as Keras runs it on its JAX, TensorFlow and NumPy backends;
on the torch backend Keras swaps in torch's pytree, which places a None nested in a dict after
its siblings and numbers namedtuple fields by sorted name (Keras's docs say neither).
"""

import collections

import numpy as np
import pytest

from numkeras import tree

Point = collections.namedtuple("Point", ["y", "x"])
STRUCTURES = [
    1,
    None,
    "abc",
    np.zeros(2),
    [],
    (),
    {},
    [None, 1],
    [[1, 2, 3], [4, [5], [[6]]]],
    {100: "world!", 6: "Hello"},
    {"b": [1, (2, 3)], "a": {"d": 4, "c": None}},
    collections.OrderedDict([("b", 1), ("a", 2)]),
    collections.defaultdict(list, {"z": 1, "y": 2}),
    Point(1, [2, 3]),
    [Point(x=4, y={"k": 5})],
    collections.deque([1, [2]]),
    [{}, [], ()],
    [(None, 3), {"a": (1, 2, 3)}],
    ((), [None]),
]
IDS = [f"s{i}" for i in range(len(STRUCTURES))]


@pytest.fixture
def keras(keras, monkeypatch):
    """Real Keras, its `keras.tree` running on optree."""
    optree_impl = pytest.importorskip("keras.src.tree.optree_impl")
    monkeypatch.setattr("keras.src.tree.tree_api.tree_impl", optree_impl)
    return keras


def _same(a, b):
    """Equal, with arrays compared by value and containers by type and contents."""
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and np.array_equal(a, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and set(a) == set(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple, collections.deque)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("structure", STRUCTURES, ids=IDS)
def test_matches_keras(keras, structure):
    assert tree.is_nested(structure) == keras.tree.is_nested(structure)
    assert _same(tree.flatten(structure), keras.tree.flatten(structure))
    ours, theirs = tree.flatten_with_path(structure), keras.tree.flatten_with_path(structure)
    assert [p for p, _ in ours] == [p for p, _ in theirs]
    leaves = [f"leaf{i}" for i in range(len(tree.flatten(structure)))]
    assert _same(
        tree.pack_sequence_as(structure, leaves), keras.tree.pack_sequence_as(structure, leaves)
    )
    double = lambda x: None if x is None else (x, x)
    assert _same(tree.map_structure(double, structure), keras.tree.map_structure(double, structure))
    both = lambda a, b: (a, b)
    assert _same(
        tree.map_structure(both, structure, structure),
        keras.tree.map_structure(both, structure, structure),
    )
    assert _same(tree.lists_to_tuples(structure), keras.tree.lists_to_tuples(structure))
    assert _same(
        tree.map_shape_structure(repr, structure), keras.tree.map_shape_structure(repr, structure)
    )
    for top_down in (True, False):
        ours, theirs = [], []
        assert _same(
            tree.traverse(ours.append, structure, top_down=top_down),
            keras.tree.traverse(theirs.append, structure, top_down=top_down),
        )
        assert _same(ours, theirs)
    tree.assert_same_structure(structure, structure)
    tree.assert_same_paths(structure, structure)


def test_traverse_replaces_and_stops(keras):
    structure = [(1, 2), [3], {"a": 4}]
    for lib in (tree, keras.tree):
        first = lambda x: "T" if isinstance(x, tuple) else None
        assert lib.traverse(first, structure) == ["T", [3], {"a": 4}]
        none = lambda x, lib=lib: lib.MAP_TO_NONE if x == 3 else None
        assert lib.traverse(none, structure, top_down=False) == [(1, 2), [None], {"a": 4}]


def test_map_structure_up_to_and_none_is_leaf_match_keras(keras):
    structure = [[1, 1], [2, 2]]
    # shallow leaves other than None: optree's Keras refuses None there, against its own docs
    assert (
        tree.map_structure_up_to([0, 0], len, structure)
        == (keras.tree.map_structure_up_to([0, 0], len, structure))
        == [2, 2]
    )
    assert (
        tree.map_structure_up_to([0, [0, 0]], str, structure)
        == (keras.tree.map_structure_up_to([0, [0, 0]], str, structure))
        == ["[1, 1]", ["2", "2"]]
    )
    assert tree.map_structure_up_to([None, None], len, structure) == [2, 2]
    with pytest.raises(ValueError, match="same nested structure"):
        tree.map_structure_up_to([0, [0, 0]], str, [[1, 1], 2])
    assert (
        tree.map_structure(str, [1, None], none_is_leaf=False)
        == (keras.tree.map_structure(str, [1, None], none_is_leaf=False))
        == ["1", None]
    )


@pytest.mark.parametrize(
    "a, b",
    [
        ([1, 2], (1, 2)),
        ([1, 2], [1, 2, 3]),
        ([1, [2]], [1, 2]),
        ({"a": 1}, {"b": 1}),
        (Point(1, 2), collections.namedtuple("Point", ["y", "x"])(1, 2)),
    ],
)
def test_structure_mismatches_raise_value_error_as_in_keras(keras, a, b):
    with pytest.raises(ValueError):
        keras.tree.assert_same_structure(a, b)
    with pytest.raises(ValueError, match="same nested structure"):
        tree.assert_same_structure(a, b)
    with pytest.raises(ValueError):
        tree.map_structure(lambda x, y: x, a, b)


def test_dict_kinds_are_alike_and_paths_ignore_node_types(keras):
    tree.assert_same_structure({"a": 1}, collections.OrderedDict(a=2))
    keras.tree.assert_same_structure({"a": 1}, collections.OrderedDict(a=2))
    tree.assert_same_paths([0, 1], (2, 3))
    keras.tree.assert_same_paths([0, 1], (2, 3))
    with pytest.raises(ValueError, match="same paths"):
        tree.assert_same_paths([0, 1], [0, 1, 2])


def test_pack_sequence_as_checks_the_count_and_keeps_key_order():
    assert list(tree.pack_sequence_as({"k3": 0, "k1": 0, "k2": 0}, [1, 2, 3]).items()) == [
        ("k3", 3),
        ("k1", 1),
        ("k2", 2),
    ]
    assert tree.pack_sequence_as(7, ["only"]) == "only"
    with pytest.raises(ValueError, match="has 1 items but `structure` holds 2 leaves"):
        tree.pack_sequence_as([0, 0], [1])
    with pytest.raises(TypeError, match="iterable"):
        tree.pack_sequence_as([0], 5)
    with pytest.raises(TypeError, match="callable"):
        tree.map_structure(None, [1])


def test_is_public_with_keras_names(keras):
    import numkeras

    assert numkeras.tree is tree
    public = {n for n in dir(keras.tree) if not n.startswith("_")}
    assert public <= set(tree.__all__) and set(tree.__all__) <= set(dir(tree))
