"""Tensor products: einsum (with its VJP, itself an einsum), and the products built on it or on
other differentiable ops: tensordot, outer, inner, vdot, kron, cross, correlate, cdist, corrcoef."""

import string

import numpy as np

from numkeras.engine import math_ops as m
from numkeras.engine import shape_ops as s
from numkeras.engine.tensor import Tensor, as_tensor
from numkeras.ops.rearranging import moved


def _parse(subscripts, shapes):
    """Explicit subscripts without ellipses: (list of input letter strings, output letters)."""
    spec = subscripts.replace(" ", "")
    inputs, arrow, output = spec.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(
            f"Op `einsum`: subscripts {subscripts!r} name {len(terms)} operands, got {len(shapes)}."
        )
    used = set(spec) - set(".,->")
    spare = [c for c in string.ascii_letters if c not in used]
    ell_rank = max(
        (len(shp) - len(t.replace("...", "")) for t, shp in zip(terms, shapes) if "..." in t),
        default=0,
    )
    ell = "".join(spare[:ell_rank])
    explicit = []
    for t, shp in zip(terms, shapes):
        if "..." in t:
            n = len(shp) - len(t.replace("...", ""))
            t = t.replace("...", ell[ell_rank - n :] if n else "")
        if len(t) != len(shp):
            raise ValueError(f"Op `einsum`: term {t!r} does not match an operand of shape {shp}.")
        explicit.append(t)
    if arrow:
        out = output.replace("...", ell)
    else:
        letters = "".join(explicit)
        out = ell + "".join(
            sorted(c for c in set(letters) if letters.count(c) == 1 and c not in ell)
        )
    return explicit, out


def einsum(subscripts, *operands, **kwargs):
    """Einstein summation; the gradient of each operand is an einsum of the others and `g`."""
    xs = [as_tensor(x) for x in operands]
    terms, out = _parse(subscripts, [x.shape for x in xs])
    sizes = {}
    for t, x in zip(terms, xs):
        for c, n in zip(t, x.shape):
            if n != 1:
                if sizes.get(c, n) != n:
                    raise ValueError(
                        f"Op `einsum`: label {c!r} has sizes {sizes[c]} and {n} in "
                        f"{subscripts!r} (shapes {[x.shape for x in xs]})."
                    )
                sizes[c] = n
    # broadcast size-1 axes are squeezed out, repeated labels become a diagonal first
    prepared = []
    for t, x in zip(terms, xs):
        keep = [
            i for i, (c, n) in enumerate(zip(t, x.shape)) if not (n == 1 and sizes.get(c, 1) > 1)
        ]
        if len(keep) < len(t):
            x = s.reshape(x, tuple(x.shape[i] for i in keep))
            t = "".join(t[i] for i in keep)
        if len(set(t)) < len(t):
            unique = "".join(dict.fromkeys(t))
            x = moved("einsum", x, lambda p, t=t, u=unique: np.einsum(f"{t}->{u}", p).copy())
            t = unique
        prepared.append((t, x))
    for c in out:
        sizes.setdefault(c, 1)
    if len(prepared) == 1 and any(c not in prepared[0][0] for c in out):
        raise ValueError(f"Op `einsum`: output labels of {subscripts!r} must appear in an input.")
    return _einsum(prepared, out, sizes)


def _einsum(prepared, out, sizes):
    terms = [t for t, _ in prepared]
    xs = [x for _, x in prepared]
    if len(xs) > 1:
        dtype = np.result_type(*[x.data.dtype for x in xs])
        xs = [x if x.data.dtype == dtype else m.cast(x, dtype) for x in xs]
    datas = [x.data for x in xs]
    spec = ",".join(terms) + "->" + out
    y = np.einsum(spec, *datas)
    out_shape = tuple(sizes[c] for c in out)
    y = np.broadcast_to(y, out_shape).copy() if y.shape != out_shape else np.asarray(y)

    def vjp(g):
        grads = []
        for i, (t, x) in enumerate(zip(terms, xs)):
            if not x.requires_grad:
                grads.append(None)
                continue
            others = [(terms[j], datas[j]) for j in range(len(xs)) if j != i]
            have = set(out).union(*[set(u) for u, _ in others])
            lonely = "".join(c for c in t if c not in have)
            parts = [out] + [u for u, _ in others] + ([lonely] if lonely else [])
            arrays = [g] + [d for _, d in others]
            if lonely:
                arrays.append(np.ones(tuple(sizes[c] for c in lonely), g.dtype))
            grad = np.einsum(",".join(parts) + "->" + t, *arrays)
            grads.append(grad)
        return tuple(grads)

    return Tensor(y, xs, vjp, "einsum")


def tensordot(x1, x2, axes=2):
    a, b = as_tensor(x1), as_tensor(x2)
    if isinstance(axes, int):
        axes_a, axes_b = list(range(a.ndim - axes, a.ndim)), list(range(axes))
    else:
        axes_a, axes_b = (list(np.atleast_1d(ax)) for ax in axes)
    axes_a, axes_b = [x % a.ndim for x in axes_a], [x % b.ndim for x in axes_b]
    letters = iter(string.ascii_letters)
    ta = [next(letters) for _ in range(a.ndim)]
    tb = [next(letters) for _ in range(b.ndim)]
    for i, j in zip(axes_a, axes_b):
        if a.shape[i] != b.shape[j]:
            raise ValueError(
                f"Op `tensordot`: axis {i} of {a.shape} and axis {j} of {b.shape} differ in size."
            )
        tb[j] = ta[i]
    out = [c for i, c in enumerate(ta) if i not in axes_a] + [
        c for j, c in enumerate(tb) if j not in axes_b
    ]
    return einsum(f"{''.join(ta)},{''.join(tb)}->{''.join(out)}", a, b)


