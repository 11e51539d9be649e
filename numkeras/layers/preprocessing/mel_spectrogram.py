"""MelSpectrogram: audio signals to (decibel-scaled) mel-band power over time."""

import numpy as np

from numkeras import ops
from numkeras.layers.layer import Layer

_MEL_BREAK_FREQUENCY_HERTZ = 700.0
_MEL_HIGH_FREQUENCY_Q = 1127.0


def hertz_to_mel(frequencies):
    """The HTK mel scale, `1127 * ln(1 + f / 700)`."""
    return _MEL_HIGH_FREQUENCY_Q * np.log(1.0 + frequencies / _MEL_BREAK_FREQUENCY_HERTZ)


def linear_to_mel_weight_matrix(
    num_mel_bins=20,
    num_spectrogram_bins=129,
    sampling_rate=8000,
    lower_edge_hertz=125.0,
    upper_edge_hertz=3800.0,
    dtype="float32",
):
    """`(num_spectrogram_bins, num_mel_bins)` triangular filters, peaks of 1, evenly spaced
    on the mel scale between the edges; the DC bin gets no weight (as TensorFlow's)."""
    linear = np.linspace(0.0, sampling_rate / 2.0, num_spectrogram_bins)[1:]
    bins_mel = hertz_to_mel(linear)[:, None]
    edges = np.linspace(
        hertz_to_mel(np.float64(lower_edge_hertz)),
        hertz_to_mel(np.float64(upper_edge_hertz)),
        num_mel_bins + 2,
    )
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
    rising = (bins_mel - lower) / (center - lower)
    falling = (upper - bins_mel) / (upper - center)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    return np.pad(weights, [(1, 0), (0, 0)]).astype(dtype)


class MelSpectrogram(Layer):
    """Mel spectrograms of 1-D signals `(time,)` or `(batch, time)`, as Keras computes them:
    a centered STFT's magnitude to the power `mag_exp`, mel filters, then decibels clipped
    to `top_db` below the largest value (of the whole input). Output `(batch, num_mel_bins,
    frames)`. Differentiable, since it runs on numkeras ops.

    Args:
        fft_length: FFT size (2048 by default).
        sequence_stride: hop between frames (512).
        sequence_length: window length, `fft_length` by default.
        window: "hann" (default), "hamming" or None.
        sampling_rate: samples per second of the signal (16000).
        num_mel_bins: mel bands (128).
        min_freq, max_freq: the filters' frequency range (20 Hz to `sampling_rate / 2`).
        power_to_db: scale to decibels (True).
        top_db, mag_exp, min_power, ref_power: the dB floor below the peak, the magnitude's
            exponent, the power floor and the reference power.
    """

    def __init__(
        self,
        fft_length=2048,
        sequence_stride=512,
        sequence_length=None,
        window="hann",
        sampling_rate=16000,
        num_mel_bins=128,
        min_freq=20.0,
        max_freq=None,
        power_to_db=True,
        top_db=80.0,
        mag_exp=2.0,
        min_power=1e-10,
        ref_power=1.0,
        **kwargs,
    ):
        self.fft_length, self.sequence_stride = fft_length, sequence_stride
        self.sequence_length = sequence_length or fft_length
        if self.fft_length < self.sequence_length:
            raise ValueError(
                "`fft_length` must be greater than or equal to   `sequence_length`. Received: "
                f"`sequence_length`={self.sequence_length}, `fft_length`={self.fft_length}."
            )
        self.window, self.sampling_rate, self.num_mel_bins = window, sampling_rate, num_mel_bins
        self.min_freq, self.max_freq = min_freq, max_freq or int(sampling_rate / 2)
        self.power_to_db, self.top_db, self.mag_exp = power_to_db, top_db, mag_exp
        self.min_power, self.ref_power = min_power, ref_power
        super().__init__(**kwargs)

    def call(self, inputs):
        x = inputs if inputs.dtype in ("float32", "float64") else ops.cast(inputs, "float32")
        real, imag = ops.stft(
            x,
            sequence_length=self.sequence_length,
            sequence_stride=self.sequence_stride,
            fft_length=self.fft_length,
            window=self.window,
            center=True,
        )
        spec = ops.power(ops.sqrt(ops.square(real) + ops.square(imag)), self.mag_exp)
        matrix = linear_to_mel_weight_matrix(
            self.num_mel_bins,
            spec.shape[-1],
            self.sampling_rate,
            self.min_freq,
            self.max_freq,
            dtype=x.dtype,
        )
        out = ops.tensordot(spec, matrix, axes=1)
        if self.power_to_db:
            out = 10.0 * ops.log10(ops.maximum(out, self.min_power))
            out = out - 10.0 * np.log10(max(abs(self.ref_power), self.min_power))
            out = ops.maximum(out, ops.max(out) - self.top_db)
        return ops.cast(ops.swapaxes(out, -1, -2), self.dtype)

    def compute_output_shape(self, input_shape):
        time = input_shape[-1]  # the centered STFT's frame count (Keras's formula can be one off)
        frames = None if time is None else 1 + time // self.sequence_stride
        return tuple(input_shape[:-1]) + (self.num_mel_bins, frames)

    def get_config(self):
        return {
            **super().get_config(),
            "fft_length": self.fft_length,
            "sequence_stride": self.sequence_stride,
            "sequence_length": self.sequence_length,
            "window": self.window,
            "sampling_rate": self.sampling_rate,
            "num_mel_bins": self.num_mel_bins,
            "min_freq": self.min_freq,
            "max_freq": self.max_freq,
            "power_to_db": self.power_to_db,
            "top_db": self.top_db,
            "mag_exp": self.mag_exp,
            "min_power": self.min_power,
            "ref_power": self.ref_power,
        }
