"""Forward + backward time of the tutorial CNN's ops, numkeras against PyTorch.

Both frameworks run in the same process on the same float32 data (numkeras NHWC through
`numkeras.ops` and `GradientTape`, the way layers call them; PyTorch NCHW through
`torch.nn.functional` with its default thread count). Each line is the median of several
repeats after a warm-up; the ratio is numkeras's time over PyTorch's. Lines for PyTorch are
skipped if it is not installed. Where an input gradient is asked for, numkeras's time includes
the copy `GradientTape.gradient` makes of each gradient it returns (about 0.4 ms for 11 MB);
inside a model only the weights' gradients are returned.

    python benchmarks/ops.py [--repeats 20] [--only conv]

The "conv+relu+pool" lines are the fused block that `Conv2D(activation="relu")` followed by
`MaxPooling2D` runs in a Sequential model (numkeras/ops/layer_ops/fused.py), against PyTorch's three
separate calls.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout too
import numkeras  # noqa: E402
from numkeras import ops  # noqa: E402
from numkeras.ops.layer_ops.fused import conv_relu_pool  # noqa: E402

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # the numkeras column still runs
    torch = None

BATCH = 128


def _cpu_times():
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    return values[3] + values[4], sum(values)  # idle + iowait, total


def wait_idle(timeout=30.0, pause=0.3):
    """Sleep until the other processes leave the CPUs idle for `pause` s; False on timeout.

    Also lets OpenBLAS and OpenMP worker threads, which spin for a while after each call, go
    to sleep, or one framework's spinning threads would steal cores from the other.
    """
    if not os.path.exists("/proc/stat"):
        time.sleep(pause)
        return True
    deadline = time.perf_counter() + timeout
    while True:
        idle0, total0 = _cpu_times()
        time.sleep(pause)
        idle1, total1 = _cpu_times()
        if idle1 - idle0 >= 0.9 * (total1 - total0):
            return True
        if time.perf_counter() > deadline:
            return False


def median_ms(fns, repeats, rounds=4, warmup=3):
    """Median ms of each closure, and whether other load overlapped the timing.

    The closures take turns in `rounds` blocks of repeats, each started on an idle machine,
    so that load from other processes falls on all frameworks alike.
    """
    times = [[] for _ in fns]
    for fn in fns:
        for _ in range(warmup):
            fn()
    quiet = True
    for _ in range(rounds):
        for fn, fn_times in zip(fns, times):
            quiet &= wait_idle()
            for _ in range(-(-repeats // rounds)):
                start = time.perf_counter()
                fn()
                fn_times.append(time.perf_counter() - start)
    return [1000 * statistics.median(t) for t in times], quiet


def _nk_grad(forward, params, watched=(), seed=None):
    """A closure running `forward` under a tape and taking gradients for params + watched."""

    def run():
        with numkeras.GradientTape() as tape:
            for t in watched:
                tape.watch(t)
            y = forward()
        tape.gradient(y, list(params) + list(watched), output_gradients=seed)

    return run


def _torch_grad(forward, sources, seed=None):
    def run():
        y = forward()
        torch.autograd.grad(y, sources, seed)

    return run


def _nchw(x, requires_grad=False):
    t = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    return t.requires_grad_(requires_grad)


def conv_case(rng, shape, filters, input_grad):
    """conv(x, kernel) + bias, as Conv2D calls it; gradients for kernel, bias (and x)."""
    x = rng.standard_normal(shape, dtype=np.float32)
    kernel = rng.standard_normal((3, 3, shape[-1], filters), dtype=np.float32) * 0.1
    bias = rng.standard_normal(filters, dtype=np.float32)
    out = (shape[0], shape[1] - 2, shape[2] - 2, filters)
    g = rng.standard_normal(out, dtype=np.float32)
    xt, kv, bv = numkeras.Tensor(x), numkeras.Variable(kernel), numkeras.Variable(bias)
    nk = _nk_grad(
        lambda: ops.conv(xt, kv, strides=1, padding="valid") + bv,
        [kv, bv],
        [xt] if input_grad else [],
        g,
    )
    if torch is None:
        return nk, None
    tx = _nchw(x, input_grad)
    tk = torch.from_numpy(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1))).requires_grad_()
    tb = torch.from_numpy(bias).requires_grad_()
    tg = _nchw(g)
    sources = [tk, tb] + ([tx] if input_grad else [])
    return nk, _torch_grad(lambda: F.conv2d(tx, tk, tb), sources, tg)


def pool_case(rng, shape):
    """max_pool(relu output, 2): many zero ties, as in the CNN."""
    x = np.maximum(rng.standard_normal(shape, dtype=np.float32), 0)
    out = (shape[0], shape[1] // 2, shape[2] // 2, shape[3])
    g = rng.standard_normal(out, dtype=np.float32)
    xt = numkeras.Tensor(x)
    nk = _nk_grad(lambda: ops.max_pool(xt, 2), [], [xt], g)
    if torch is None:
        return nk, None
    tx = _nchw(x, True)
    return nk, _torch_grad(lambda: F.max_pool2d(tx, 2), [tx], _nchw(g))


def block_case(rng, shape, filters, input_grad):
    """max_pool(relu(conv(x, kernel) + bias), 2), fused as the layers run it."""
    x = rng.standard_normal(shape, dtype=np.float32)
    kernel = rng.standard_normal((3, 3, shape[-1], filters), dtype=np.float32) * 0.1
    bias = rng.standard_normal(filters, dtype=np.float32) * 0.1
    out = (shape[0], (shape[1] - 2) // 2, (shape[2] - 2) // 2, filters)
    g = rng.standard_normal(out, dtype=np.float32)
    xt, kv, bv = numkeras.Tensor(x), numkeras.Variable(kernel), numkeras.Variable(bias)
    nk = _nk_grad(
        lambda: conv_relu_pool(xt, kv, bv, 1, "valid", 1, (2, 2)),
        [kv, bv],
        [xt] if input_grad else [],
        g,
    )
    if torch is None:
        return nk, None
    tx = _nchw(x, input_grad)
    tk = torch.from_numpy(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1))).requires_grad_()
    tb = torch.from_numpy(bias).requires_grad_()
    sources = [tk, tb] + ([tx] if input_grad else [])
    return nk, _torch_grad(lambda: F.max_pool2d(F.relu(F.conv2d(tx, tk, tb)), 2), sources, _nchw(g))


def relu_case(rng, shape):
    x = rng.standard_normal(shape, dtype=np.float32)
    g = rng.standard_normal(shape, dtype=np.float32)
    xt = numkeras.Tensor(x)
    nk = _nk_grad(lambda: ops.relu(xt), [], [xt], g)
    if torch is None:
        return nk, None
    tx = _nchw(x, True)
    return nk, _torch_grad(lambda: F.relu(tx), [tx], _nchw(g))


def dense_case(rng, units=10, features=1600):
    x = rng.standard_normal((BATCH, features), dtype=np.float32)
    kernel = rng.standard_normal((features, units), dtype=np.float32) * 0.02
    bias = np.zeros(units, np.float32)
    g = rng.standard_normal((BATCH, units), dtype=np.float32)
    xt, kv, bv = numkeras.Tensor(x), numkeras.Variable(kernel), numkeras.Variable(bias)
    nk = _nk_grad(lambda: ops.matmul(xt, kv) + bv, [kv, bv], [xt], g)
    if torch is None:
        return nk, None
    tx = torch.from_numpy(x).requires_grad_()
    tk = torch.from_numpy(np.ascontiguousarray(kernel.T)).requires_grad_()
    tb = torch.from_numpy(bias).requires_grad_()
    return nk, _torch_grad(lambda: F.linear(tx, tk, tb), [tk, tb, tx], torch.from_numpy(g))


def cnn_case(rng):
    """One whole training step's forward + backward (no optimizer update), loss included."""
    x = rng.random((BATCH, 28, 28, 1), dtype=np.float32)
    labels = rng.integers(0, 10, BATCH)
    shapes = [(3, 3, 1, 32), (32,), (3, 3, 32, 64), (64,), (1600, 10), (10,)]
    weights = [rng.standard_normal(s, dtype=np.float32) * 0.05 for s in shapes]
    xt = numkeras.Tensor(x)
    nk_w = [numkeras.Variable(w) for w in weights]

    def nk_forward():
        k1, b1, k2, b2, k3, b3 = nk_w
        h = conv_relu_pool(xt, k1, b1, 1, "valid", 1, (2, 2))  # as the layers run it
        h = conv_relu_pool(h, k2, b2, 1, "valid", 1, (2, 2))
        logits = ops.matmul(ops.reshape(h, (BATCH, -1)), k3) + b3
        return ops.mean(ops.sparse_categorical_crossentropy(labels, logits, from_logits=True))

    nk = _nk_grad(nk_forward, nk_w)
    if torch is None:
        return nk, None
    tx, tl = _nchw(x), torch.from_numpy(labels)
    # Same weights; the Dense kernel's rows follow numkeras's NHWC flatten order.
    k3 = weights[4].reshape(5, 5, 64, 10).transpose(2, 0, 1, 3).reshape(1600, 10)
    torch_w = [
        weights[0].transpose(3, 2, 0, 1),
        weights[1],
        weights[2].transpose(3, 2, 0, 1),
        weights[3],
        k3.T,
        weights[5],
    ]
    t_w = [torch.from_numpy(np.ascontiguousarray(w)).requires_grad_() for w in torch_w]

    def torch_forward():
        k1, b1, k2, b2, k3, b3 = t_w
        h = F.max_pool2d(F.relu(F.conv2d(tx, k1, b1)), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, k2, b2)), 2)
        return F.cross_entropy(F.linear(h.flatten(1), k3, b3), tl)

    return nk, _torch_grad(torch_forward, t_w)


