"""Compare a numkeras layer with a PyTorch function after copying the weights across.

`layer_grads` runs the layer under a GradientTape with a random upstream gradient `r`
(loss = sum(y * r)) and returns the output, the input gradient(s) and the trainable weight
gradients; `torch_grads` does the same for a torch function of (inputs, weights).
"""

import numpy as np

import numkeras
from numkeras import ops


def upstream(shape, seed=7):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


def layer_grads(layer, inputs, r=None, **call_kwargs):
    """(y, input grads, weight grads) of sum(layer(inputs) * r); `inputs` one array or a list."""
    many = isinstance(inputs, list)
    xs = [numkeras.Variable(np.asarray(a)) for a in (inputs if many else [inputs])]
    with numkeras.GradientTape() as tape:
        y = layer(xs if many else xs[0], **call_kwargs)
        r = upstream(y.shape) if r is None else r
        loss = ops.sum(y * r)
    grads = tape.gradient(loss, xs + list(layer.trainable_weights))
    gx, gw = grads[: len(xs)], grads[len(xs) :]
    return ops.convert_to_numpy(y), (gx if many else gx[0]), gw


def torch_grads(fn, inputs, weights, r):
    """(y, input grads, weight grads) of sum(fn(inputs, weights) * r) in torch."""
    import torch

    many = isinstance(inputs, list)
    xs = [torch.tensor(np.asarray(a), requires_grad=True) for a in (inputs if many else [inputs])]
    ws = [torch.tensor(np.asarray(w), requires_grad=True) for w in weights]
    y = fn(xs if many else xs[0], ws)
    (y * torch.tensor(r)).sum().backward()
    gx = [x.grad.numpy() for x in xs]
    return y.detach().numpy(), (gx if many else gx[0]), [w.grad.numpy() for w in ws]


def assert_matches_torch(layer, inputs, torch_fn, atol=1e-5, rtol=1e-4, **call_kwargs):
    """The layer's output, input gradients and weight gradients agree with `torch_fn`.

    `torch_fn(inputs, trainable_weights)` gets torch tensors in numkeras's layout.
    """
    y, gx, gw = layer_grads(layer, inputs, **call_kwargs)
    weights = [w.numpy() for w in layer.trainable_weights]
    ty, tgx, tgw = torch_grads(torch_fn, inputs, weights, upstream(y.shape))
    np.testing.assert_allclose(y, ty, atol=atol, rtol=rtol, err_msg="forward")
    for a, b in zip(gx if isinstance(gx, list) else [gx], tgx if isinstance(tgx, list) else [tgx]):
        np.testing.assert_allclose(a, b, atol=atol, rtol=rtol, err_msg="input gradient")
    for v, a, b in zip(layer.trainable_weights, gw, tgw):
        np.testing.assert_allclose(a, b, atol=atol, rtol=rtol, err_msg=f"gradient of {v.path}")
    return y
