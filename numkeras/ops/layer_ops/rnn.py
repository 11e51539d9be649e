"""LSTM and GRU over a whole sequence as one op each: forward in time, backward through time.

The layer projects the inputs of all time steps with one GEMM before calling these; each time
step is then one (batch, units) @ (units, k*units) GEMM and the gate math in place on
preallocated (time, batch, ...) buffers. The backward pass walks time in reverse with its own
preallocated buffers and gets the recurrent kernel's gradient as one GEMM over all steps. The
per-step products are small, so the time loops run on one BLAS thread (`one_thread`).
Gates as Keras orders them (LSTM: i, f, c, o; GRU: z, r, h) with sigmoid gates and tanh
candidates; the layers fall back to a step at a time for other activations.
"""

import numpy as np

from numkeras.backend.blas_threads import one_thread
from numkeras.engine.tensor import Tensor, as_tensor


def _sigmoid(x, out):
    """sigmoid(x) = (tanh(x / 2) + 1) / 2 into `out`: one transcendental, no overflow."""
    np.multiply(x, 0.5, out=out)
    np.tanh(out, out=out)
    out *= 0.5
    out += 0.5
    return out


def _blocks(z, units):
    """The gate column blocks of a (batch, k * units) array, as views."""
    return [z[:, k * units : (k + 1) * units] for k in range(z.shape[1] // units)]


def _time_major(xproj):
    return np.ascontiguousarray(xproj.data.swapaxes(0, 1))


def lstm_sequence(xproj, h0, c0, recurrent_kernel, last_only=False):
    """All hidden and cell states of an LSTM: (batch, time, 2, units), [:, t, 0] the output h
    after step t and [:, t, 1] the cell state c; with `last_only`, only the final ones,
    (batch, 2, units) (no gradient then flows in at the other steps). `xproj` is (batch, time,
    4 units): the inputs already times the kernel plus the bias.

    The gates are kept gate-major, (time, 4, batch, units), so each gate is one contiguous
    block, and the recurrent kernel as (4, units, units): a step's product is a batched matmul
    into that layout. The sigmoid gates' columns of `xproj` and of the recurrent kernel are
    halved (exactly: a power of two), so each step takes one tanh over all gates,
    sig(z) = tanh(z / 2) / 2 + 1/2."""
    xproj, h0, c0, U = (as_tensor(t) for t in (xproj, h0, c0, recurrent_kernel))
    T, B, units = xproj.shape[1], xproj.shape[0], U.shape[0]
    dtype = xproj.data.dtype
    half = dtype.type(0.5)
    scale = np.array([half, half, 1, half], dtype)[:, None, None]  # the candidate: tanh
    gates = np.empty((T, 4, B, units), dtype)  # pre-activations, then activations in place
    np.multiply(xproj.data.reshape(B, T, 4, units).transpose(1, 2, 0, 3), scale, out=gates)
    U4 = U.data.reshape(units, 4, units).swapaxes(0, 1)  # (4, u, u): a gate's columns each
    Us = U4 * scale
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
            i, f, g, o = z
            for sig in (z[:2], o):
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
        # the activations' derivatives for all steps at once: a(1 - a) for the sigmoid gates,
        # 1 - g^2 for the candidate, and o(1 - tanh(c)^2) for the cell state's path to h
        dz = np.subtract(1, gates)
        dz *= gates
        np.square(gates[:, 2], out=dz[:, 2])
        np.subtract(1, dz[:, 2], out=dz[:, 2])
        o_dtanh = np.square(tanh_c)
        np.subtract(1, o_dtanh, out=o_dtanh)
        o_dtanh *= gates[:, 3]
        dh, dc = (grad[k].copy() if last_only else np.zeros((B, units), dtype) for k in (0, 1))
        tmp = np.empty((B, units), dtype)
        da = np.empty((4, B, units), dtype)
        dh4 = np.empty((4, B, units), dtype)
        U4T = U4.swapaxes(1, 2)
        with one_thread():
            for t in reversed(range(T)):
                i, f, g, _ = gates[t]
                if not last_only:
                    dh += grad[t, 0]
                    dc += grad[t, 1]
                np.multiply(dh, o_dtanh[t], out=tmp)
                dc += tmp
                np.multiply(dc, g, out=da[0])
                np.multiply(dc, hc[t, 1], out=da[1])
                np.multiply(dc, i, out=da[2])
                np.multiply(dh, tanh_c[t], out=da[3])
                d = dz[t]
                d *= da  # through the activations: the pre-activation gradient of step t
                dc *= f  # to step t - 1
                np.matmul(d, U4T, out=dh4)
                np.add.reduce(dh4, axis=0, out=dh)
        dx = np.ascontiguousarray(dz.transpose(2, 0, 1, 3)).reshape(B, T, 4 * units)
        dU = None
        if U.requires_grad:  # one GEMM over all steps, rows in dx's (batch, time) order
            h_prev = np.ascontiguousarray(hc[:-1, 0].swapaxes(0, 1)).reshape(B * T, units)
            dU = h_prev.T @ dx.reshape(B * T, 4 * units)
        return dx, dh, dc, dU

    return Tensor(out, (xproj, h0, c0, U), vjp, "lstm_sequence")


def gru_sequence(xproj, h0, recurrent_kernel, recurrent_bias=None, last_only=False):
    """All outputs of a GRU with reset_after=True: (batch, time, units), or with `last_only`
    the final one (batch, units). `xproj` is (batch, time, 3 units), the inputs times the
    kernel plus the input bias; `recurrent_bias` is added to h @ recurrent_kernel inside the
    reset gate's product, as Keras does."""
    xproj, h0, U = (as_tensor(t) for t in (xproj, h0, recurrent_kernel))
    parents = (xproj, h0, U)
    if recurrent_bias is not None:
        recurrent_bias = as_tensor(recurrent_bias)
        parents += (recurrent_bias,)
    T, B, units = xproj.shape[1], xproj.shape[0], U.shape[0]
    Uk = U.data
    gates = _time_major(xproj)  # (T, B, 3u): z, r and the candidate, activated in place
    inner = np.empty_like(gates)  # h @ U (+ recurrent bias): its candidate block is kept
    hs = np.empty((T + 1, B, units), gates.dtype)
    hs[0] = h0.data
    tmp = np.empty((B, units), gates.dtype)
    with one_thread():
        for t in range(T):
            a, r_in = gates[t], inner[t]
            np.matmul(hs[t], Uk, out=r_in)
            if recurrent_bias is not None:
                r_in += recurrent_bias.data
            a[:, : 2 * units] += r_in[:, : 2 * units]
            _sigmoid(a[:, : 2 * units], a[:, : 2 * units])
            z, r, hh = a[:, :units], a[:, units : 2 * units], a[:, 2 * units :]
            np.multiply(r, r_in[:, 2 * units :], out=tmp)
            hh += tmp
            np.tanh(hh, out=hh)
            h = hs[t + 1]  # z * h_prev + (1 - z) * hh = hh + z * (h_prev - hh)
            np.subtract(hs[t], hh, out=h)
            h *= z
            h += hh
    out = hs[-1] if last_only else hs[1:].swapaxes(0, 1)

    def vjp(grad):
        dx = np.empty_like(gates)  # d pre-activations: the input projection's gradient
        d_in = np.empty_like(gates)  # d (h @ U + recurrent bias)
        dh = grad.copy() if last_only else np.zeros((B, units), gates.dtype)
        grad = None if last_only else grad.swapaxes(0, 1)  # (T, B, u)
        t1 = np.empty((B, units), gates.dtype)
        with one_thread():
            for t in reversed(range(T)):
                a, r_in = gates[t], inner[t]
                z, r, hh = a[:, :units], a[:, units : 2 * units], a[:, 2 * units :]
                dxz, dxr, dxh = dx[t][:, :units], dx[t][:, units : 2 * units], dx[t][:, 2 * units :]
                if grad is not None:
                    dh += grad[t]
                np.subtract(hs[t], hh, out=dxz)  # dz = dh * (h_prev - hh), through the sigmoid
                dxz *= dh
                dxz *= z
                np.subtract(1, z, out=t1)
                dxz *= t1
                np.multiply(dh, t1, out=dxh)  # d hh = dh * (1 - z), through the tanh
                np.multiply(hh, hh, out=t1)
                np.subtract(1, t1, out=t1)
                dxh *= t1
                np.multiply(dxh, r_in[:, 2 * units :], out=dxr)  # dr = dxh * h_h, through sigmoid
                dxr *= r
                np.subtract(1, r, out=t1)
                dxr *= t1
                d = d_in[t]
                d[:, : 2 * units] = dx[t][:, : 2 * units]
                np.multiply(dxh, r, out=d[:, 2 * units :])
                dh *= z  # to step t - 1: the direct path plus the recurrent GEMM
                dh += d @ Uk.T
        dU = db = None
        if U.requires_grad:
            dU = hs[:-1].reshape(T * B, units).T @ d_in.reshape(T * B, -1)
        if recurrent_bias is not None and recurrent_bias.requires_grad:
            db = np.ones(T * B, gates.dtype) @ d_in.reshape(T * B, -1)
        return (dx.swapaxes(0, 1), dh, dU, db)[: len(parents)]

    return Tensor(out, parents, vjp, "gru_sequence")
