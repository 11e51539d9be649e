"""Two-operand einsum with its VJP: each operand's gradient is another einsum.

For `y = einsum("A,B->Y", a, b)`, `ga = einsum("Y,B->A'", g, b)` where `A'` drops the labels of
`A` found in neither `Y` nor `B` (summed over `a` alone); those axes get the gradient
broadcast back. Repeated labels within one operand (diagonals) are not supported.
"""

import string

import numpy as np

from numkeras.engine.math_ops import operands
from numkeras.engine.tensor import Tensor


def _parse(equation):
    inputs, _, output = equation.replace(" ", "").partition("->")
    specs = inputs.split(",")
    if not output and "->" not in equation or len(specs) != 2:
        raise ValueError(
            f"einsum: expected an explicit two-operand equation 'A,B->Y', received {equation!r}."
        )
    for spec in (*specs, output):
        letters = spec.replace("...", "")
        if len(set(letters)) != len(letters):
            raise ValueError(
                f"einsum: repeated labels in one operand are not supported; received {equation!r}."
            )
    return specs[0], specs[1], output


def _operand_grad(g, spec, other_spec, other, out_spec, shape):
    """The gradient of the operand written `spec`, given the other operand."""
    kept = "".join(c for c in spec if c in out_spec or c in other_spec)
    grad = np.einsum(f"{out_spec},{other_spec}->{kept}", g, other)
    if kept != spec:  # axes summed within this operand alone: broadcast back
        grad = np.expand_dims(grad, tuple(i for i, c in enumerate(spec) if c not in kept))
    return np.broadcast_to(grad, shape).astype(g.dtype, copy=False)


def _explicit(a_spec, b_spec, out_spec, a_ndim, b_ndim):
    """The specs with `...` spelled out in unused letters, aligned on the right as in NumPy."""
    used = set(a_spec + b_spec + out_spec)
    free = "".join(c for c in string.ascii_letters if c not in used)
    na = a_ndim - len(a_spec.replace("...", "")) if "..." in a_spec else 0
    nb = b_ndim - len(b_spec.replace("...", "")) if "..." in b_spec else 0
    width = max(na, nb)

    def fill(spec, k):
        return spec.replace("...", free[width - k : width])

    return fill(a_spec, na), fill(b_spec, nb), fill(out_spec, width)


def einsum(equation, a, b):
    """`np.einsum(equation, a, b)` with gradients to both operands."""
    x, w = operands("einsum", a, b)
    a_spec, b_spec, out_spec = _explicit(*_parse(equation), x.ndim, w.ndim)
    y = np.einsum(f"{a_spec},{b_spec}->{out_spec}", x.data, w.data)

    def vjp(g):
        return (
            _operand_grad(g, a_spec, b_spec, w.data, out_spec, x.shape)
            if x.requires_grad
            else None,
            _operand_grad(g, b_spec, a_spec, x.data, out_spec, w.shape)
            if w.requires_grad
            else None,
        )

    return Tensor(y, (x, w), vjp, "einsum")
