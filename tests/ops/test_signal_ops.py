"""Fourier, framing, casting and block-rearranging ops against real keras.ops, and gradients."""

import numpy as np
import pytest

from numkeras import ops
from tests.engine.gradcheck import check_grad, rand
from tests.ops.oracle import compare_with_keras

RE = rand(2, 8, seed=1, dtype="float32")
IM = rand(2, 8, seed=2, dtype="float32")
SIG = rand(2, 40, seed=3, dtype="float32")
IMG = rand(2, 4, 6, 8, seed=4, dtype="float32")

FORWARD = [
    ("fft", ((RE, IM),), {}),
    ("fft2", ((RE, IM),), {}),
    ("ifft2", ((RE, IM),), {}),
    ("rfft", (RE,), {}),
    ("rfft", (RE,), {"fft_length": 6}),
    ("rfft", (RE,), {"fft_length": 11}),
    ("irfft", ((RE[:, :5], IM[:, :5]),), {}),
    ("irfft", ((RE[:, :5], IM[:, :5]),), {"fft_length": 9}),
    ("extract_sequences", (SIG, 8, 3), {}),
    ("stft", (SIG, 8, 4, 8), {}),
    ("stft", (SIG, 6, 3, 8), {"window": "hamming"}),
    ("stft", (SIG, 8, 5, 16), {"center": False, "window": None}),
    ("saturate_cast", (RE * 200, "uint8"), {}),
    ("saturate_cast", (RE * 1e10, "int32"), {}),
    ("view", (RE, "int32"), {}),
    ("view_as_real", ((RE + 1j * IM).astype("complex64"),), {}),
    ("view_as_complex", (np.stack([RE, IM], -1),), {}),
    ("polar", (RE, IM), {}),
    ("depth_to_space", (IMG, 2), {}),
    ("depth_to_space", (IMG.reshape(2, 8, 6, 4), 2), {"data_format": "channels_first"}),
    ("space_to_depth", (IMG, 2), {}),
    ("space_to_depth", (IMG.reshape(2, 3, 8, 8), 2), {"data_format": "channels_first"}),
    ("unfold", (IMG, 3), {}),
    ("unfold", (IMG, (2, 3)), {"dilation": 2, "padding": 1, "stride": (1, 2)}),
    ("fold", (rand(2, 12, 12, seed=5, dtype="float32"), (4, 5), 2), {}),
    ("fold", (rand(2, 8, 9, seed=6, dtype="float32"), (5, 5), 2), {"stride": 2, "padding": 1}),
    ("rearrange", (IMG, "b h w c -> b c (h w)"), {}),
    ("rearrange", (IMG, "b h (w k) c -> (b k) c h w"), {"k": 2}),
    ("multi_hot", (np.array([[1, 3], [0, 0]], "int32"), 5), {}),
    ("multi_hot", (np.array([2, 0], "int32"), 4), {}),
]


@pytest.mark.parametrize("name,args,kwargs", FORWARD, ids=lambda v: v if isinstance(v, str) else "")
def test_matches_keras(name, args, kwargs):
    compare_with_keras(
        name, args, kwargs, atol=2e-5, rtol=1e-4, keras_tensors=name in ("unfold", "fold")
    )


def test_istft_inverts_stft_as_keras():
    spec = tuple(np.asarray(s) for s in ops.stft(SIG, 8, 4, 8))
    compare_with_keras("istft", (spec, 8, 4, 8), {}, atol=2e-5)
    np.testing.assert_allclose(np.asarray(ops.istft(spec, 8, 4, 8, length=40)), SIG, atol=1e-5)


def test_istft_without_centering_reconstructs_the_signal():
    # Keras-torch's center=False path differs near the edges; the known math is that the
    # windowed overlap-add inverts stft wherever the window is nonzero (all but sample 0)
    spec = tuple(np.asarray(s) for s in ops.stft(SIG, 8, 4, 8, center=False))
    y = np.asarray(ops.istft(spec, 8, 4, 8, center=False))
    np.testing.assert_allclose(y[:, 1:], SIG[:, 1:], atol=1e-5)


GRAD = [
    ("fft_re", lambda a, b: ops.fft((a, b))[0], [rand(2, 5), rand(2, 5, seed=1)]),
    ("fft_im", lambda a, b: ops.fft((a, b))[1], [rand(2, 5), rand(2, 5, seed=1)]),
    (
        "fft2",
        lambda a, b: ops.fft2((a, b))[1] * ops.fft2((a, b))[0],
        [rand(3, 4), rand(3, 4, seed=1)],
    ),
    ("ifft2", lambda a, b: ops.ifft2((a, b))[1], [rand(3, 4), rand(3, 4, seed=1)]),
    ("rfft", lambda x: ops.rfft(x)[0] + 2 * ops.rfft(x)[1], [rand(2, 7)]),
    ("rfft_len", lambda x: ops.rfft(x, 5)[1], [rand(2, 7)]),
    ("irfft", lambda a, b: ops.irfft((a, b)), [rand(2, 5), rand(2, 5, seed=1)]),
    ("irfft_odd", lambda a, b: ops.irfft((a, b), 7), [rand(2, 4), rand(2, 4, seed=1)]),
    ("stft", lambda x: ops.stft(x, 6, 3, 8)[1], [rand(20)]),
    ("istft", lambda a, b: ops.istft((a, b), 8, 4, 8), [rand(4, 5), rand(4, 5, seed=1)]),
    ("saturate_cast", lambda x: ops.saturate_cast(x, "float32") * 1.0, [rand(3)]),
    ("depth_to_space", lambda x: ops.depth_to_space(x, 2), [rand(1, 2, 2, 4)]),
    ("unfold", lambda x: ops.unfold(x, 2, padding=1), [rand(1, 2, 3, 3)]),
    ("fold", lambda x: ops.fold(x, (3, 3), 2), [rand(1, 8, 4)]),
    ("rearrange", lambda x: ops.rearrange(x, "a (b c) -> c a b", c=2), [rand(3, 4)]),
]


@pytest.mark.parametrize("name,fn,arrays", GRAD, ids=[g[0] for g in GRAD])
def test_gradient(name, fn, arrays):
    if name == "saturate_cast":  # float64 -> float32 rounds; check the clip's gradient in float64
        fn = lambda x: ops.saturate_cast(x, "float64")
    check_grad(fn, *arrays)


def test_errors():
    with pytest.raises(ValueError, match="real, imag"):
        ops.fft(RE)
    with pytest.raises(ValueError, match="fft_length"):
        ops.stft(SIG, 8, 4, 4)
    with pytest.raises(ValueError, match="window"):
        ops.stft(SIG, 8, 4, 8, window="kaiser")
    with pytest.raises(ValueError, match="rearrange"):
        ops.rearrange(IMG, "b h w -> b w h")
