"""Test helpers: float64 central-difference gradient checks and PyTorch comparisons.

Both seed the backward pass with a random upstream gradient `r` (loss = sum(f(x) * r)),
because a VJP that ignores its upstream gradient still passes an all-ones seed.
"""

import numpy as np

import numkeras
from numkeras import ops


def rand(*shape, seed=0, low=-2.0, high=2.0, dtype="float64"):
    """Uniform values in [low, high), all distinct (so max/min/pool have no ties)."""
    rng = np.random.default_rng(seed)
    size = int(np.prod(shape))
    values = np.linspace(low, high, size, endpoint=False) + rng.uniform(0, (high - low) / size / 2)
    return rng.permutation(values).reshape(shape).astype(dtype)


def analytic_grads(fn, arrays, r):
    """Gradients of sum(fn(*arrays) * r) for every input, from GradientTape."""
    variables = [numkeras.Variable(a) for a in arrays]
    with numkeras.GradientTape() as tape:
        y = fn(*variables)
        loss = ops.sum(ops.multiply(y, r))
    return y, tape.gradient(loss, variables)


def numeric_grads(fn, arrays, r, eps):
    """Central differences of sum(fn(*arrays) * r), one input element at a time."""
    arrays = [a.copy() for a in arrays]

    def loss():
        return float(np.sum(np.asarray(fn(*[ops.convert_to_tensor(a) for a in arrays])) * r))

    grads = []
    for a in arrays:
        g = np.zeros_like(a)
        for i in np.ndindex(a.shape):
            saved = a[i]
            a[i] = saved + eps
            up = loss()
            a[i] = saved - eps
            down = loss()
            a[i] = saved
            g[i] = (up - down) / (2 * eps)
        grads.append(g)
    return grads


def check_grad(fn, *arrays, eps=1e-6, rtol=1e-5, atol=1e-7, seed=1):
    """Assert that GradientTape's gradients of `fn` match central differences on every input.

    `arrays` become float64 Variables; `fn` takes them as numkeras tensors.
    """
    arrays = [np.asarray(a, dtype="float64") for a in arrays]
    out = fn(*[ops.convert_to_tensor(a) for a in arrays])
    r = np.random.default_rng(seed).standard_normal(np.shape(out))
    y, analytic = analytic_grads(fn, arrays, r)
    assert y.dtype == "float64", f"float64 inputs gave a {y.dtype} output"
    numeric = numeric_grads(fn, arrays, r, eps)
    for i, (ga, gn) in enumerate(zip(analytic, numeric)):
        assert ga is not None, f"input {i}: no gradient"
        assert ga.shape == gn.shape, f"input {i}: gradient shape {ga.shape}, expected {gn.shape}"
        assert ga.dtype == np.float64, f"input {i}: gradient dtype {ga.dtype}"
        np.testing.assert_allclose(ga, gn, rtol=rtol, atol=atol, err_msg=f"gradient of input {i}")


def compare_op(arrays, torch_fn, our_fn, atol=1e-5, rtol=1e-5, grad_atol=1e-5, grad_rtol=1e-4):
    """Forward values and input gradients of `our_fn` agree with `torch_fn` in float32.

    `arrays` are float32 NumPy inputs (or shapes, filled with distinct random values);
    both functions receive them in our layout.
    """
    import torch

    arrays = [
        rand(*a, seed=i, dtype="float32")
        if isinstance(a, tuple)
        else np.asarray(a, dtype="float32")
        for i, a in enumerate(arrays)
    ]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    expected = torch_fn(*ts)
    r = np.random.default_rng(7).standard_normal(tuple(expected.shape)).astype("float32")
    (expected * torch.tensor(r)).sum().backward()
    y, grads = analytic_grads(our_fn, arrays, r)
    assert y.shape == tuple(expected.shape)
    assert y.dtype == "float32", f"float32 inputs gave a {y.dtype} output"
    np.testing.assert_allclose(np.asarray(y), expected.detach().numpy(), atol=atol, rtol=rtol)
    for i, (g, t) in enumerate(zip(grads, ts)):
        assert g is not None and g.dtype == np.float32, f"input {i}: gradient {g!r}"
        np.testing.assert_allclose(
            g, t.grad.numpy(), atol=grad_atol, rtol=grad_rtol, err_msg=f"gradient of input {i}"
        )
