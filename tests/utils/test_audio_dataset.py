"""audio_dataset_from_directory against real Keras (tf.data): the same clips, padding,
truncation, labels, splits and errors, on folders of WAV files the test writes."""

import os
import wave

import numpy as np
import pytest

from numkeras.utils import audio_dataset_from_directory

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _write(path, samples):
    samples = np.asarray(samples, "<i2")
    with wave.open(str(path), "wb") as f:
        f.setnchannels(samples.shape[1])
        f.setsampwidth(2)
        f.setframerate(8000)
        f.writeframes(samples.tobytes())


@pytest.fixture
def folder(tmp_path):
    rng = np.random.default_rng(0)
    for name in ["cat", "dog"]:
        (tmp_path / name).mkdir()
        for i in range(5):
            length = int(rng.integers(5, 40))
            _write(tmp_path / name / f"{i}.wav", rng.integers(-32768, 32767, (length, 2)))
        (tmp_path / name / "notes.txt").write_text("not audio")
    return tmp_path


def _keras_audio(**kwargs):
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    pytest.importorskip("tensorflow")
    result = keras.utils.audio_dataset_from_directory(verbose=False, **kwargs)
    as_list = lambda ds: list(ds.as_numpy_iterator())  # noqa: E731
    return [as_list(d) for d in result] if isinstance(result, tuple) else as_list(result)


def _assert_batches_equal(ours, theirs):
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        a, b = (a, b) if isinstance(a, tuple) else ((a,), (b,))
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)
            assert np.asarray(x).dtype == np.asarray(y).dtype


@pytest.mark.parametrize(
    "kwargs",
    [
        {"batch_size": 3},
        {"batch_size": 4, "output_sequence_length": 20, "label_mode": "categorical"},
        {"batch_size": 2, "label_mode": "binary"},
        {"batch_size": None, "output_sequence_length": 50},
        {"batch_size": 3, "labels": None},
        {"batch_size": 3, "class_names": ["dog", "cat"]},
        {"batch_size": 4, "validation_split": 0.3, "subset": "validation"},
    ],
)
def test_audio_batches_match_keras(folder, kwargs):
    kwargs = {"directory": str(folder), "shuffle": False, **kwargs}
    ours = list(audio_dataset_from_directory(verbose=False, **kwargs))
    _assert_batches_equal(ours, _keras_audio(**kwargs))


def test_audio_split_both_with_shuffle_matches_keras_contents(folder):
    """Keras also reshuffles through a tf.data buffer, so compare each subset's clips."""
    kwargs = {
        "directory": str(folder),
        "seed": 7,
        "validation_split": 0.4,
        "subset": "both",
        "output_sequence_length": 40,
        "batch_size": 100,
    }
    train, val = audio_dataset_from_directory(verbose=False, **kwargs)
    assert train.class_names == ["cat", "dog"] and len(train.file_paths) == 6
    for ours, theirs in zip((train, val), _keras_audio(**kwargs)):
        (x, y), (tx, ty) = ours[0], theirs[0]
        key = lambda a, b: sorted(zip(map(bytes, a), b.tolist()))  # noqa: E731
        assert key(x, y) == key(tx, ty)


def test_ragged_and_padding(folder):
    ds = audio_dataset_from_directory(folder, batch_size=10, ragged=True, shuffle=False)
    clips, labels = ds[0]
    assert [c.shape[1] for c in clips] == [2] * 10 and len({len(c) for c in clips}) > 1
    padded, _ = audio_dataset_from_directory(folder, batch_size=10, shuffle=False)[0]
    for clip, row in zip(clips, padded):
        np.testing.assert_array_equal(row[: len(clip)], clip)
        assert not row[len(clip) :].any()


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"labels": "folders"}, ValueError),
        ({"labels": [0, 1], "class_names": ["a"]}, ValueError),
        ({"label_mode": "sparse"}, ValueError),
        ({"ragged": True, "output_sequence_length": 5}, ValueError),
        ({"sampling_rate": 8000.5}, ValueError),
        ({"sampling_rate": -1}, ValueError),
        ({"validation_split": 0.2, "subset": "training"}, ValueError),  # shuffle without seed
        ({"validation_split": 1.5, "subset": "training", "seed": 1}, ValueError),
    ],
)
def test_audio_errors_as_keras(folder, kwargs, error):
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    with pytest.raises(error):
        keras.utils.audio_dataset_from_directory(folder, verbose=False, **kwargs)
    with pytest.raises(error):
        audio_dataset_from_directory(folder, verbose=False, **kwargs)


def test_only_16_bit_wav(tmp_path):
    with wave.open(str(tmp_path / "x.wav"), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(1)
        f.setframerate(8000)
        f.writeframes(bytes(10))
    with pytest.raises(ValueError, match="16-bit"):
        audio_dataset_from_directory(tmp_path, labels=None, verbose=False)[0]
