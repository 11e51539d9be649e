"""Fourier transforms on (real, imaginary) pairs, as Keras passes complex values, and the
framing ops built on them: extract_sequences, stft, istft. Each transform's VJP is the adjoint
transform, so gradients flow to both parts."""

import numpy as np

from numkeras.engine import math_ops as m
from numkeras.engine.tensor import Tensor, as_tensor
from numkeras.ops.elementwise import _floating
from numkeras.ops.rearranging import moved


def _pair(name, x):
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError(
            f"Op `{name}`: expected a tuple of (real, imag) tensors, got {type(x).__name__}."
        )
    real, imag = _floating(x[0]), _floating(x[1])
    if real.shape != imag.shape:
        raise ValueError(
            f"Op `{name}`: real and imaginary parts differ in shape: {real.shape} and {imag.shape}."
        )
    return real, imag


def _complex_op(name, x, forward, adjoint):
    """`forward(real + 1j imag)` split into parts. For a linear map F, the loss gradient of
    output part with upstream g is F^H applied to g (real part) or 1j g (imaginary part); the
    input parts get its real and imaginary parts."""
    real, imag = _pair(name, x)
    z = forward(real.data + 1j * imag.data)
    dtype = real.data.dtype

    def vjp_of(unit):
        def vjp(g):
            w = adjoint(unit * g)
            return np.real(w).astype(dtype), np.imag(w).astype(dtype)

        return vjp

    return (
        Tensor(np.real(z).astype(dtype), (real, imag), vjp_of(1), name),
        Tensor(np.imag(z).astype(dtype), (real, imag), vjp_of(1j), name),
    )


def fft(x):
    """The 1-D FFT along the last axis of a (real, imag) pair."""
    return _complex_op("fft", x, lambda z: np.fft.fft(z), lambda g: np.fft.ifft(g) * g.shape[-1])


def fft2(x):
    """The 2-D FFT over the last two axes of a (real, imag) pair."""
    return _complex_op(
        "fft2", x, lambda z: np.fft.fft2(z), lambda g: np.fft.ifft2(g) * g.shape[-1] * g.shape[-2]
    )


def ifft2(x):
    """The inverse 2-D FFT over the last two axes of a (real, imag) pair."""
    return _complex_op(
        "ifft2",
        x,
        lambda z: np.fft.ifft2(z),
        lambda g: np.fft.fft2(g) / (g.shape[-1] * g.shape[-2]),
    )


def rfft(x, fft_length=None):
    """The FFT of a real signal along its last axis: (real, imag) of fft_length // 2 + 1 bins."""
    x = _floating(x)
    n = x.shape[-1] if fft_length is None else int(fft_length)
    z = np.fft.rfft(x.data, n=n)
    dtype = x.data.dtype
    length = x.shape[-1]

    def adjoint(g):
        full = np.zeros(g.shape[:-1] + (n,), np.complex128)
        full[..., : g.shape[-1]] = g
        back = np.real(np.fft.ifft(full) * n)
        if length <= n:
            return back[..., :length]
        return np.concatenate([back, np.zeros(back.shape[:-1] + (length - n,))], -1)

    re = Tensor(np.real(z).astype(dtype), (x,), lambda g: (adjoint(g).astype(dtype),), "rfft")
    im = Tensor(np.imag(z).astype(dtype), (x,), lambda g: (adjoint(1j * g).astype(dtype),), "rfft")
    return re, im


def irfft(x, fft_length=None):
    """The inverse of `rfft`: a real signal of fft_length (default 2 * (bins - 1)) samples."""
    real, imag = _pair("irfft", x)
    bins = real.shape[-1]
    n = 2 * (bins - 1) if fft_length is None else int(fft_length)
    y = np.fft.irfft(real.data + 1j * imag.data, n=n).astype(real.data.dtype)
    used = n // 2 + 1

    def adjoint(g):
        spectrum = np.fft.rfft(g, n=n) / n
        weight = np.full(used, 2.0)
        weight[0] = 1.0
        if n % 2 == 0:
            weight[-1] = 1.0
        spectrum = spectrum * weight
        out = np.zeros(g.shape[:-1] + (bins,), np.complex128)
        k = min(bins, used)
        out[..., :k] = spectrum[..., :k]
        return out

    def vjp(g):
        w = adjoint(g)
        g_re = np.real(w).astype(real.data.dtype)
        g_im = np.imag(w).astype(real.data.dtype)
        g_im[..., 0] = 0
        if n % 2 == 0 and bins >= used:
            g_im[..., used - 1] = 0
        return g_re, g_im

    return Tensor(y, (real, imag), vjp, "irfft")


