"""Where a training step of the tutorial CNN goes, and how epoch time scales with the data.

First the median time of one `train_on_batch` step (batch 128, Adam). Then each part of that
step, timed alone on the step's own shapes and weights with the engine's kernels: the GEMMs,
the patch copies (im2col), col2im's adds, the pooling (window maxima and gradient routing),
the other elementwise passes (bias, relu, masks, scatters) and the optimizer update. Timed
alone, a part finds its operands in cache; the rest of the step (dense layer glue, softmax,
dropout, loss, metrics, Python, and those cache misses) is the step minus the parts. The
fixed cost of a step, Python included, is the same step at batch 2. Last, one epoch each on
1/4, 1/2 and all of the tutorial's 54,000 training images.

    python benchmarks/step_profile.py [--repeats 40] [--no-scaling]
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout too
import numkeras  # noqa: E402
from numkeras import layers  # noqa: E402
from numkeras.kernels import conv as kernels  # noqa: E402
from numkeras.kernels import pool as pool_kernels  # noqa: E402
from numkeras.ops.layer_ops import conv_pool  # noqa: E402

MNIST = Path(numkeras.__file__).parent / "datasets" / "data" / "mnist.npz"
BATCH = 128


def median_ms(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def tutorial_model():
    numkeras.utils.set_random_seed(0)
    model = numkeras.Sequential(
        [
            layers.Input((28, 28, 1)),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    return model


def block_parts(x, kernel, bias, input_grad, repeats):
    """ms per category for one fused conv + bias + relu + max-pool block, forward + backward,
    timed on one chunk of images (as the op runs them) and scaled to the batch."""
    KH, KW, C, CO = kernel.shape
    OH, OW = x.shape[1] - KH + 1, x.shape[2] - KW + 1
    PH, PW = OH // 2, OW // 2
    rows = conv_pool._chunks(len(x), 4 * PH * PW * (KH * KW * C + CO) * 4)[0]
    scale, x = len(x) / (rows.stop - rows.start), x[rows]
    k2 = kernel.reshape(-1, CO)
    patches = conv_pool.pooled_patches(x, (KH, KW), (PH, PW), (2, 2), (1, 1), (1, 1))
    cols_out = np.empty(4 * len(x) * PH * PW * KH * KW * C, np.float32)
    cols = conv_pool.patch_matrix(patches, slice(0, len(x)), cols_out)
    z = (cols @ k2).reshape(4, -1, CO)
    y, first = pool_kernels._running_max(list(z))
    g = np.random.default_rng(0).standard_normal(y.shape, dtype=np.float32)
    gp = g * (y > 0)
    gz = np.empty_like(z)
    pool_kernels._route(gp, first, list(gz))
    N = x.shape[0]

    def elementwise():
        out = y + bias
        np.maximum(out, 0, out=out)
        g * (out > 0)

    parts = {
        "im2col": median_ms(
            lambda: conv_pool.patch_matrix(patches, slice(0, len(x)), cols_out), repeats
        ),
        "GEMM": median_ms(
            lambda: (cols @ k2, np.ones(len(gp), gp.dtype) @ gp, cols.T @ gz.reshape(-1, CO)),
            repeats,
        ),
        "pooling": median_ms(
            lambda: (pool_kernels._running_max(list(z)), pool_kernels._route(gp, first, list(gz))),
            repeats,
        ),
        "elementwise": median_ms(elementwise, repeats),
    }
    if input_grad:
        g_conv = np.empty((N, PH * 2, PW * 2, CO), np.float32)

        def scatter():
            for k in range(4):
                a, b = divmod(k, 2)
                g_conv[:, a::2, b::2] = gz[k].reshape(N, PH, PW, CO)

        buffer = np.empty((N * PH * 2 * PW * 2, C), np.float32)
        g2 = g_conv.reshape(-1, CO)
        col2im_gemms = median_ms(
            lambda: [
                np.matmul(g2, kernel[i, j].T, out=buffer) for i in range(KH) for j in range(KW)
            ],
            repeats,
        )
        col2im = median_ms(
            lambda: kernels.col2im(
                np.zeros(x.shape, np.float32), g2, kernel, PH * 2, PW * 2, (1, 1), (1, 1)
            ),
            repeats,
        )
        parts["GEMM"] += col2im_gemms
        parts["col2im adds"] = max(col2im - col2im_gemms, 0.0)
        parts["elementwise"] += median_ms(scatter, repeats)
    return {name: ms * scale for name, ms in parts.items()}


def profile(model, x, y, repeats):
    step = median_ms(lambda: model.train_on_batch(x, y), repeats)
    k1, b1, k2, b2, k3, b3 = model.get_weights()
    h1 = np.asarray(model.layers[1](model.layers[0](x)))
    totals = {}
    for parts in (block_parts(x, k1, b1, False, repeats), block_parts(h1, k2, b2, True, repeats)):
        for name, ms in parts.items():
            totals[name] = totals.get(name, 0.0) + ms
    flat = np.asarray(model.layers[3](model.layers[2](h1))).reshape(BATCH, -1)
    gd = np.ones((BATCH, 10), np.float32)
    totals["GEMM"] += median_ms(lambda: (flat @ k3, flat.T @ gd, gd @ k3.T), repeats)
    variables = model.trainable_weights
    grads = [np.zeros(v.shape, np.float32) for v in variables]
    totals["optimizer"] = median_ms(
        lambda: model.optimizer.apply_gradients(zip(grads, variables)), repeats
    )
    totals["rest (see the module's docstring)"] = max(step - sum(totals.values()), 0.0)
    return step, totals


def scaling(model, x, y):
    rows = []
    for fraction in (0.25, 0.5, 1.0):
        n = int(len(x) * fraction)
        start = time.perf_counter()
        model.fit(x[:n], y[:n], batch_size=BATCH, epochs=1, verbose=0)
        seconds = time.perf_counter() - start
        steps = -(-n // BATCH)
        rows.append((fraction, n, steps, seconds, 1000 * seconds / steps))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--no-scaling", action="store_true")
    args = parser.parse_args()
    with np.load(MNIST) as f:
        x_all = (f["x_train"][:54000].astype("float32") / 255)[..., None]
        y_all = numkeras.utils.to_categorical(f["y_train"][:54000], 10)
    model = tutorial_model()
    x, y = x_all[:BATCH], y_all[:BATCH]
    step, parts = profile(model, x, y, args.repeats)
    print(f"Tutorial CNN training step, batch {BATCH}: {step:.2f} ms (median of {args.repeats})\n")
    print("| part | ms/step | share |\n|---|---|---|")
    for name, ms in sorted(parts.items(), key=lambda item: -item[1]):
        print(f"| {name} | {ms:.2f} | {100 * ms / step:.0f}% |")
    fixed = median_ms(lambda: model.train_on_batch(x[:2], y[:2]), args.repeats)
    print(f"\nFixed cost per step (the same step at batch 2): {fixed:.2f} ms")
    if args.no_scaling:
        return
    print("\n| training images | steps | s/epoch | ms/step |\n|---|---|---|---|")
    for fraction, n, steps, seconds, per_step in scaling(model, x_all, y_all):
        print(f"| {n:,} ({fraction:g}) | {steps} | {seconds:.2f} | {per_step:.1f} |")


if __name__ == "__main__":
    main()
