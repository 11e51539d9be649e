"""LSTM and GRU over a whole sequence as one op each: forward in time, backward through time.

The layer projects the inputs of all time steps with one GEMM before calling these. The gates
are kept gate-major, (time, gates, batch, units), so every gate is a contiguous block; each
time step is then one batched (batch, units) @ (gates, units, units) product and the gate math
in place on preallocated buffers. The backward pass walks time in reverse with its own
preallocated buffers and gets the recurrent kernel's gradient with GEMMs over all steps. The
per-step products are small, so the time loops run on one BLAS thread (`one_thread`).
Gates as Keras orders them (LSTM: i, f, c, o; GRU: z, r, h) with sigmoid gates and tanh
candidates; the layers fall back to a step at a time for other activations.
"""

import numpy as np

from numkeras.backend.blas_threads import one_thread
from numkeras.engine.tensor import Tensor, as_tensor

# The forward pass's gate order, as indices of Keras's (i, f, c, o): o, i, f, c.
FORWARD_ORDER = [3, 0, 1, 2]


def lstm_sequence(xproj, h0, c0, recurrent_kernel, last_only=False, bias=None):
    """All hidden and cell states of an LSTM: (batch, time, 2, units), [:, t, 0] the output h
    after step t and [:, t, 1] the cell state c; with `last_only`, only the final ones,
    (batch, 2, units) (no gradient then flows in at the other steps). `xproj` is (batch, time,
    4 units): the inputs already times the kernel, plus `bias` (4 units,) when given.

    The gates are kept gate-major, (time, 4, batch, units), so each gate is one contiguous
    block, and the recurrent kernel as (4, units, units): a step's product is a batched matmul
    into that layout. The sigmoid gates' columns of `xproj` and of the recurrent kernel are
    halved (exactly: a power of two), so each step takes one tanh over all gates,
    sig(z) = tanh(z / 2) / 2 + 1/2. The forward pass holds the gates as o, i, f, c
    (`FORWARD_ORDER`), the three sigmoids side by side; the backward pass works in Keras's
    order, so its sums run as they did."""
    xproj, h0, c0, U = (as_tensor(t) for t in (xproj, h0, c0, recurrent_kernel))
    parents = (xproj, h0, c0, U) + (() if bias is None else (as_tensor(bias),))
    T, B, units = xproj.shape[1], xproj.shape[0], U.shape[0]
    dtype = xproj.data.dtype
    half = dtype.type(0.5)
    scale = np.array([half, half, half, 1], dtype)[:, None, None]  # the candidate: tanh
    gates = np.empty((T, 4, B, units), dtype)  # pre-activations, then activations in place
    keras_gates = xproj.data.reshape(B, T, 4, units).transpose(1, 2, 0, 3)
    for k, gate in enumerate(FORWARD_ORDER):
        np.multiply(keras_gates[:, gate], scale[k], out=gates[:, k])
    if bias is not None:
        gates += parents[4].data.reshape(4, 1, units)[FORWARD_ORDER] * scale
    U4 = U.data.reshape(units, 4, units).swapaxes(0, 1)  # (4, u, u): a gate's columns each
    Us = U4[FORWARD_ORDER] * scale
    hc = np.empty((T + 1, 2, B, units), dtype)  # [t + 1]: states after step t
    hc[0, 0], hc[0, 1] = h0.data, c0.data
    tanh_c = np.empty((T, B, units), dtype)
    rec = np.empty((4, B, units), dtype)
    ig = np.empty((B, units), dtype)
    with one_thread():
        for t in range(T):
            z = gates[t]
            np.matmul(hc[t, 0], Us, out=rec)
            z += rec
            np.tanh(z, out=z)
            o, i, f, g = z
            sig = z[:3]
            sig *= half
            sig += half
            c = hc[t + 1, 1]
            np.multiply(f, hc[t, 1], out=c)
            np.multiply(i, g, out=ig)
            c += ig
            np.tanh(c, out=tanh_c[t])
            np.multiply(o, tanh_c[t], out=hc[t + 1, 0])
    out = hc[-1].swapaxes(0, 1) if last_only else hc[1:].transpose(2, 0, 1, 3)  # (B, [T,] 2, u)

    def vjp(grad):
        grad = grad.swapaxes(0, 1) if last_only else grad.transpose(1, 2, 0, 3)  # ([T,] 2, B, u)
        # the activations' derivatives for all steps at once, in Keras's gate order (i, f,
        # c, o; `gates` holds o, i, f, c): a(1 - a) for the sigmoid gates, 1 - g^2 for the
        # candidate, and o(1 - tanh(c)^2) for the cell state's path to h
        i_, f_, g_, o_ = (gates[:, k] for k in (1, 2, 3, 0))
        dz = np.empty_like(gates)
        for dst, src in ((dz[:, :2], gates[:, 1:3]), (dz[:, 3], o_)):
            np.subtract(1, src, out=dst)
            dst *= src
        np.square(g_, out=dz[:, 2])
        np.subtract(1, dz[:, 2], out=dz[:, 2])
        o_dtanh = np.square(tanh_c)
        np.subtract(1, o_dtanh, out=o_dtanh)
        o_dtanh *= o_
        # times what each gate multiplies (i: the candidate g, f: the previous c, g: i, o:
        # tanh(c)); dc for i, f, g and dh for o then give step t's pre-activation gradient
        for k, partner in enumerate((g_, hc[:-1, 1], i_, tanh_c)):
            dz[:, k] *= partner
        dh, dc = (grad[k].copy() if last_only else np.zeros((B, units), dtype) for k in (0, 1))
        tmp = np.empty((B, units), dtype)
        dh4 = np.empty((4, B, units), dtype)
        U4T = U4.swapaxes(1, 2)
        with one_thread():
            for t in reversed(range(T)):
                if not last_only:
                    dh += grad[t, 0]
                    dc += grad[t, 1]
                np.multiply(dh, o_dtanh[t], out=tmp)
                dc += tmp
                d = dz[t]  # becomes the pre-activation gradient of step t
                d[:3] *= dc
                d[3] *= dh
                dc *= f_[t]  # to step t - 1, through the forget gate
                np.matmul(d, U4T, out=dh4)
                np.add.reduce(dh4, axis=0, out=dh)
        dx = np.ascontiguousarray(dz.transpose(2, 0, 1, 3)).reshape(B, T, 4 * units)
        dU = None
        if U.requires_grad:  # one GEMM over all steps, rows in dx's (batch, time) order
            h_prev = np.ascontiguousarray(hc[:-1, 0].swapaxes(0, 1)).reshape(B * T, units)
            dU = h_prev.T @ dx.reshape(B * T, 4 * units)
        db = None
        if bias is not None and parents[4].requires_grad:
            db = np.add.reduce(dz, axis=(0, 2)).reshape(4 * units)
        return (dx, dh, dc, dU, db)[: len(parents)]

    return Tensor(out, parents, vjp, "lstm_sequence")


