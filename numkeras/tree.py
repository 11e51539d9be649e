"""Nested structures as Keras's `keras.tree` sees them: lists, tuples, namedtuples, dicts and
deques are nodes, everything else (None, arrays, strings, tensors) is a leaf.

Dicts are walked in sorted key order so that flattening is deterministic; `OrderedDict`s keep
their own order. Rebuilt dicts keep the key order of the structure they were built from.
"""

import collections

__all__ = [
    "MAP_TO_NONE",
    "assert_same_paths",
    "assert_same_structure",
    "flatten",
    "flatten_with_path",
    "is_nested",
    "lists_to_tuples",
    "map_shape_structure",
    "map_structure",
    "map_structure_up_to",
    "pack_sequence_as",
    "traverse",
]

_MAPPINGS = (dict, collections.OrderedDict, collections.defaultdict)
_SEQUENCES = (list, tuple, collections.deque)


class MAP_TO_NONE:
    """What `traverse`'s function returns to put None in place of a sub-structure."""


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def is_nested(structure):
    """True for a list, tuple, namedtuple, dict, OrderedDict, defaultdict or deque.

    >>> is_nested({"foo": 42}), is_nested(42), is_nested(None)
    (True, False, False)
    """
    return (
        type(structure) in _MAPPINGS or type(structure) in _SEQUENCES or (_is_namedtuple(structure))
    )


def _keys(structure):
    """The children's keys (dict keys or positions) in flattening order."""
    if type(structure) is collections.OrderedDict:
        return list(structure)
    if isinstance(structure, dict):
        try:
            return sorted(structure)
        except TypeError as error:
            raise TypeError(f"Dict keys must be sortable; received keys {list(structure)}.") from (
                error
            )
    return range(len(structure))


def _children(structure):
    if isinstance(structure, dict):
        return [structure[key] for key in _keys(structure)]
    return list(structure)


def _rebuild(structure, values):
    """A node of `structure`'s type holding `values` (given in flattening order)."""
    if isinstance(structure, dict):
        by_key = dict(zip(_keys(structure), values))
        items = [(key, by_key[key]) for key in structure]
        if type(structure) is collections.defaultdict:
            return collections.defaultdict(structure.default_factory, items)
        return type(structure)(items)
    if _is_namedtuple(structure):
        return type(structure)(*values)
    if type(structure) is collections.deque:
        return collections.deque(values, maxlen=structure.maxlen)
    return type(structure)(values)


def flatten(structure):
    """The leaves of `structure`, depth first, dicts in sorted key order.

    >>> flatten([[1, 2, 3], [4, [5], [[6]]]])
    [1, 2, 3, 4, 5, 6]
    >>> flatten({100: "world!", 6: "Hello"}), flatten(None)
    (['Hello', 'world!'], [None])
    """
    if not is_nested(structure):
        return [structure]
    return [leaf for child in _children(structure) for leaf in flatten(child)]


def flatten_with_path(structure):
    """(path, leaf) pairs, where a path is the tuple of positions and keys leading to the leaf.

    >>> flatten_with_path([{"foo": 42}])
    [((0, 'foo'), 42)]
    """
    if not is_nested(structure):
        return [((), structure)]
    return [
        ((key, *path), leaf)
        for key, child in zip(_keys(structure), _children(structure))
        for path, leaf in flatten_with_path(child)
    ]


