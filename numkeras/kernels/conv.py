"""Pure NumPy forward/backward pairs for convolution (NHWC, no Tensors).

Convolution is one GEMM over an im2col matrix, copied once from a strided view of every
kernel offset (no loop over pixels or images); its gradients are GEMMs too, with col2im
adding each kernel offset's share back by strided slices.
"""

import numpy as np
from numpy.lib.stride_tricks import as_strided

# Below this many channels the patch matrix is copied K-major: each copied run is then a row
# of output pixels rather than C values (C=1: 0.10 vs 0.16 ms; C=32: 3.6 vs 0.5 ms, measured).
FEW_CHANNELS = 4


def output_size(n, k, stride, padding, dilation=1):
    """Output length and (before, after) padding along one axis, by TensorFlow's rules."""
    span = (k - 1) * dilation + 1
    if padding == "same":
        out = -(-n // stride)
        total = max((out - 1) * stride + span - n, 0)
        return out, (total // 2, total - total // 2)
    return (n - span) // stride + 1, (0, 0)


def _window(i, out, stride):
    """The slice that picks, for every output position, the input at kernel offset `i`."""
    return slice(i, i + stride * (out - 1) + 1, stride)


def _geometry(x_shape, k_shape, strides, padding, dilation):
    N, H, W, C = x_shape
    KH, KW = k_shape
    OH, pad_h = output_size(H, KH, strides[0], padding, dilation[0])
    OW, pad_w = output_size(W, KW, strides[1], padding, dilation[1])
    return OH, OW, pad_h, pad_w


def _pad(x, pad_h, pad_w, value=0.0):
    if pad_h == (0, 0) and pad_w == (0, 0):
        return x
    return np.pad(x, ((0, 0), pad_h, pad_w, (0, 0)), constant_values=value)


def _unpad(xp, pad_h, pad_w):
    return xp[:, pad_h[0] : xp.shape[1] - pad_h[1], pad_w[0] : xp.shape[2] - pad_w[1]]


def im2col(xp, KH, KW, OH, OW, strides, dilation):
    """The (N*OH*OW, KH*KW*C) patch matrix of the padded input `xp`, in one strided copy."""
    N, _, _, C = xp.shape
    sN, sH, sW, sC = xp.strides
    patches = as_strided(
        xp,
        (N, OH, OW, KH, KW, C),
        (sN, sH * strides[0], sW * strides[1], sH * dilation[0], sW * dilation[1], sC),
        writeable=False,
    )
    if C < FEW_CHANNELS:  # a Fortran-ordered matrix: BLAS takes either
        return np.ascontiguousarray(patches.transpose(3, 4, 5, 0, 1, 2)).reshape(-1, N * OH * OW).T
    return np.ascontiguousarray(patches).reshape(N * OH * OW, -1)


def col2im(gxp, g2, kernel, OH, OW, strides, dilation):
    """Adjoint of `im2col`: add the patch gradients g2 @ kernel.T into the padded `gxp`.

    With many channels each kernel offset gets its own (M, CO) @ (CO, C) GEMM into one reused
    buffer, so every add into `gxp` runs over contiguous (OW, C) rows rather than C values
    (conv2 of the tutorial CNN: 1.2 vs 2.6 ms of adds, with the same GEMM time).
    """
    KH, KW, C, CO = kernel.shape
    N = gxp.shape[0]
    if C < FEW_CHANNELS:
        parts = (kernel.reshape(-1, CO) @ g2.T).reshape(KH, KW, C, N, OH, OW)
        parts = parts.transpose(0, 1, 3, 4, 5, 2)
    else:
        buffer = np.empty((N * OH * OW, C), dtype=g2.dtype)
    for i in range(KH):
        for j in range(KW):
            if C < FEW_CHANNELS:
                part = parts[i, j]
            else:
                part = np.matmul(g2, kernel[i, j].T, out=buffer).reshape(N, OH, OW, C)
            rows = _window(i * dilation[0], OH, strides[0])
            columns = _window(j * dilation[1], OW, strides[1])
            gxp[:, rows, columns] += part
    return gxp


def _group(grp, size):
    return slice(grp * size, (grp + 1) * size)


def conv2d_forward(x, kernel, strides, padding, dilation, groups=1):
    """y[n, oh, ow, o] = sum over (i, j, c) of patch * kernel[i, j, c, o]: a GEMM per group."""
    KH, KW, Cg, CO = kernel.shape
    OH, OW, pad_h, pad_w = _geometry(x.shape, (KH, KW), strides, padding, dilation)
    xp = _pad(x, pad_h, pad_w)
    COg = CO // groups
    k2 = kernel.reshape(-1, CO)
    cols = [
        im2col(xp[..., _group(grp, Cg)], KH, KW, OH, OW, strides, dilation) for grp in range(groups)
    ]
    if groups == 1:
        y = cols[0] @ k2
    else:
        y = np.concatenate([c @ k2[:, _group(grp, COg)] for grp, c in enumerate(cols)], axis=1)
    cache = (cols, x.shape, kernel, (OH, OW), strides, (pad_h, pad_w), dilation)
    return y.reshape(x.shape[0], OH, OW, CO), cache


def conv2d_backward(g, cache, need_x=True, need_kernel=True):
    """(gx, gkernel) for `conv2d_forward`; each side is skipped (None) when not needed."""
    cols, x_shape, kernel, (OH, OW), strides, (pad_h, pad_w), dilation = cache
    KH, KW, Cg, CO = kernel.shape
    groups = len(cols)
    COg = CO // groups
    g2 = g.reshape(-1, CO)
    gx = gkernel = None
    if need_kernel:
        parts = [c.T @ g2[:, _group(grp, COg)] for grp, c in enumerate(cols)]
        gkernel = parts[0] if groups == 1 else np.concatenate(parts, axis=1)
        gkernel = gkernel.reshape(kernel.shape)
    if need_x:
        N, H, W, C = x_shape
        gxp = np.zeros((N, H + sum(pad_h), W + sum(pad_w), C), dtype=g2.dtype)
        for grp in range(groups):
            col2im(
                gxp[..., _group(grp, Cg)],
                g2[:, _group(grp, COg)],
                kernel[..., _group(grp, COg)],
                OH,
                OW,
                strides,
                dilation,
            )
        gx = _unpad(gxp, pad_h, pad_w)
    return gx, gkernel
