"""LSTM and GRU over a whole sequence as one op each: forward in time, backward through time.

Each op takes the layer's inputs and kernel and projects the time steps itself. Its arrays are
gate-major and time-major, (gates, time, batch, units): a gate's rows over a run of steps are
one contiguous (steps * batch, units) matrix, so the projection and the gradients of the
kernel and the recurrent kernel are GEMMs per gate with no copy (only the narrow inputs and
their gradient change order), and a step's gate is one contiguous (batch, units)
block for the elementwise work. Each step's recurrent product is one batched (batch, units) @
(gates, units, units) matmul. The backward pass walks time in reverse. The per-step products
are small, so the time loops run on one BLAS thread (`one_thread`), and the work that is not
part of the recurrence runs a piece of steps at a time beside the loop, on the second core
(`_Beside`): the loop alone left it idle. Beside the forward loop: the projection, and (when a
gradient will be taken) the activations' derivatives that the backward pass multiplies dh and
dc by; beside the backward loop: the gradients that take every step's. Gates as Keras orders
them (LSTM: i, f, c, o; GRU: z, r, h) with sigmoid gates and tanh candidates; the layers fall
back to a step at a time for other activations.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import numpy as np

from numkeras.backend.blas_threads import one_thread
from numkeras.engine import autodiff
from numkeras.engine.tensor import Tensor, as_tensor
from numkeras.kernels import threads

# The LSTM forward pass's gate order, as indices of Keras's (i, f, c, o): o, i, f, c.
FORWARD_ORDER = [3, 0, 1, 2]
PIECE_ROWS = 640  # the work beside the time loops: about this many (time * batch) rows a task


def _by_gate(w, gates, units):
    """A weight's (..., gates * units) columns as (gates, ..., units): one block per gate."""
    return np.moveaxis(w.reshape(w.shape[:-1] + (gates, units)), -2, 0)


class _Beside:
    """Independent tasks run on one other thread while the caller's time loop runs on its own
    core, where numkeras runs two or more kernel threads (threads.workers()); else each runs at
    once, in the caller. `wait` runs the tasks not yet started in the caller, so neither core
    idles while there is work. A task's values depend on the task alone, so they do not depend
    on where it ran. The BLAS runs one thread meanwhile (the caller's `one_thread`)."""

    _executor = None

    def __init__(self):
        self.inline = threads.workers() < 2 or threads.in_task()
        self.tasks, self.beside, self.futures = [], [], []  # beside: None, untaken; or who
        self.lock = threading.Lock()

    def _run(self, index, beside):
        with self.lock:
            if self.beside[index] is not None:
                return
            self.beside[index] = beside
        self.tasks[index]()

    def submit(self, task):
        self.tasks.append(task)
        self.beside.append(None)
        index = len(self.tasks) - 1
        if self.inline:
            self._run(index, False)
            return
        if _Beside._executor is None:
            _Beside._executor = ThreadPoolExecutor(1, thread_name_prefix="numkeras-rnn")
        self.futures.append(_Beside._executor.submit(self._run, index, True))

    def wait(self, index=None):
        """Wait for task `index` (all tasks when None), running it here if not yet started;
        re-raises a task's error. Only tasks the other thread took are waited for, so a
        missing thread (after a fork) cannot hang the caller."""
        indices = range(len(self.tasks)) if index is None else [index]
        for i in indices:
            self._run(i, False)
        for i in indices:
            if self.beside[i]:
                self.futures[i].result()