def gru_sequence(
    xproj, h0, recurrent_kernel, recurrent_bias=None, last_only=False, input_bias=None
):
    """All outputs of a GRU with reset_after=True: (batch, time, units), or with `last_only`
    the final one (batch, units). `xproj` is (batch, time, 3 units), the inputs times the
    kernel, plus `input_bias` (3 units,) when given; `recurrent_bias` is added to
    h @ recurrent_kernel inside the reset gate's product, as Keras does.

    Gate-major like `lstm_sequence`: the gates as (time, 3, batch, units), the recurrent kernel
    as (3, units, units), the update and reset gates' columns halved for sig = tanh / 2 + 1/2."""
    xproj, h0, U = (as_tensor(t) for t in (xproj, h0, recurrent_kernel))
    recurrent_bias, input_bias = (
        None if b is None else as_tensor(b) for b in (recurrent_bias, input_bias)
    )
    parents = (xproj, h0, U) + tuple(b for b in (recurrent_bias, input_bias) if b is not None)
    T, B, units = xproj.shape[1], xproj.shape[0], U.shape[0]
    dtype = xproj.data.dtype
    half = dtype.type(0.5)
    scale = np.array([half, half, 1], dtype)[:, None, None]  # the candidate: tanh
    gates = np.empty((T, 3, B, units), dtype)  # z, r and the candidate, activated in place
    np.multiply(xproj.data.reshape(B, T, 3, units).transpose(1, 2, 0, 3), scale, out=gates)
    if input_bias is not None:
        gates += input_bias.data.reshape(3, 1, units) * scale
    U3 = U.data.reshape(units, 3, units).swapaxes(0, 1)  # (3, u, u): a gate's columns each
    Us = U3 * scale
    bias = None if recurrent_bias is None else recurrent_bias.data.reshape(3, 1, units) * scale
    inner = np.empty_like(gates)  # h @ U (+ recurrent bias): its candidate block is kept
    hs = np.empty((T + 1, B, units), dtype)
    hs[0] = h0.data
    tmp = np.empty((B, units), dtype)
    with one_thread():
        for t in range(T):
            a, r_in = gates[t], inner[t]
            np.matmul(hs[t], Us, out=r_in)
            if bias is not None:
                r_in += bias
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
        # d: the gradient of h @ U + recurrent bias per gate, gate first so each gate's
        # (time * batch, units) rows are one array; its z and r blocks are also those gates'
        # input-side gradients. The candidate's input-side gradient is dxh.
        d = np.empty((3, T, B, units), dtype)
        dxh = np.empty((T, B, units), dtype)
        dh = grad.copy() if last_only else np.zeros((B, units), dtype)
        grad = None if last_only else grad.swapaxes(0, 1)  # (T, B, u)
        t1 = np.empty((B, units), dtype)
        dh3 = np.empty((3, B, units), dtype)
        U3T = U3.swapaxes(1, 2)
        with one_thread():
            for t in reversed(range(T)):
                z, r, hh = gates[t]
                dz, dr, dn, dxt = d[0, t], d[1, t], d[2, t], dxh[t]
                if grad is not None:
                    dh += grad[t]
                np.subtract(hs[t], hh, out=dz)  # dz = dh * (h_prev - hh), through the sigmoid
                dz *= dh
                dz *= z
                np.subtract(1, z, out=t1)
                dz *= t1
                np.multiply(dh, t1, out=dxt)  # d hh = dh * (1 - z), through the tanh
                np.multiply(hh, hh, out=t1)
                np.subtract(1, t1, out=t1)
                dxt *= t1
                np.multiply(dxt, inner[t, 2], out=dr)  # dr = dxh * h_h, through the sigmoid
                dr *= r
                np.subtract(1, r, out=t1)
                dr *= t1
                np.multiply(dxt, r, out=dn)
                dh *= z  # to step t - 1: the direct path plus the recurrent product
                np.matmul(d[:, t], U3T, out=dh3)
                dh += np.add.reduce(dh3, axis=0, out=t1)
        dx = np.empty((B, T, 3, units), dtype)
        for k in range(2):
            dx[:, :, k] = d[k].swapaxes(0, 1)
        dx[:, :, 2] = dxh.swapaxes(0, 1)
        rows = d.reshape(3, T * B, units)
        dU = db = None
        if U.requires_grad:
            h_prev = hs[:-1].reshape(T * B, units)
            dU = np.empty((units, 3, units), dtype)
            for k in range(3):
                np.matmul(h_prev.T, rows[k], out=dU[:, k])
            dU = dU.reshape(units, 3 * units)
        if recurrent_bias is not None and recurrent_bias.requires_grad:
            db = np.add.reduce(rows, axis=1).reshape(3 * units)
        grads = (dx.reshape(B, T, 3 * units), dh, dU, db)[: 3 + (recurrent_bias is not None)]
        if input_bias is not None:  # the input side's pre-activation gradients, summed
            db_in = None
            if input_bias.requires_grad:
                db_in = np.add.reduce(dx.reshape(B * T, 3 * units), axis=0)
            grads += (db_in,)
        return grads

    return Tensor(out, parents, vjp, "gru_sequence")
