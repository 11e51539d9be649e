"""Recording switches and the reverse pass: topological order, a reversed loop, accumulation."""

import threading

import numpy as np

_state = threading.local()


def _depth():
    return getattr(_state, "depth", 0)


def is_recording():
    """True inside a GradientTape (or `enable_grad`) and outside any `no_grad`."""
    return _depth() > 0


class _Switch:
    """Context manager that sets the recording depth while active."""

    def __init__(self, on):
        self.on = on

    def __enter__(self):
        self.saved = _depth()
        _state.depth = self.saved + 1 if self.on else 0
        return self

    def __exit__(self, *exc):
        _state.depth = self.saved
        return False


def no_grad():
    """Compute without recording a graph (inference, metrics, optimizer updates)."""
    return _Switch(False)


def enable_grad():
    """Record a graph for every op on tensors that require gradients."""
    return _Switch(True)


class RowGradient:
    """The gradient of a table whose rows were looked up (an embedding's): row `rows[i]` (sorted,
    distinct) is `values[i]`, the others zero, with no table-sized array; `gradients` hands it
    out only when asked (Model.fit, for Adam), else `dense()`: `take`'s gradient, bit for bit."""

    __array_ufunc__ = None  # `array + row_gradient` calls `__radd__`: the sum is dense

    def __init__(self, rows, values, shape):
        self.rows, self.values, self.shape = rows, values, shape

    dtype = property(lambda self: self.values.dtype)

    def dense(self):
        """The gradient as an array of the table's shape."""
        out = np.zeros(self.shape, self.values.dtype)
        out.reshape(self.shape[0], -1)[self.rows] = self.values.reshape(self.rows.size, -1)
        return out

    def __add__(self, other):  # the reverse pass adding another path's gradient
        return self.dense() + other

    def __radd__(self, other):
        return other + self.dense()


def _topological_order(target):
    """Recorded nodes reachable from `target`, each after all of its parents."""
    # Mark a node when it is expanded, not when it is pushed: a node pushed early but
    # reached again through a later path must still finish before every node using it.
    order, seen, stack = [], set(), [(target, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for parent in node.parents:
            if parent.requires_grad and id(parent) not in seen:
                stack.append((parent, False))
    return order


def gradients(target, sources, seed=None, rows=False):
    """Gradients of `target` with respect to each of `sources` (None where unconnected), arrays;
    with `rows`, an embedding table's as a `RowGradient` (for an optimizer updating by rows)."""
    value = target.data
    owned_seed = seed is None
    if owned_seed:
        seed = np.ones_like(value)
    wanted = {id(s) for s in sources}
    grads, found = {id(target): seed}, {}
    order = _topological_order(target)
    for node in reversed(order):
        g = grads.pop(id(node), None)
        if g is None:
            continue
        if id(node) in wanted:
            found[id(node)] = g
        if node.vjp is None:
            continue
        for parent, gp in zip(node.parents, node.vjp(g)):
            if gp is None or not parent.requires_grad:
                continue
            key = id(parent)
            grads[key] = gp if key not in grads else grads[key] + gp
    held = {id(_owner(node.data)) for node in order}  # the memory of the graph's own values
    if not owned_seed:
        held.add(id(_owner(seed)))
    return [_handed_out(found.get(id(s)), held, rows) for s in sources]


def _owner(a):
    """The array whose memory `a` is: itself, or the array it is a view of."""
    return a if a.base is None else a.base


def _handed_out(g, held, rows):
    """`g` itself when the caller may own it, else a copy: a VJP may hand one array, a read-only
    broadcast view, a graph value or the caller's seed to several inputs. `g` is handed out when
    it is writable and all of a fresh array no one else holds (or a reshaped view of all of one,
    as an embedding's or a split kernel's gradient): a copy of a 5 MB gradient costs as much as
    a memory-bound update pass. A `RowGradient` stays one if `rows`, else is made dense."""
    if g is None:
        return None
    if isinstance(g, RowGradient):
        return g if rows else g.dense()
    owner = _owner(g)
    if (
        g.flags.writeable
        and isinstance(owner, np.ndarray)
        and owner.base is None
        and g.nbytes == owner.nbytes
        and id(owner) not in held
    ):
        held.add(id(owner))
        return g
    return np.array(g)
