"""Matrix products spread over numkeras's kernel threads, one BLAS thread each.

OpenBLAS's own two threads gain little on the medium GEMMs of Dense layers (3M-100M
multiply-adds), and they spin on each other when other processes take a core (the MLP's first
layer's forward and kernel-gradient products with a load average of 6: median 71 ms on
OpenBLAS's two threads, 11 ms run this way). On 2 idle cores a Dense backward's two products,
run at once on two Python threads with one BLAS thread each, took 1142 us at (128, 784) x
(784, 512) against 1390 us on OpenBLAS's two threads, and one (2048, 128) x (128, 128) product
cut in two halves 792 us against 930. So `matmuls` runs the products above SMALL_PRODUCT_MACS
as tasks of `threads.run`: independent products side by side, and a product that would leave a
thread idle cut into pieces along its longer output side (cutting the side the packed operand
does not repeat on: +2% one-thread CPU for two pieces, where cutting the other side cost up to
+7%).

How a product is cut depends on the shapes of the call's products alone, never on the thread
count or the load, and every piece runs on one BLAS thread: the values are the same on any
thread count (not always a plain `a @ b`'s last bits: OpenBLAS's edge kernels sum some rows of a
cut product in another order).
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


def _pieces(a, b, out, count, finish):
    """Tasks writing `a @ b` into `out` in `count` even pieces along its longer side, each then
    calling `finish(rows, cols)` (slices of `out`) when given."""
    m, n = out.shape
    side = m if m >= n else n
    count = max(1, min(count, side // MIN_PIECE_SIDE))
    bounds = [side * i // count for i in range(count + 1)]
    whole = slice(None)
    cuts = [
        (slice(s, e), whole) if m >= n else (whole, slice(s, e)) for s, e in zip(bounds, bounds[1:])
    ]

    def piece(rows, cols):
        np.matmul(a[rows], b[:, cols], out=out[rows, cols])
        if finish is not None:
            finish(rows, cols)

    return [partial(piece, *cut) for cut in cuts]


def product_tasks(pairs, finish=None):
    """(outputs, tasks) for the products `a @ b` of `pairs` (2-D arrays) that run on the kernel
    threads, those above SMALL_PRODUCT_MACS: an empty output for each (None for the others) and
    the `threads.run` tasks filling them, about max(2, their multiply-adds / PIECE_MACS) in all
    (an even count) shared between them by size; a task runs on one BLAS thread and then calls
    `finish(i, rows, cols)` for the slices of the i-th product it wrote, when given. The cuts
    depend on the products' shapes alone, so the values do not depend on the thread count."""
    sizes = [a.shape[0] * a.shape[1] * b.shape[1] if _spread(a, b) else 0 for a, b in pairs]
    total = sum(sizes)
    outputs, tasks = [None] * len(pairs), []
    if total:
        wanted = max(2, math.ceil(total / PIECE_MACS))
        wanted += wanted % 2
        for i, ((a, b), size) in enumerate(zip(pairs, sizes)):
            if size:
                outputs[i] = np.empty((a.shape[0], b.shape[1]), a.dtype)
                then = None if finish is None else partial(finish, i)
                tasks += _pieces(a, b, outputs[i], max(1, round(wanted * size / total)), then)
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