def cases(rng):
    n = BATCH
    yield "conv1 28x28x1->26x26x32, kernel grad", conv_case(rng, (n, 28, 28, 1), 32, False)
    yield "conv1 28x28x1->26x26x32, + input grad", conv_case(rng, (n, 28, 28, 1), 32, True)
    yield "conv2 13x13x32->11x11x64, both grads", conv_case(rng, (n, 13, 13, 32), 64, True)
    yield "relu 26x26x32", relu_case(rng, (n, 26, 26, 32))
    yield "relu 11x11x64", relu_case(rng, (n, 11, 11, 64))
    yield "max_pool 2 on 26x26x32", pool_case(rng, (n, 26, 26, 32))
    yield "max_pool 2 on 11x11x64", pool_case(rng, (n, 11, 11, 64))
    yield "conv+relu+pool block 1, kernel grads", block_case(rng, (n, 28, 28, 1), 32, False)
    yield "conv+relu+pool block 2, all grads", block_case(rng, (n, 13, 13, 32), 64, True)
    yield "dense 1600->10", dense_case(rng)
    yield "whole CNN step (fwd+bwd+loss)", cnn_case(rng)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--only", default="", help="run only lines containing this text")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k.startswith(("OPENBLAS", "OMP", "MALLOC"))}
    print(f"numpy {np.__version__}, batch {BATCH}, median of {args.repeats}, env {env}")
    if torch is None:
        print("torch is not installed: PyTorch lines are skipped")
    else:
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"\n{'op (forward + backward)':<40} {'numkeras ms':>12} {'torch ms':>10} {'ratio':>7}")
    rng = np.random.default_rng(0)
    busy = False
    for name, (nk, tr) in cases(rng):
        if args.only not in name:
            continue
        (nk_ms, *torch_ms), quiet = median_ms([nk] if tr is None else [nk, tr], args.repeats)
        busy |= not quiet
        mark = "" if quiet else " *"
        if tr is None:
            print(f"{name:<40} {nk_ms:>12.2f} {'-':>10} {'-':>7}{mark}")
        else:
            ratio = nk_ms / torch_ms[0]
            print(f"{name:<40} {nk_ms:>12.2f} {torch_ms[0]:>10.2f} {ratio:>7.2f}{mark}")
    if busy:
        print("* other processes kept the CPUs busy while this line was timed")


if __name__ == "__main__":
    main()