def _same_node(a, b):
    """Whether `a` and `b` are nodes of one kind with the same keys (dict kinds are alike)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return set(a) == set(b)
    return type(a) is type(b) and len(a) == len(b)


def assert_same_structure(a, b, check_types=None):
    """Raises ValueError unless `a` and `b` nest alike: the same node types (list, tuple and each
    namedtuple class differ; dict kinds are alike) with the same lengths and keys, at every level.

    `check_types` is accepted for Keras's signature and has no effect, as in Keras.
    """
    del check_types
    if is_nested(a) != is_nested(b) or (is_nested(a) and not _same_node(a, b)):
        raise ValueError(
            "The two structures don't have the same nested structure: "
            f"received {_describe(a)} and {_describe(b)}."
        )
    if is_nested(a):
        for child_a, child_b in zip(_children(a), _children(b)):
            assert_same_structure(child_a, child_b)


def _describe(x):
    if isinstance(x, dict):
        return f"a {type(x).__name__} with keys {sorted(map(str, x))}"
    if is_nested(x):
        return f"a {type(x).__name__} of length {len(x)}"
    return f"a leaf ({type(x).__name__})"


def assert_same_paths(a, b):
    """Raises ValueError unless `a` and `b` have the same leaf paths (node types are ignored)."""
    a_paths = {path for path, _ in flatten_with_path(a)}
    b_paths = {path for path, _ in flatten_with_path(b)}
    if a_paths != b_paths:
        raise ValueError(
            "`a` and `b` don't have the same paths.\n"
            f"Paths in `a` missing in `b`: {sorted(a_paths - b_paths, key=str)}\n"
            f"Paths in `b` missing in `a`: {sorted(b_paths - a_paths, key=str)}"
        )


def map_structure(func, *structures, none_is_leaf=True):
    """`func` applied to the leaves of `structures` (nested alike), in their common structure.

    With `none_is_leaf=False`, None leaves are kept as None and `func` never sees them.

    >>> map_structure(lambda x, y: x * y, [[1], (2, {"a": 3})], [[4], (5, {"a": 6})])
    [[4], (10, {'a': 18})]
    """
    if not structures:
        raise TypeError("map_structure needs at least one structure.")
    if not callable(func):
        raise TypeError(f"`func` must be callable; received {func!r}.")
    for other in structures[1:]:
        assert_same_structure(structures[0], other)
    return _map(func, structures, none_is_leaf)


def _map(func, structures, none_is_leaf):
    first = structures[0]
    if is_nested(first):
        columns = zip(*(_children(s) for s in structures))
        return _rebuild(first, [_map(func, column, none_is_leaf) for column in columns])
    if first is None and not none_is_leaf:
        if any(s is not None for s in structures):
            raise ValueError(
                "Structure mismatch: some arguments are None, others are not; "
                f"received {structures}."
            )
        return None
    return func(*structures)


def map_structure_up_to(shallow_structure, func, *structures):
    """`func` applied to the sub-structures of `structures` found at `shallow_structure`'s
    leaves; deeper nesting is passed to `func` as it is.

    >>> map_structure_up_to([None, [None, None]], str, [[1, 1], [2, 2]])
    ['[1, 1]', ['2', '2']]
    """
    if not structures:
        raise TypeError("map_structure_up_to needs at least one structure.")
    if not is_nested(shallow_structure):
        return func(*structures)
    for s in structures:
        if not is_nested(s) or not _same_node(shallow_structure, s):
            raise ValueError(
                "The structures don't have the same nested structure as `shallow_structure`: "
                f"expected {_describe(shallow_structure)}, received {_describe(s)}."
            )
    columns = zip(_children(shallow_structure), *(_children(s) for s in structures))
    return _rebuild(
        shallow_structure,
        [map_structure_up_to(shallow, func, *parts) for shallow, *parts in columns],
    )


def pack_sequence_as(structure, flat_sequence):
    """`flat_sequence` (the leaves, in `flatten`'s order) put into the shape of `structure`.

    >>> pack_sequence_as({"key3": "", "key1": "", "key2": ""}, ["v1", "v2", "v3"])
    {'key3': 'v3', 'key1': 'v1', 'key2': 'v2'}
    """
    try:
        leaves = list(flat_sequence)
    except TypeError:
        raise TypeError(
            f"`flat_sequence` must be iterable; received {type(flat_sequence).__name__}."
        ) from None
    expected = len(flatten(structure))
    if len(leaves) != expected:
        raise ValueError(
            f"`flat_sequence` has {len(leaves)} items but `structure` holds {expected} leaves."
        )
    leaves.reverse()
    return _pack(structure, leaves)


def _pack(structure, leaves):
    if not is_nested(structure):
        return leaves.pop()
    return _rebuild(structure, [_pack(child, leaves) for child in _children(structure)])


def traverse(func, structure, top_down=True):
    """Depth-first walk applying `func` to every sub-structure and leaf.

    Top down, `func(node)` returning None walks into `node`; anything else replaces it (and is
    not walked into). Bottom up, children are walked first, then `func(node)` replaces `node`
    unless it returns None. `MAP_TO_NONE` replaces with None.

    >>> seen = []
    >>> traverse(seen.append, [(1, 2), {"a": 3}], top_down=False)
    [(1, 2), {'a': 3}]
    >>> seen
    [1, 2, (1, 2), 3, {'a': 3}, [(1, 2), {'a': 3}]]
    """
    if not callable(func):
        raise TypeError(f"`func` must be callable; received {func!r}.")
    if top_down:
        result = func(structure)
        if result is None:
            result = _traverse_children(func, structure, top_down)
    else:
        structure = _traverse_children(func, structure, top_down)
        result = func(structure)
        if result is None:
            result = structure
    return None if result is MAP_TO_NONE else result


def _traverse_children(func, structure, top_down):
    if not is_nested(structure):
        return structure
    return _rebuild(structure, [traverse(func, child, top_down) for child in _children(structure)])


def lists_to_tuples(structure):
    """The same structure with every list turned into a tuple.

    >>> lists_to_tuples([1, [2, {"a": [3]}]])
    (1, (2, {'a': (3,)}))
    """
    return traverse(lambda x: tuple(x) if type(x) is list else None, structure, top_down=False)


def _is_shape(x):
    return isinstance(x, (list, tuple)) and all(isinstance(d, (int, type(None))) for d in x)


def map_shape_structure(func, structure):
    """`map_structure` where a list or tuple of ints and Nones counts as one leaf, a shape.

    >>> map_shape_structure(len, [(None, 3), {"a": (1, 2, 3)}])
    [2, {'a': 3}]
    """
    if _is_shape(structure) or not is_nested(structure):
        return func(structure)
    return _rebuild(structure, [map_shape_structure(func, c) for c in _children(structure)])