def _pieces(steps, batch):
    """(start, stop) runs of time steps of about PIECE_ROWS (time * batch) rows: the tasks
    beside the time loop, big enough for efficient GEMMs, small enough to start early."""
    n = max(1, PIECE_ROWS // batch)
    return [(t, min(t + n, steps)) for t in range(0, steps, n)]


def _forward_pass(pieces, project, steps, derivatives):
    """The forward pass's schedule: each piece's input projection `project(t0, t1)` beside the
    time loop, `steps(t0, t1)` once its projection is done, then (unless `derivatives` is None)
    the piece's derivatives for the backward pass beside the loop's next pieces."""
    beside = _Beside()  # before one_thread: it asks how many threads numkeras runs
    with one_thread(), np.errstate(over="ignore"):  # exp(-z) = inf: the sigmoid is 0
        for piece in pieces:
            beside.submit(partial(project, *piece))
        for p, (t0, t1) in enumerate(pieces):
            beside.wait(p)
            steps(t0, t1)
            if derivatives is not None:
                beside.submit(partial(derivatives, t0, t1))
        beside.wait()


def _backward_pass(pieces, steps, share):
    """The backward pass's schedule: `steps(t0, t1)` back through each piece of steps, last
    piece first, then the piece's share of the weights' and inputs' gradients `share(t0, t1)`
    beside the loop's earlier pieces."""
    beside = _Beside()
    with one_thread():
        for p0, p1 in reversed(pieces):
            steps(p0, p1)
            beside.submit(partial(share, p0, p1))
        beside.wait()


def _projector(x, kernel, order, scale, bias):
    """The projection of steps t0..t1 as a task: their (steps * batch, features) input rows
    times each gate's kernel columns (`order`, times `scale`) plus `bias` (gates, units), into
    `gates` (gates, time, batch, units), the inputs copied in time-major order into `xt` (time,
    batch, features) for the kernel's gradient. Returns (gates, xt, task)."""
    B, T, F = x.shape
    units = kernel.shape[1] // len(order)
    blocks = _by_gate(kernel, len(order), units)[order] * scale
    gates = np.empty((len(order), T, B, units), np.result_type(x, kernel))
    xt = np.empty((T, B, F), x.dtype)

    def task(t0, t1):
        np.copyto(xt[t0:t1], x[:, t0:t1].swapaxes(0, 1))
        block = gates[:, t0:t1]
        np.matmul(xt[t0:t1].reshape(-1, F), blocks, out=block.reshape(len(order), -1, units))
        if bias is not None:
            block += bias[:, None, None]

    return gates, xt, task


class _Gradients:
    """The gradients that take every step's pre-activation gradients, a piece of steps at a
    time (`add`, a task beside the backward loop; the pieces' shares summed from the last to
    the first): the inputs', the kernel's and the recurrent kernel's (one GEMM per gate and
    piece) and the biases' (`biases`: which of the input and recurrent sums are wanted)."""

    def __init__(self, x, kernel, recurrent_kernel, xt, hs, biases):
        self.x, self.kernel, self.recurrent_kernel = x, kernel, recurrent_kernel
        self.xt, self.hs = xt, hs  # the inputs (time-major) and h before each step
        self.biases = biases
        self.sums = {}  # name: {first step of a piece: that piece's share}
        self.lock = threading.Lock()
        self.dx = (
            np.empty(x.shape, np.result_type(x.data, kernel.data)) if x.requires_grad else None
        )

    def _add(self, name, t0, value):
        with self.lock:
            self.sums.setdefault(name, {})[t0] = value

    def add(self, t0, t1, rows_in, rows_rec):
        """Steps t0..t1's share; rows_in and rows_rec: each gate's (steps * batch, units)
        gradient rows of the projection and of h_prev @ recurrent_kernel."""
        B, _, F = self.x.shape
        units = rows_rec[0].shape[-1]
        gates = len(rows_rec)
        if self.dx is not None:
            k = self.kernel.data
            flat = rows_in[0] @ k[:, :units].T
            for g in range(1, gates):
                flat += rows_in[g] @ k[:, g * units : (g + 1) * units].T
            self.dx[:, t0:t1] = flat.reshape(t1 - t0, B, F).swapaxes(0, 1)
        for name, w, left, rows in (
            ("kernel", self.kernel, self.xt, rows_in),
            ("recurrent", self.recurrent_kernel, self.hs, rows_rec),
        ):
            if w.requires_grad:
                lt = left[t0:t1].reshape(-1, left.shape[-1]).T
                part = np.empty((gates,) + lt.shape[:1] + (units,), rows_rec[0].dtype)
                for g in range(gates):
                    np.matmul(lt, rows[g], out=part[g])
                self._add(name, t0, part)
        totals = {}  # by memory: the GRU's z and r rows are both sides' (summed once)
        ones = np.ones(len(rows_rec[0]), rows_rec[0].dtype)
        for name, rows in (("input_bias", rows_in), ("recurrent_bias", rows_rec)):
            if self.biases.get(name):
                for r in rows:
                    if r.ctypes.data not in totals:  # a GEMV: far fewer calls than a reduce
                        totals[r.ctypes.data] = ones @ r
                self._add(name, t0, np.stack([totals[r.ctypes.data] for r in rows]))

    def result(self, name):
        """A weight's gradient, its gates' columns side by side (None where not wanted)."""
        if name not in self.sums:
            return None
        shares = [share for _, share in sorted(self.sums[name].items(), reverse=True)]
        part = shares[0]
        for share in shares[1:]:
            part += share
        return np.moveaxis(part, 0, -2).reshape(part.shape[1:-1] + (-1,))


def lstm_sequence(inputs, kernel, h0, c0, recurrent_kernel, bias=None, last_only=False):
    """All hidden and cell states of an LSTM over `inputs` (batch, time, features): (batch,
    time, 2, units), [:, t, 0] the output h after step t and [:, t, 1] the cell state c; with
    `last_only`, only the final ones, (batch, 2, units) (no gradient then flows in at the other
    steps). `kernel` (features, 4 units), `recurrent_kernel` (units, 4 units) and `bias` (4
    units,) are the layer's weights in Keras's gate order.

    The sigmoid gates' columns of the weights are negated (exactly), so each step takes the
    three sigmoids as 1 / (1 + exp(-z)) in three calls over one block: an exp costs less than
    a tanh. The forward pass holds the gates as o, i, f, c (`FORWARD_ORDER`), the three
    sigmoids side by side; the backward pass works in Keras's order."""
    x, K, h0, c0, U = (as_tensor(t) for t in (inputs, kernel, h0, c0, recurrent_kernel))
    parents = (x, K, h0, c0, U) + (() if bias is None else (as_tensor(bias),))
    B, T, _ = x.shape
    units = U.shape[0]
    dtype = np.result_type(x.data, K.data)
    scale = np.array([-1, -1, -1, 1], dtype)[:, None, None]  # the candidate: tanh
    b = None if bias is None else _by_gate(parents[5].data, 4, units)[FORWARD_ORDER] * scale[:, 0]
    gates, xt, project = _projector(x.data, K.data, FORWARD_ORDER, scale, b)  # sigmoids: in place
    Us = _by_gate(U.data, 4, units)[FORWARD_ORDER] * scale
    hs = np.empty((T + 1, B, units), dtype)  # [t]: h before step t, so [:-1] is h_prev's rows
    # [t]: step t's activated candidate g beside c before step t (one product makes i g, f c)
    gc = np.empty((T + 1, 2, B, units), dtype)
    cand, cs = gc[:T, 0], gc[:, 1]
    hs[0], cs[0] = h0.data, c0.data
    tanh_c = np.empty((T, B, units), dtype)
    rec = np.empty((4, B, units), dtype)
    prod = np.empty((2, B, units), dtype)
    ig, fc = prod
    pieces = _pieces(T, B)
    # each step's views, made in bulk (fewer calls in the loop)
    zs, h_list, gc_list, c_list, tc_list = (
        list(a) for a in (gates.swapaxes(0, 1), hs, gc, cs, tanh_c)
    )
    # for the backward pass (when it will run): each step's activations' derivatives, in
    # Keras's gate order (i, f, c, o), times what each gate multiplies (i: the candidate g,
    # f: the previous c, c: i, o: tanh(c)), and o (1 - tanh(c)^2), the cell state's path to h
    for_grad = autodiff.is_recording() and any(t.requires_grad for t in parents)
    da = np.empty((4, T, B, units), dtype) if for_grad else None
    o_dtanh = np.empty((T, B, units), dtype) if for_grad else None

    def derivatives(t0, t1):
        o, i, f = gates[:3, t0:t1]
        g = cand[t0:t1]
        dk = da[:, t0:t1]
        np.subtract(1, gates[1:3, t0:t1], out=dk[:2])  # i, f: a (1 - a)
        dk[:2] *= gates[1:3, t0:t1]
        np.subtract(1, o, out=dk[3])
        dk[3] *= o
        np.square(g, out=dk[2])  # the candidate: 1 - g^2
        np.subtract(1, dk[2], out=dk[2])
        od = o_dtanh[t0:t1]
        np.square(tanh_c[t0:t1], out=od)
        np.subtract(1, od, out=od)
        od *= o
        for k, partner in enumerate((g, cs[t0:t1], i, tanh_c[t0:t1])):
            dk[k] *= partner

    def steps(t0, t1):
        for t in range(t0, t1):
            z = zs[t]
            np.matmul(h_list[t], Us, out=rec)
            z += rec
            sig = z[:3]
            np.exp(sig, out=sig)
            sig += 1
            np.reciprocal(sig, out=sig)
            pair = gc_list[t]
            np.tanh(z[3], out=pair[0])
            np.multiply(z[1:3], pair, out=prod)  # i g, f c
            np.add(ig, fc, out=c_list[t + 1])
            tc = tc_list[t]
            np.tanh(c_list[t + 1], out=tc)
            np.multiply(z[0], tc, out=h_list[t + 1])

    _forward_pass(pieces, project, steps, derivatives if for_grad else None)
    if last_only:
        out = np.stack((hs[-1], cs[-1]), axis=1)
    else:
        out = np.stack((hs[1:], cs[1:]), axis=2).swapaxes(0, 1)

    def vjp(grad):
        final = grad if last_only else None
        grad = None if last_only else grad.swapaxes(0, 1)  # (T, B, 2, u)
        # d: each step's pre-activation gradient in Keras's gate order (i, f, c, o), the
        # forward pass's derivatives `da` times dc (i, f, c) or dh (o). A piece of steps done,
        # its share of the weights' and inputs' gradients runs beside the loop.
        d = np.empty((4, T, B, units), dtype)
        zeros = np.zeros((B, units), dtype)
        dh, dc = (zeros.copy() if final is None else final[:, k].copy() for k in (0, 1))
        tmp = np.empty((B, units), dtype)
        dh4 = np.empty((4, B, units), dtype)
        UT = _by_gate(U.data, 4, units).swapaxes(1, 2)
        f = gates[2]
        want_bias = bias is not None and parents[5].requires_grad
        sums = _Gradients(x, K, U, xt, hs, {"input_bias": want_bias})

        def steps(p0, p1):
            nonlocal dh, dc  # updated in place (the augmented assignments rebind the names)
            for t in reversed(range(p0, p1)):
                if grad is not None:
                    dh += grad[t, :, 0]
                    dc += grad[t, :, 1]
                np.multiply(dh, o_dtanh[t], out=tmp)
                dc += tmp
                step = d[:, t]
                np.multiply(da[:3, t], dc, out=step[:3])
                np.multiply(da[3, t], dh, out=step[3])
                dc *= f[t]  # to step t - 1, through the forget gate
                np.matmul(step, UT, out=dh4)
                np.add.reduce(dh4, axis=0, out=dh)

        def share(p0, p1):
            rows = d[:, p0:p1].reshape(4, -1, units)
            sums.add(p0, p1, rows, rows)

        _backward_pass(pieces, steps, share)
        db = sums.result("input_bias")
        return (sums.dx, sums.result("kernel"), dh, dc, sums.result("recurrent"), db)[
            : len(parents)
        ]

    return Tensor(out, parents, vjp, "lstm_sequence")


def gru_sequence(
    inputs, kernel, h0, recurrent_kernel, recurrent_bias=None, last_only=False, input_bias=None
):
    """All outputs of a GRU with reset_after=True over `inputs` (batch, time, features):
    (batch, time, units), or with `last_only` the final one (batch, units). `kernel` (features,
    3 units), `recurrent_kernel` (units, 3 units) and the biases (3 units,) are the layer's
    weights; `input_bias` is added to the inputs' projection and `recurrent_bias` to h @
    recurrent_kernel inside the reset gate's product, as Keras does.

    Laid out like `lstm_sequence`, the update and reset gates' columns negated for sig =
    1 / (1 + exp(-z))."""
    x, K, h0, U = (as_tensor(t) for t in (inputs, kernel, h0, recurrent_kernel))
    recurrent_bias, input_bias = (
        None if b is None else as_tensor(b) for b in (recurrent_bias, input_bias)
    )
    parents = (x, K, h0, U) + tuple(b for b in (recurrent_bias, input_bias) if b is not None)
    B, T, _ = x.shape
    units = U.shape[0]
    dtype = np.result_type(x.data, K.data)
    scale = np.array([-1, -1, 1], dtype)[:, None, None]  # the candidate: tanh
    b_in, b_rec = (
        None if b is None else _by_gate(b.data, 3, units) * scale[:, 0]
        for b in (input_bias, recurrent_bias)
    )
    b_h = None  # the recurrent bias's candidate block, inside the reset gate's product
    if b_rec is not None:  # its z and r blocks join the projection's bias
        b_h, b_rec = b_rec[2], b_rec * np.array([1, 1, 0], dtype)[:, None]
        b_in = b_rec if b_in is None else b_in + b_rec
    gates, xt, project = _projector(x.data, K.data, [0, 1, 2], scale, b_in)  # then activated
    Us = _by_gate(U.data, 3, units) * scale
    inner = np.empty_like(gates)  # h @ U (+ b_h): its candidate block is kept
    hs = np.empty((T + 1, B, units), dtype)  # [t]: h before step t, so [:-1] is h_prev's rows
    hs[0] = h0.data
    tmp = np.empty((B, units), dtype)
    pieces = _pieces(T, B)
    # each step's views, made in bulk (fewer calls in the loop)
    a_list, inner_list, h_list = (list(v) for v in (gates.swapaxes(0, 1), inner.swapaxes(0, 1), hs))
    # for the backward pass (when it will run), what does not depend on dh: p = (1 - z)(1 -
    # hh^2), the candidate's derivative, and q = [(h_prev - hh) z (1 - z), p h_h r (1 - r)],
    # z's and r's
    for_grad = autodiff.is_recording() and any(t.requires_grad for t in parents)
    p_all = np.empty((T, B, units), dtype) if for_grad else None
    q_all = np.empty((2, T, B, units), dtype) if for_grad else None

    def derivatives(t0, t1):
        z, r, hh = gates[:, t0:t1]
        pm, qz, qr = p_all[t0:t1], q_all[0, t0:t1], q_all[1, t0:t1]
        w = np.empty_like(pm)
        np.subtract(1, z, out=pm)
        np.square(hh, out=w)
        np.subtract(1, w, out=w)
        pm *= w
        np.subtract(hs[t0:t1], hh, out=qz)
        qz *= z
        np.subtract(1, z, out=w)
        qz *= w
        np.subtract(1, r, out=qr)
        qr *= r
        qr *= inner[2, t0:t1]
        qr *= pm

    def steps(t0, t1):
        for t in range(t0, t1):
            a, r_in = a_list[t], inner_list[t]
            np.matmul(h_list[t], Us, out=r_in)
            if b_h is not None:
                r_in[2] += b_h
            zr = a[:2]
            zr += r_in[:2]
            np.exp(zr, out=zr)
            zr += 1
            np.reciprocal(zr, out=zr)
            z, r, hh = a
            np.multiply(r, r_in[2], out=tmp)
            hh += tmp
            np.tanh(hh, out=hh)
            h = h_list[t + 1]  # z * h_prev + (1 - z) * hh = hh + z * (h_prev - hh)
            np.subtract(h_list[t], hh, out=h)
            h *= z
            h += hh

    _forward_pass(pieces, project, steps, derivatives if for_grad else None)
    out = hs[-1] if last_only else hs[1:].swapaxes(0, 1)

    def vjp(grad):
        # d: the gradient of h @ U + recurrent bias per gate, dh times the forward pass's q and
        # p; its z and r blocks are also the projection's, whose candidate block is dxh. A
        # piece of steps done, its share of the weights' and inputs' gradients runs beside
        # the loop.
        d = np.empty((3, T, B, units), dtype)
        dxh = np.empty((T, B, units), dtype)
        dh = grad.copy() if last_only else np.zeros((B, units), dtype)
        grad = None if last_only else grad.swapaxes(0, 1)  # (T, B, u)
        tmp = np.empty((B, units), dtype)
        dh3 = np.empty((3, B, units), dtype)
        UT = _by_gate(U.data, 3, units).swapaxes(1, 2)
        z, r = gates[:2]
        wanted = {
            "recurrent_bias": recurrent_bias is not None and recurrent_bias.requires_grad,
            "input_bias": input_bias is not None and input_bias.requires_grad,
        }
        sums = _Gradients(x, K, U, xt, hs, wanted)

        def steps(p0, p1):
            nonlocal dh  # updated in place (the augmented assignments rebind the name)
            for t in reversed(range(p0, p1)):
                if grad is not None:
                    dh += grad[t]
                np.multiply(dh, q_all[:, t], out=d[:2, t])
                np.multiply(dh, p_all[t], out=dxh[t])
                np.multiply(dxh[t], r[t], out=d[2, t])
                dh *= z[t]  # to step t - 1: the direct path plus the recurrent product
                np.matmul(d[:, t], UT, out=dh3)
                dh += np.add.reduce(dh3, axis=0, out=tmp)

        def share(p0, p1):
            rows = d[:, p0:p1].reshape(3, -1, units)
            sums.add(p0, p1, (rows[0], rows[1], dxh[p0:p1].reshape(-1, units)), rows)

        _backward_pass(pieces, steps, share)
        grads = (sums.dx, sums.result("kernel"), dh, sums.result("recurrent"))
        for name, b in (("recurrent_bias", recurrent_bias), ("input_bias", input_bias)):
            if b is not None:
                grads += (sums.result(name),)
        return grads

    return Tensor(out, parents, vjp, "gru_sequence")