def outer(x1, x2):
    return einsum("i,j->ij", s.reshape(x1, (-1,)), s.reshape(x2, (-1,)))


def inner(x1, x2):
    a, b = as_tensor(x1), as_tensor(x2)
    if a.ndim == 0 or b.ndim == 0:
        return m.multiply(a, b)
    return tensordot(a, b, axes=([-1], [-1]))


def vdot(x1, x2):
    a, b = as_tensor(x1), as_tensor(x2)
    if a.data.dtype.kind == "c":
        from numkeras.ops.elementwise import conj

        a = conj(a)
    return einsum("i,i->", s.reshape(a, (-1,)), s.reshape(b, (-1,)))


def kron(x1, x2):
    a, b = as_tensor(x1), as_tensor(x2)
    n = max(a.ndim, b.ndim)
    a = s.reshape(a, (1,) * (n - a.ndim) + a.shape)
    b = s.reshape(b, (1,) * (n - b.ndim) + b.shape)
    la, lb = string.ascii_lowercase[:n], string.ascii_uppercase[:n]
    out = "".join(p + q for p, q in zip(la, lb))
    y = einsum(f"{la},{lb}->{out}", a, b)
    return s.reshape(y, tuple(p * q for p, q in zip(a.shape, b.shape)))


def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """The cross product of 2- or 3-vectors along the given axes (2-vectors give the z part)."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = s.moveaxis(as_tensor(x1), axisa, -1), s.moveaxis(as_tensor(x2), axisb, -1)
    if a.shape[-1] not in (2, 3) or b.shape[-1] not in (2, 3):
        raise ValueError(
            f"Op `cross`: vectors must have 2 or 3 components, got shapes "
            f"{a.shape} and {b.shape} along the chosen axes."
        )
    a, b = m.operands("cross", a, b)

    def parts(v):
        comps = [s.getitem(v, (Ellipsis, i)) for i in range(v.shape[-1])]
        return comps + [None] * (3 - len(comps))

    a0, a1, a2 = parts(a)
    b0, b1, b2 = parts(b)
    z = a0 * b1 - a1 * b0
    if a2 is None and b2 is None:
        return z

    def times(p, q):
        return 0 if p is None or q is None else p * q

    x = times(a1, b2) - times(a2, b1)
    y = times(a2, b0) - times(a0, b2)
    c = s.stack([x, y, z], axis=-1)
    return s.moveaxis(c, -1, axisc)


def correlate(x1, x2, mode="valid"):
    """Cross-correlation of two 1-D tensors, as `np.correlate` (modes valid, same, full)."""
    if mode not in ("valid", "same", "full"):
        raise ValueError(f"Op `correlate`: mode must be 'valid', 'same' or 'full', got {mode!r}.")
    a, v = m.operands("correlate", x1, x2)
    if a.ndim != 1 or v.ndim != 1:
        raise ValueError(f"Op `correlate`: expected 1-D tensors, got {a.shape} and {v.shape}.")
    if a.data.dtype.kind in "biu":
        a, v = m.cast(a, "float32"), m.cast(v, "float32")
    big, small = max(a.shape[0], v.shape[0]), min(a.shape[0], v.shape[0])
    n = v.shape[0]
    padded = s.pad(a, [(n - 1, n - 1)])
    windows = moved("correlate", padded, lambda p: np.lib.stride_tricks.sliding_window_view(p, n))
    full = m.matmul(windows, v)
    if mode == "full":
        return full
    if mode == "valid":
        return full[small - 1 : big]
    start = (small - 1) // 2 if a.shape[0] >= n else small // 2
    return full[start : start + big]


def cdist(x, y):
    """Euclidean distances between the rows of `x` (..., P, M) and of `y` (..., R, M)."""
    a, b = m.operands("cdist", x, y)
    diff = m.subtract(s.expand_dims(a, -2), s.expand_dims(b, -3))
    return m.sqrt(m.sum(m.square(diff), axis=-1))


def corrcoef(x):
    """Pearson correlation coefficients between the rows (variables) of `x`."""
    x = as_tensor(x)
    if x.data.dtype.kind in "biu":
        x = m.cast(x, "float32")
    centred = m.subtract(x, m.mean(x, axis=-1, keepdims=True))
    if centred.ndim == 1:
        centred = s.reshape(centred, (1, -1))
    cov = m.matmul(centred, s.transpose(centred))
    d = m.sqrt(s.getitem(cov, (np.arange(cov.shape[0]), np.arange(cov.shape[0]))))
    r = m.divide(cov, outer(d, d))
    return m.clip(r, -1, 1) if r.shape != (1, 1) else s.reshape(r, ())


__all__ = [
    "cdist",
    "corrcoef",
    "correlate",
    "cross",
    "einsum",
    "inner",
    "kron",
    "outer",
    "tensordot",
    "vdot",
]
