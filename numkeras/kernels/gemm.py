"""Matrix products spread over numkeras's kernel threads, one BLAS thread each.

The two GEMMs of a Dense layer's backward (the input's and the kernel's gradients) are
independent: run at once on two Python threads with one BLAS thread each they beat OpenBLAS's
two threads taking them one after the other (lead's idle figures: 1142 against 1390 us at
(128, 784) x (784, 512), 768 against 953 at (128, 512, 512), 788 against 930 at (2048, 128,
128)), and on a loaded machine they avoid OpenBLAS's workers spinning on each other (the
MLP's second layer's pair with a load average of 6: median 3.5 against 48 ms). So `matmuls`
runs two or more products above SMALL_PRODUCT_MACS as tasks of `threads.run`, side by side,
cut into pieces along their longer output side where they are many multiply-adds (cutting the
side the packed operand does not repeat on: +2% one-thread CPU for two pieces, where cutting
the other side cost up to +7%). A product alone stays on OpenBLAS's threads: cut in two on
the kernel threads it took 60-100 us longer at the MLP's shapes (the forward (128, 784) x
(784, 512): 782 against 719 us; the kernel's gradient 695 against 612), with the process at
real-time priority, as on an idle machine.

How the products are cut depends on their shapes alone, never on the thread count or the
load, and every piece runs on one BLAS thread: the values are the same on any thread count
(not always a plain `a @ b`'s last bits: OpenBLAS's edge kernels sum some rows of a cut
product in another order).
"""

import math
from functools import partial

import numpy as np

from numkeras.backend import blas_threads
from numkeras.kernels import threads

PIECE_MACS = 2**27  # a call's products are cut into about one task per this many multiply-adds
MIN_PIECE_SIDE = 16  # a piece keeps at least this many rows (or columns) of the output


def _spread(a, b):
    """Whether `a @ b` runs on the kernel threads: a float GEMM of 2-D arrays of one dtype
    above SMALL_PRODUCT_MACS (smaller ones cost more to hand over than they gain)."""
    return (
        a.ndim == 2
        and b.ndim == 2
        and a.dtype == b.dtype
        and a.dtype.char in "fd"
        and a.shape[1] == b.shape[0]
        and a.shape[0] * a.shape[1] * b.shape[1] > blas_threads.SMALL_PRODUCT_MACS
    )


def _pieces(a, b, out, count):
    """Tasks writing `a @ b` into `out` in `count` even pieces along its longer side."""
    m, n = out.shape
    side = m if m >= n else n
    count = max(1, min(count, side // MIN_PIECE_SIDE))
    bounds = [side * i // count for i in range(count + 1)]
    if m >= n:
        return [partial(np.matmul, a[s:e], b, out=out[s:e]) for s, e in zip(bounds, bounds[1:])]
    return [partial(np.matmul, a, b[:, s:e], out=out[:, s:e]) for s, e in zip(bounds, bounds[1:])]


def product_tasks(pairs):
    """(outputs, tasks) for the products `a @ b` of `pairs` (2-D arrays) that run on the kernel
    threads: those above SMALL_PRODUCT_MACS when there are two or more of them (a product
    alone runs faster on OpenBLAS's own threads than cut in pieces). An empty output for each
    (None for the others) and the `threads.run` tasks filling them, about max(2, their
    multiply-adds / PIECE_MACS) in all (an even count) shared between them by size, each on one
    BLAS thread. The cuts depend on the products' shapes alone, so the values do not depend
    on the thread count."""
    sizes = [a.shape[0] * a.shape[1] * b.shape[1] if _spread(a, b) else 0 for a, b in pairs]
    total = sum(sizes)
    outputs, tasks = [None] * len(pairs), []
    if sum(size > 0 for size in sizes) >= 2:
        wanted = max(2, math.ceil(total / PIECE_MACS))
        wanted += wanted % 2
        for i, ((a, b), size) in enumerate(zip(pairs, sizes)):
            if size:
                outputs[i] = np.empty((a.shape[0], b.shape[1]), a.dtype)
                tasks += _pieces(a, b, outputs[i], max(1, round(wanted * size / total)))
    return outputs, tasks


def matmuls(pairs, also=()):
    """`[a @ b for a, b in pairs]` of 2-D arrays: those above SMALL_PRODUCT_MACS in one
    `threads.run` (`product_tasks`) with the tasks `also` after theirs, then the others as
    `blas_threads.matmul` runs them (`also` in order first, when no product is spread)."""
    outputs, tasks = product_tasks(pairs)
    if tasks:
        threads.run(tasks + list(also))
    else:
        for task in also:
            task()
    return [
        blas_threads.matmul(a, b) if out is None else out for (a, b), out in zip(pairs, outputs)
    ]


def matmul(a, b):
    """`a @ b` of 2-D arrays as `matmuls` computes it."""
    return matmuls([(a, b)])[0]
