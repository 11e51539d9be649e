"""Control flow and function transforms: cond, switch, loops, scan, map, vectorize and
custom_gradient. They run eagerly, so gradients flow through whatever ops the loop bodies run."""

import numpy as np

from numkeras.engine import autodiff
from numkeras.engine.shape_ops import concatenate, getitem, stack
from numkeras.engine.tensor import Tensor, as_array, as_tensor


def _flatten(value):
    """Leaves of nested lists, tuples and dicts, and a function that rebuilds the structure."""
    if isinstance(value, dict):
        keys = sorted(value)
        parts = [_flatten(value[k]) for k in keys]
    elif isinstance(value, (list, tuple)):
        keys = None
        parts = [_flatten(v) for v in value]
    else:
        return [value], lambda leaves: leaves[0]
    leaves, sizes = [], []
    for leaf_list, _ in parts:
        leaves.extend(leaf_list)
        sizes.append(len(leaf_list))

    def rebuild(new):
        out, start = [], 0
        for (_, build), n in zip(parts, sizes):
            out.append(build(new[start : start + n]))
            start += n
        if keys is not None:
            return dict(zip(keys, out))
        return type(value)(out) if isinstance(value, tuple) else out

    return leaves, rebuild


def cond(pred, true_fn, false_fn):
    """`true_fn()` if `pred` else `false_fn()`."""
    return true_fn() if bool(as_array(pred)) else false_fn()


def switch(index, branches, *operands):
    """`branches[index](*operands)`, the index clipped into range."""
    i = int(np.clip(int(as_array(index)), 0, len(branches) - 1))
    return branches[i](*operands)


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """Apply `body` while `cond` holds (at most `maximum_iterations` times)."""
    is_tuple = isinstance(loop_vars, (list, tuple))
    state = tuple(loop_vars) if is_tuple else (loop_vars,)
    state = tuple(as_tensor(v) if not isinstance(v, (list, tuple, dict)) else v for v in state)
    steps = 0
    while bool(as_array(cond(*state))) and (
        maximum_iterations is None or steps < maximum_iterations
    ):
        state = body(*state)
        state = tuple(state) if isinstance(state, (list, tuple)) else (state,)
        steps += 1
    return state if is_tuple else state[0]


def fori_loop(lower, upper, body_fun, init_val):
    """`init_val` passed through `body_fun(i, value)` for i in [lower, upper)."""
    value = init_val
    for i in range(int(as_array(lower)), int(as_array(upper))):
        value = body_fun(i, value)
    return value


def _stack_leaves(results, like):
    if not results:
        return None
    flat = [_flatten(r)[0] for r in results]
    _, rebuild = _flatten(results[0])
    if flat[0] and flat[0][0] is None:
        return None
    return rebuild([stack([as_tensor(step[i]) for step in flat]) for i in range(len(flat[0]))])


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """`jax.lax.scan`: carry a state through `f(carry, x) -> (carry, y)`; stack the ys."""
    if not callable(f):
        raise TypeError(f"`f` should be a callable. Received: f={f}")
    if not isinstance(unroll, bool) and (not isinstance(unroll, int) or unroll < 1):
        raise ValueError(
            f"`unroll` must be an positive integer or boolean. Received: unroll={unroll}"
        )
    if xs is None and length is None:
        raise ValueError("Got no `xs` to scan over and `length` not provided.")
    leaves, rebuild = _flatten(xs) if xs is not None else ([], None)
    leaves = [as_tensor(v) for v in leaves]
    n = length if length is not None else leaves[0].shape[0]
    order = range(n - 1, -1, -1) if reverse else range(n)
    carry, ys = init, []
    for i in order:
        x = rebuild([getitem(v, i) for v in leaves]) if rebuild else None
        carry, y = f(carry, x)
        ys.append(y)
    if reverse:
        ys.reverse()
    return carry, _stack_leaves(ys, init)


def associative_scan(f, elems, reverse=False, axis=0):
    """Prefix combination with an associative `f` along `axis` (run as a sequential scan)."""
    if not callable(f):
        raise TypeError(f"`f` should be a callable. Received: f={f}")
    leaves, rebuild = _flatten(elems)
    leaves = [as_tensor(v) for v in leaves]
    n = leaves[0].shape[axis]
    if any(v.shape[axis] != n for v in leaves[1:]):
        raise ValueError(
            "Array inputs to associative_scan must have the same first dimension. "
            f"(saw: {[v.shape for v in leaves]})"
        )
    ax = axis % leaves[0].ndim

    def at(v, i):
        return getitem(v, (slice(None),) * ax + (slice(i, i + 1),))

    order = range(n - 1, -1, -1) if reverse else range(n)
    done, acc = [], None
    for i in order:
        item = [at(v, i) for v in leaves]
        acc = (
            item
            if acc is None
            else _flatten(
                f(rebuild(item), rebuild(acc)) if reverse else f(rebuild(acc), rebuild(item))
            )[0]
        )
        done.append(acc)
    if reverse:
        done.reverse()
    return rebuild([concatenate([step[k] for step in done], axis=ax) for k in range(len(leaves))])


