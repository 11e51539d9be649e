"""LSTM and GRU over a whole sequence as one op each: forward in time, backward through time.

Each op takes the layer's inputs and kernel and projects all time steps with one GEMM per gate.
Its arrays are gate-major and time-major, (gates, time, batch, units): a gate's rows over all
steps are one contiguous (time * batch, units) matrix, so the projection and the gradients of
the kernel and the recurrent kernel are GEMMs over all steps with no copy (only the narrow
inputs and their gradient change order), and a step's gate is one contiguous (batch, units)
block for the elementwise work. Each step's recurrent product is one batched (batch, units) @
(gates, units, units) matmul. The backward pass walks time in reverse, taking the
activations' derivatives a few steps at a time (`_chunks`: fewer NumPy calls than step by
step, the data still in cache). The per-step products are small, so the time loops run on one
BLAS thread (`one_thread`). Gates as Keras orders them (LSTM: i, f, c, o; GRU: z, r, h) with
sigmoid gates and tanh candidates; the layers fall back to a step at a time for other
activations.
"""

from functools import partial

import numpy as np

from numkeras.backend.blas_threads import one_thread
from numkeras.engine.tensor import Tensor, as_tensor
from numkeras.kernels import threads

# The LSTM forward pass's gate order, as indices of Keras's (i, f, c, o): o, i, f, c.
FORWARD_ORDER = [3, 0, 1, 2]
CHUNK_ELEMENTS = 65536  # the backward pass's derivatives: about this many gate values at a time


