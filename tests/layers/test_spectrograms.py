"""STFTSpectrogram and MelSpectrogram against real Keras: outputs on fixed signals, kernel
weights, gradients through the trainable STFT kernels, configs, shapes and `.keras` files."""

import json

import numpy as np
import pytest

import numkeras
from numkeras import layers
from tests.layers.keras_parity import (
    assert_keras_files_both_ways,
    assert_matches_keras,
    comparable,
    get_keras,
)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SIGNAL = np.random.default_rng(0).standard_normal((2, 300, 3)).astype("float32")
AUDIO = (
    np.sin(np.linspace(0, 900, 4000))[None] * np.array([[1.0], [0.3]])
    + 0.1 * np.random.default_rng(1).standard_normal((2, 4000))
).astype("float32")

STFT_CASES = [
    {},
    {"mode": "magnitude", "frame_length": 64, "frame_step": 16, "padding": "same"},
    {
        "mode": "psd",
        "frame_length": 50,
        "fft_length": 64,
        "window": "hamming",
        "scaling": "spectrum",
    },
    {"mode": "stft", "frame_length": 32, "expand_dims": True, "data_format": "channels_first"},
    {"mode": "real", "frame_length": 40, "window": None, "scaling": None},
    {"mode": "imag", "frame_length": 16, "expand_dims": True, "periodic": True},
]


@pytest.mark.parametrize("kwargs", STFT_CASES)
def test_stft_spectrogram_matches_keras_with_gradients(kwargs):
    x = SIGNAL.transpose(0, 2, 1) if kwargs.get("data_format") == "channels_first" else SIGNAL
    ours, theirs = assert_matches_keras("STFTSpectrogram", kwargs, x, rtol=1e-4, atol=2e-4)
    keras = get_keras()
    fresh = layers.STFTSpectrogram(**kwargs)
    fresh.build(x.shape)
    for mine, reference in zip(fresh.weights, theirs.weights):  # the same initial kernels
        np.testing.assert_allclose(
            mine.numpy(), keras.ops.convert_to_numpy(reference), rtol=1e-5, atol=1e-5
        )
    assert ours.compute_output_shape(x.shape) == tuple(theirs.compute_output_shape(x.shape))


def test_stft_angle_matches_keras_up_to_a_turn():
    """Angles agree modulo 2*pi (at the DC bin the imaginary part is a signed zero)."""
    keras = get_keras()
    kwargs = {"mode": "angle", "frame_length": 32, "periodic": True}
    ours = layers.STFTSpectrogram(**kwargs)(SIGNAL).numpy()
    theirs = keras.ops.convert_to_numpy(keras.layers.STFTSpectrogram(**kwargs)(SIGNAL))
    turn = np.angle(np.exp(1j * (ours - theirs)))
    np.testing.assert_allclose(turn, 0, atol=1e-4)


def test_stft_spectrogram_trains_and_saves(tmp_path):
    assert_keras_files_both_ways(
        "STFTSpectrogram", {"mode": "magnitude", "frame_length": 32}, SIGNAL, tmp_path, atol=1e-4
    )
    layer = layers.STFTSpectrogram(frame_length=32, mode="magnitude")
    model = numkeras.Sequential([numkeras.Input((300, 3)), layer, layers.GlobalAveragePooling1D()])
    model.compile("adam", "mse")
    before = layer.real_kernel.numpy().copy()
    model.fit(SIGNAL, np.zeros((2, 51), "float32"), epochs=1, verbose=0)
    assert not np.allclose(layer.real_kernel.numpy(), before)


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"mode": "db"}, "mode"),
        ({"frame_step": 300}, "frame_step"),
        ({"fft_length": 128}, "fft_length"),
        ({"scaling": "power"}, "Scaling"),
        ({"padding": "causal"}, "Padding"),
    ],
)
def test_stft_spectrogram_errors_as_keras(kwargs, error):
    keras = get_keras()
    with pytest.raises(ValueError, match=error):
        keras.layers.STFTSpectrogram(**kwargs)
    with pytest.raises(ValueError, match=error):
        layers.STFTSpectrogram(**kwargs)
    with pytest.raises(TypeError, match="Invalid input type"):
        layers.STFTSpectrogram(frame_length=8)(np.ones((1, 20, 1), "int32"))