def map(f, xs):  # noqa: A001  (Keras's name)
    """`f` applied to each slice of `xs` along the first axis, results stacked."""

    def step(_, x):
        return (), f(x)

    return scan(step, (), xs)[1]


def vectorized_map(function, elements):
    """`function` over the first axis of `elements` (a tensor, or a list of them together)."""
    if not isinstance(elements, (list, tuple)):
        x = as_tensor(elements)
        return stack([function(getitem(x, i)) for i in range(x.shape[0])])
    xs = [as_tensor(e) for e in elements]
    return stack([function([getitem(x, i) for x in xs]) for i in range(xs[0].shape[0])])


def _core_dims(signature):
    inputs, _, outputs = signature.replace(" ", "").partition("->")
    parse = [part.strip("()") for part in inputs.split("),(")]
    return [len([d for d in p.split(",") if d]) for p in parse], outputs


def vectorize(pyfunc, *, excluded=None, signature=None):
    """`pyfunc` mapped over the leading (broadcast) axes of its tensor args, as np.vectorize."""
    excluded = set(excluded or ())

    def wrapped(*args):
        mapped = [i for i in range(len(args)) if i not in excluded]
        tensors = {i: as_tensor(args[i]) for i in mapped}
        cores = _core_dims(signature)[0] if signature else [0] * len(mapped)
        loops = [tensors[i].shape[: tensors[i].ndim - c] for i, c in zip(mapped, cores)]
        batch = np.broadcast_shapes(*loops) if loops else ()
        results = []
        for index in np.ndindex(batch):
            call = list(args)
            for i, loop in zip(mapped, loops):
                own = tuple(
                    0 if n == 1 else k for k, n in zip(index[len(index) - len(loop) :], loop)
                )
                call[i] = getitem(tensors[i], own) if own else tensors[i]
            results.append(as_tensor(pyfunc(*call)))
        if not results:
            raise ValueError("vectorize: cannot map over an empty batch.")
        from numkeras.engine.shape_ops import reshape

        out = stack(results)
        return reshape(out, batch + out.shape[1:])

    return wrapped


def custom_gradient(f):
    """Decorator: `f(*args)` returns `(y, grad_fn)`; `grad_fn(upstream)` gives the input grads."""

    def wrapped(*args):
        inputs = [as_tensor(a) for a in args]
        with autodiff.no_grad():
            y, grad_fn = f(*[Tensor(x.data) for x in inputs])
        y = as_tensor(y)

        def vjp(g):
            with autodiff.no_grad():
                grads = grad_fn(Tensor(g))
            grads = grads if isinstance(grads, (list, tuple)) else (grads,)
            return tuple(
                None if gr is None else np.asarray(as_array(gr), x.data.dtype)
                for gr, x in zip(grads, inputs)
            )

        return Tensor(y.data, inputs, vjp, getattr(f, "__name__", "custom_gradient"))

    wrapped.__name__ = getattr(f, "__name__", "custom_gradient")
    wrapped.__doc__ = f.__doc__
    return wrapped


__all__ = [
    "associative_scan",
    "cond",
    "custom_gradient",
    "fori_loop",
    "map",
    "scan",
    "switch",
    "vectorize",
    "vectorized_map",
    "while_loop",
]


def jvp(fun, primals, tangents, has_aux=False):
    """Forward-mode product J @ tangents of `fun` at `primals`, from reverse-mode passes.

    numkeras differentiates in reverse mode only, so each output element's gradient row is one
    backward pass over the recorded graph: exact, costing one pass per output element.
    """
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents.")
    inputs = [Tensor(np.array(as_array(p))) for p in primals]
    for x in inputs:
        x.requires_grad = True
    with autodiff.enable_grad():
        result = fun(*inputs)
    out, aux = (result[0], result[1]) if has_aux else (result, None)
    leaves, rebuild = _flatten(out)
    directions = [as_array(t) for t in tangents]
    products = []
    for leaf in leaves:
        leaf = as_tensor(leaf)
        flat = np.zeros(leaf.size, leaf.data.dtype)
        for i in range(leaf.size):
            seed = np.zeros(leaf.size, leaf.data.dtype)
            seed[i] = 1
            grads = (
                autodiff.gradients(leaf, inputs, seed.reshape(leaf.shape))
                if leaf.requires_grad
                else [None] * len(inputs)
            )
            flat[i] = sum(float(np.sum(g * d)) for g, d in zip(grads, directions) if g is not None)
        products.append(Tensor(flat.reshape(leaf.shape)))
    detached = rebuild([Tensor(as_tensor(leaf).data) for leaf in leaves])
    tangents_out = rebuild(products)
    return (detached, tangents_out, aux) if has_aux else (detached, tangents_out)


__all__ += ["jvp"]