def _chunks(steps, step_elements):
    """(start, stop) runs of time steps of about CHUNK_ELEMENTS gate values each."""
    n = max(1, CHUNK_ELEMENTS // step_elements)
    return [(t, min(t + n, steps)) for t in range(0, steps, n)]


def _by_gate(w, gates, units):
    """A weight's (..., gates * units) columns as (gates, ..., units): one block per gate."""
    return np.moveaxis(w.reshape(w.shape[:-1] + (gates, units)), -2, 0)


def _products(triples):
    """The GEMMs `(a, b, out)`: out = a @ b, each cut into two halves of its rows, as kernel
    tasks (kernels/threads.py) on one BLAS thread each. OpenBLAS's own threads gain little on
    these narrow products (a (64, 6400) @ (6400, 64): slower on two threads than on one), and
    each value comes from a fixed task, the same for any thread count."""
    tasks = []
    for a, b, out in triples:
        for s in threads.even_slices(out.shape[0], -(-out.shape[0] // 2)):
            tasks.append(partial(np.matmul, a[s], b, out=out[s]))
    threads.run(tasks)


def _project(x, kernel, order, scale):
    """The inputs (batch, time, features) times each gate's kernel columns (`order`, times
    `scale`): (gates, time, batch, units), and the inputs as (time * batch, features) rows."""
    B, T, F = x.shape
    xt = np.ascontiguousarray(x.swapaxes(0, 1)).reshape(T * B, F)
    units = kernel.shape[1] // len(order)
    blocks = _by_gate(kernel, len(order), units)[order] * scale
    gates = np.empty((len(order), T, B, units), np.result_type(x, kernel))
    rows = gates.reshape(len(order), T * B, units)
    _products([(xt, blocks[g], rows[g]) for g in range(len(order))])
    return gates, xt


def _input_grad(rows, x, kernel):
    """The inputs' gradient from each gate's (time * batch, units) projection gradient rows:
    summed over the gates, back in (batch, time, features) order; as kernel tasks, a few time
    steps each."""
    B, T, F = x.shape
    units = rows[0].shape[1]
    blocks = _by_gate(kernel.data, len(rows), units).swapaxes(1, 2)
    dx = np.empty(x.shape, np.result_type(rows[0], blocks))

    def task(steps):
        part = slice(steps.start * B, steps.stop * B)
        flat = rows[0][part] @ blocks[0]
        for g in range(1, len(rows)):
            flat += rows[g][part] @ blocks[g]
        dx[:, steps] = flat.reshape(-1, B, F).swapaxes(0, 1)

    threads.run([partial(task, steps) for steps in threads.even_slices(T, -(-T // 8))])
    return dx


def _weight_grad(left, rows):
    """left.T @ each gate's (time * batch, units) rows, side by side: a kernel's gradient
    (features, gates * units), one GEMM per gate over all steps."""
    units = rows[0].shape[1]
    grad = np.empty((left.shape[1], len(rows) * units), rows[0].dtype)
    _products([(left.T, r, grad[:, g * units : (g + 1) * units]) for g, r in enumerate(rows)])
    return grad


def _grads(rows_in, rows_rec, xt, h_prev, x, kernel, recurrent_kernel):
    """The gradients of the inputs, the kernel and the recurrent kernel from each gate's
    pre-activation gradient rows: `rows_in` for the inputs' projection, `rows_rec` for h_prev @
    recurrent_kernel (Keras's gate order); None where no gradient is wanted."""
    return (
        _input_grad(rows_in, x, kernel) if x.requires_grad else None,
        _weight_grad(xt, rows_in) if kernel.requires_grad else None,
        _weight_grad(h_prev, rows_rec) if recurrent_kernel.requires_grad else None,
    )


def lstm_sequence(inputs, kernel, h0, c0, recurrent_kernel, bias=None, last_only=False):
    """All hidden and cell states of an LSTM over `inputs` (batch, time, features): (batch,
    time, 2, units), [:, t, 0] the output h after step t and [:, t, 1] the cell state c; with
    `last_only`, only the final ones, (batch, 2, units) (no gradient then flows in at the other
    steps). `kernel` (features, 4 units), `recurrent_kernel` (units, 4 units) and `bias` (4
    units,) are the layer's weights in Keras's gate order.

    The sigmoid gates' columns of the weights are halved (exactly: a power of two), so each
    step takes one tanh over all gates, sig(z) = tanh(z / 2) / 2 + 1/2. The forward pass holds
    the gates as o, i, f, c (`FORWARD_ORDER`), the three sigmoids side by side; the backward
    pass works in Keras's order."""
    x, K, h0, c0, U = (as_tensor(t) for t in (inputs, kernel, h0, c0, recurrent_kernel))
    parents = (x, K, h0, c0, U) + (() if bias is None else (as_tensor(bias),))
    B, T, _ = x.shape
    units = U.shape[0]
    dtype = np.result_type(x.data, K.data)
    half = dtype.type(0.5)
    scale = np.array([half, half, half, 1], dtype)[:, None, None]  # the candidate: tanh
    gates, xt = _project(x.data, K.data, FORWARD_ORDER, scale)  # then activated in place
    b = None if bias is None else _by_gate(parents[5].data, 4, units)[FORWARD_ORDER] * scale[:, 0]
    Us = _by_gate(U.data, 4, units)[FORWARD_ORDER] * scale
    hs = np.empty((T + 1, B, units), dtype)  # [t]: h before step t, so [:-1] is h_prev's rows
    cs = np.empty((T + 1, B, units), dtype)
    hs[0], cs[0] = h0.data, c0.data
    tanh_c = np.empty((T, B, units), dtype)
    rec = np.empty((4, B, units), dtype)
    ig = np.empty((B, units), dtype)
    with one_thread():
        for t0, t1 in _chunks(T, 4 * B * units):
            if b is not None:
                gates[:, t0:t1] += b[:, None, None]
            for t in range(t0, t1):
                z = gates[:, t]
                np.matmul(hs[t], Us, out=rec)
                z += rec
                np.tanh(z, out=z)
                sig = z[:3]
                sig *= half
                sig += half
                o, i, f, g = z
                c = cs[t + 1]
                np.multiply(f, cs[t], out=c)
                np.multiply(i, g, out=ig)
                c += ig
                np.tanh(c, out=tanh_c[t])
                np.multiply(o, tanh_c[t], out=hs[t + 1])
    if last_only:
        out = np.stack((hs[-1], cs[-1]), axis=1)
    else:
        out = np.stack((hs[1:], cs[1:]), axis=2).swapaxes(0, 1)

    def vjp(grad):
        final = grad if last_only else None
        grad = None if last_only else grad.swapaxes(0, 1)  # (T, B, 2, u)
        # d: each step's pre-activation gradient in Keras's gate order (i, f, c, o), filled a
        # chunk of steps at a time with the activations' derivatives times what each gate
        # multiplies (i: the candidate g, f: the previous c, c: i, o: tanh(c)); the step then
        # multiplies in dc (i, f, c) or dh (o)
        d = np.empty((4, T, B, units), dtype)
        zeros = np.zeros((B, units), dtype)
        dh, dc = (zeros.copy() if final is None else final[:, k].copy() for k in (0, 1))
        chunks = _chunks(T, 4 * B * units)
        o_dtanh = np.empty((chunks[0][1], B, units), dtype)
        tmp = np.empty((B, units), dtype)
        dh4 = np.empty((4, B, units), dtype)
        UT = _by_gate(U.data, 4, units).swapaxes(1, 2)
        with one_thread():
            for t0, t1 in reversed(chunks):
                o, i, f, g = gates[:, t0:t1]
                dk = d[:, t0:t1]
                np.subtract(1, gates[1:3, t0:t1], out=dk[:2])  # i, f: a (1 - a)
                dk[:2] *= gates[1:3, t0:t1]
                np.subtract(1, o, out=dk[3])
                dk[3] *= o
                np.square(g, out=dk[2])  # the candidate: 1 - g^2
                np.subtract(1, dk[2], out=dk[2])
                od = o_dtanh[: t1 - t0]  # o (1 - tanh(c)^2): the cell state's path to h
                np.square(tanh_c[t0:t1], out=od)
                np.subtract(1, od, out=od)
                od *= o
                for k, partner in enumerate((g, cs[t0:t1], i, tanh_c[t0:t1])):
                    dk[k] *= partner
                for t in reversed(range(t0, t1)):
                    s = t - t0
                    if grad is not None:
                        dh += grad[t, :, 0]
                        dc += grad[t, :, 1]
                    np.multiply(dh, od[s], out=tmp)
                    dc += tmp
                    step = d[:, t]
                    step[:3] *= dc
                    step[3] *= dh
                    dc *= f[s]  # to step t - 1, through the forget gate
                    np.matmul(step, UT, out=dh4)
                    np.add.reduce(dh4, axis=0, out=dh)
        rows = d.reshape(4, T * B, units)
        dx, dK, dU = _grads(rows, rows, xt, hs[:-1].reshape(T * B, units), x, K, U)
        db = None
        if bias is not None and parents[5].requires_grad:
            db = np.add.reduce(rows, axis=1).reshape(4 * units)
        return (dx, dK, dh, dc, dU, db)[: len(parents)]

    return Tensor(out, parents, vjp, "lstm_sequence")


def gru_sequence(
    inputs, kernel, h0, recurrent_kernel, recurrent_bias=None, last_only=False, input_bias=None
):
    """All outputs of a GRU with reset_after=True over `inputs` (batch, time, features):
    (batch, time, units), or with `last_only` the final one (batch, units). `kernel` (features,
    3 units), `recurrent_kernel` (units, 3 units) and the biases (3 units,) are the layer's
    weights; `input_bias` is added to the inputs' projection and `recurrent_bias` to h @
    recurrent_kernel inside the reset gate's product, as Keras does.

    Laid out like `lstm_sequence`, the update and reset gates' columns halved for sig =
    tanh / 2 + 1/2."""
    x, K, h0, U = (as_tensor(t) for t in (inputs, kernel, h0, recurrent_kernel))
    recurrent_bias, input_bias = (
        None if b is None else as_tensor(b) for b in (recurrent_bias, input_bias)
    )
    parents = (x, K, h0, U) + tuple(b for b in (recurrent_bias, input_bias) if b is not None)
    B, T, _ = x.shape
    units = U.shape[0]
    dtype = np.result_type(x.data, K.data)
    half = dtype.type(0.5)
    scale = np.array([half, half, 1], dtype)[:, None, None]  # the candidate: tanh
    order = [0, 1, 2]
    gates, xt = _project(x.data, K.data, order, scale)  # z, r, the candidate; activated in place
    b_in, b_rec = (
        None if b is None else _by_gate(b.data, 3, units) * scale[:, 0]
        for b in (input_bias, recurrent_bias)
    )
    Us = _by_gate(U.data, 3, units) * scale
    inner = np.empty_like(gates)  # h @ U (+ recurrent bias): its candidate block is kept
    hs = np.empty((T + 1, B, units), dtype)  # [t]: h before step t, so [:-1] is h_prev's rows
    hs[0] = h0.data
    tmp = np.empty((B, units), dtype)
    with one_thread():
        for t0, t1 in _chunks(T, 3 * B * units):
            if b_in is not None:
                gates[:, t0:t1] += b_in[:, None, None]
            for t in range(t0, t1):
                a, r_in = gates[:, t], inner[:, t]
                np.matmul(hs[t], Us, out=r_in)
                if b_rec is not None:
                    r_in += b_rec[:, None]
                zr = a[:2]
                zr += r_in[:2]
                np.tanh(zr, out=zr)
                zr *= half
                zr += half
                z, r, hh = a
                np.multiply(r, r_in[2], out=tmp)
                hh += tmp
                np.tanh(hh, out=hh)
                h = hs[t + 1]  # z * h_prev + (1 - z) * hh = hh + z * (h_prev - hh)
                np.subtract(hs[t], hh, out=h)
                h *= z
                h += hh
    out = hs[-1] if last_only else hs[1:].swapaxes(0, 1)

    def vjp(grad):
        # d: the gradient of h @ U + recurrent bias per gate; its z and r blocks are also the
        # projection's, whose candidate block is dxh. What does not depend on dh is taken a
        # chunk of steps at a time: p = (1 - z)(1 - hh^2), the candidate's derivative, and
        # q = [(h_prev - hh) z (1 - z), p h_h r (1 - r)], z's and r's.
        d = np.empty((3, T, B, units), dtype)
        dxh = np.empty((T, B, units), dtype)
        dh = grad.copy() if last_only else np.zeros((B, units), dtype)
        grad = None if last_only else grad.swapaxes(0, 1)  # (T, B, u)
        chunks = _chunks(T, 3 * B * units)
        n = chunks[0][1]
        p, w = (np.empty((n, B, units), dtype) for _ in range(2))
        q = np.empty((2, n, B, units), dtype)
        tmp = np.empty((B, units), dtype)
        dh3 = np.empty((3, B, units), dtype)
        UT = _by_gate(U.data, 3, units).swapaxes(1, 2)
        with one_thread():
            for t0, t1 in reversed(chunks):
                m = t1 - t0
                z, r, hh = gates[:, t0:t1]
                pm, wm, qz, qr = p[:m], w[:m], q[0, :m], q[1, :m]
                np.subtract(1, z, out=pm)
                np.square(hh, out=wm)
                np.subtract(1, wm, out=wm)
                pm *= wm
                np.subtract(hs[t0:t1], hh, out=qz)
                qz *= z
                np.subtract(1, z, out=wm)
                qz *= wm
                np.subtract(1, r, out=qr)
                qr *= r
                qr *= inner[2, t0:t1]
                qr *= pm
                for t in reversed(range(t0, t1)):
                    s = t - t0
                    if grad is not None:
                        dh += grad[t]
                    np.multiply(dh, q[:, s], out=d[:2, t])
                    np.multiply(dh, pm[s], out=dxh[t])
                    np.multiply(dxh[t], r[s], out=d[2, t])
                    dh *= z[s]  # to step t - 1: the direct path plus the recurrent product
                    np.matmul(d[:, t], UT, out=dh3)
                    dh += np.add.reduce(dh3, axis=0, out=tmp)
        rows = d.reshape(3, T * B, units)
        rows_in = (rows[0], rows[1], dxh.reshape(T * B, units))
        dx, dK, dU = _grads(rows_in, rows, xt, hs[:-1].reshape(T * B, units), x, K, U)
        grads = (dx, dK, dh, dU)
        for b, of in ((recurrent_bias, rows), (input_bias, rows_in)):
            if b is not None:
                grads += (
                    np.concatenate([np.add.reduce(r, axis=0) for r in of])
                    if b.requires_grad
                    else None,
                )
        return grads

    return Tensor(out, parents, vjp, "gru_sequence")