MEL_CASES = [
    {},
    {
        "fft_length": 256,
        "sequence_stride": 100,
        "sequence_length": 200,
        "window": "hamming",
        "num_mel_bins": 40,
        "min_freq": 50.0,
        "max_freq": 6000.0,
        "top_db": 30.0,
        "mag_exp": 1.0,
        "ref_power": 2.0,
    },
    {"power_to_db": False, "fft_length": 512, "sequence_stride": 128, "sampling_rate": 8000},
]


@pytest.mark.parametrize("kwargs", MEL_CASES)
def test_mel_spectrogram_matches_keras(kwargs):
    keras = get_keras()
    ours, theirs = layers.MelSpectrogram(**kwargs), keras.layers.MelSpectrogram(**kwargs)
    y, expected = ours(AUDIO).numpy(), keras.ops.convert_to_numpy(theirs(AUDIO))
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(
        ours(AUDIO[0]).numpy(), keras.ops.convert_to_numpy(theirs(AUDIO[0])), rtol=1e-4, atol=1e-3
    )
    assert comparable(ours.get_config()) == comparable(theirs.get_config())
    clone = numkeras.saving.deserialize_keras_object(
        json.loads(json.dumps(keras.saving.serialize_keras_object(theirs)))
    )
    np.testing.assert_allclose(clone(AUDIO).numpy(), y)
    x = numkeras.Input((4000,))
    assert tuple(ours(x).shape) == (None,) + y.shape[1:]


def test_mel_weight_matrix_matches_keras():
    keras = get_keras()
    from numkeras.layers.preprocessing.mel_spectrogram import linear_to_mel_weight_matrix

    theirs = keras.layers.MelSpectrogram().linear_to_mel_weight_matrix(
        num_mel_bins=30,
        num_spectrogram_bins=257,
        sampling_rate=22050,
        lower_edge_hertz=0.0,
        upper_edge_hertz=11025.0,
    )
    ours = linear_to_mel_weight_matrix(30, 257, 22050, 0.0, 11025.0)
    np.testing.assert_allclose(ours, keras.ops.convert_to_numpy(theirs), rtol=1e-5, atol=1e-5)


def test_mel_spectrogram_gradient_is_finite_differences():
    """The layer runs on numkeras ops, so it is differentiable; check one direction."""
    layer = layers.MelSpectrogram(
        fft_length=64, sequence_stride=32, num_mel_bins=8, power_to_db=False, dtype="float64"
    )
    x = np.random.default_rng(3).standard_normal((1, 256))
    direction = np.random.default_rng(4).standard_normal(x.shape)
    v = numkeras.Variable(x, dtype="float64")
    with numkeras.GradientTape() as tape:
        loss = numkeras.ops.sum(layer(v))
    grad = np.asarray(tape.gradient(loss, v))
    eps = 1e-6
    f = lambda z: float(numkeras.ops.sum(layer(z)).numpy())  # noqa: E731
    numeric = (f(x + eps * direction) - f(x - eps * direction)) / (2 * eps)
    np.testing.assert_allclose(np.sum(grad * direction), numeric, rtol=1e-5)


def test_mel_spectrogram_keras_files_both_ways(tmp_path):
    assert_keras_files_both_ways(
        "MelSpectrogram",
        {"fft_length": 256, "sequence_stride": 128, "num_mel_bins": 16, "power_to_db": False},
        AUDIO,
        tmp_path,
        rtol=1e-4,
        atol=1e-3,
    )