def extract_sequences(x, sequence_length, sequence_stride):
    """Frames of `sequence_length` samples every `sequence_stride` along the last axis."""
    x = as_tensor(x)

    def frames(p):
        windows = np.lib.stride_tricks.sliding_window_view(p, sequence_length, axis=-1)
        return windows[..., ::sequence_stride, :]

    return moved("extract_sequences", x, frames)


def _window(window, sequence_length, fft_length, dtype):
    l_pad = (fft_length - sequence_length) // 2
    r_pad = fft_length - sequence_length - l_pad
    if window is None:  # frames of sequence_length samples, as the torch and TF backends
        win = np.ones(sequence_length)
    elif isinstance(window, str):
        if window not in {"hann", "hamming"}:
            raise ValueError(
                'If a string is passed to `window`, it must be one of `"hann"`, '
                f'`"hamming"`. Received: window={window}'
            )
        k = np.arange(sequence_length)
        a = 0.5 if window == "hann" else 0.54  # periodic windows, as scipy.signal.get_window
        win = a - (1 - a) * np.cos(2 * np.pi * k / sequence_length)
    else:
        win = np.asarray(window)
        if win.ndim != 1 or win.shape[-1] != sequence_length:
            raise ValueError(
                "The shape of `window` must be equal to [sequence_length]."
                f"Received: window shape={win.shape}"
            )
    return np.pad(win, (l_pad, r_pad)).astype(dtype)


def stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    """Short-time Fourier transform: (real, imag) of shape (..., frames, fft_length // 2 + 1)."""
    x = as_tensor(x)
    if x.dtype not in ("float32", "float64"):
        raise TypeError(
            f"Invalid input type. Expected `float32` or `float64`. Received: input type={x.dtype}"
        )
    if fft_length < sequence_length:
        raise ValueError(
            "`fft_length` must equal or larger than `sequence_length`. "
            f"Received: sequence_length={sequence_length}, fft_length={fft_length}"
        )
    win = _window(window, sequence_length, fft_length, x.data.dtype)
    if center:
        half = fft_length // 2
        x = moved(
            "stft", x, lambda p: np.pad(p, [(0, 0)] * (p.ndim - 1) + [(half, half)], mode="reflect")
        )
    frames = extract_sequences(x, fft_length, sequence_stride)
    return rfft(m.multiply(frames, win), fft_length)


def istft(x, sequence_length, sequence_stride, fft_length, length=None, window="hann", center=True):
    """The inverse of `stft`: windowed overlap-add of the frames' inverse FFTs."""
    real, _ = _pair("istft", x)
    dtype = real.data.dtype
    win = _window(window, sequence_length, fft_length, dtype)
    frames = m.multiply(irfft(x, fft_length), win)  # (..., F, fft_length)
    count = frames.shape[-2]
    total = fft_length + sequence_stride * (count - 1)
    # overlap-add as the transpose of framing: a matrix of which sample each frame value feeds
    positions = (np.arange(count)[:, None] * sequence_stride + np.arange(fft_length)).reshape(-1)
    add = np.zeros((count * fft_length, total), dtype)
    add[np.arange(count * fft_length), positions] = 1
    from numkeras.engine.shape_ops import reshape

    flat = reshape(frames, frames.shape[:-2] + (count * fft_length,))
    signal = m.matmul(flat, add)
    norm = np.zeros(total, dtype)
    np.add.at(norm, positions, np.tile(win * win, count))
    signal = m.divide(signal, np.where(norm > 1e-10, norm, 1).astype(dtype))
    start = fft_length // 2 if center else 0
    if length is not None:
        end = start + length
    elif center:
        end = total - fft_length // 2
    else:
        end = total
    from numkeras.engine.shape_ops import getitem

    return getitem(signal, (Ellipsis, slice(start, end)))


__all__ = ["extract_sequences", "fft", "fft2", "ifft2", "irfft", "istft", "rfft", "stft"]
