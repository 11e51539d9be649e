"""preprocess_input (caffe, tf, torch; arrays and tensors; both data formats) and
decode_predictions against real Keras, the class index read from a cached file."""

import json

import numpy as np
import pytest

import numkeras
from numkeras.applications import imagenet_utils
from numkeras.utils import file_utils

MODULES = {  # each application module's preprocessing mode, as in Keras
    "vgg16": "caffe",
    "vgg19": "caffe",
    "resnet": "caffe",
    "resnet50": "caffe",
    "resnet_v2": "tf",
    "mobilenet": "tf",
    "mobilenet_v2": "tf",
    "densenet": "torch",
    "xception": "tf",
    "inception_v3": "tf",
    "inception_resnet_v2": "tf",
}


def _images(shape):
    return np.random.default_rng(0).uniform(0, 255, shape).astype("float32")


@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
@pytest.mark.parametrize(
    "shape, data_format",
    [
        ((2, 4, 5, 3), "channels_last"),
        ((4, 5, 3), "channels_last"),
        ((2, 3, 4, 5), "channels_first"),
        ((3, 4, 5), "channels_first"),
    ],
)
def test_preprocess_input_matches_keras(keras, mode, shape, data_format):
    x = _images(shape)
    expected = keras.applications.imagenet_utils.preprocess_input(
        x.copy(), data_format=data_format, mode=mode
    )
    ours = imagenet_utils.preprocess_input(x.copy(), data_format=data_format, mode=mode)
    np.testing.assert_allclose(ours, expected, rtol=1e-6, atol=1e-5)
    tensor = imagenet_utils.preprocess_input(
        numkeras.ops.convert_to_tensor(x), data_format=data_format, mode=mode
    )
    np.testing.assert_allclose(numkeras.ops.convert_to_numpy(tensor), expected, atol=1e-4)


def test_preprocess_input_writes_over_float_arrays_and_converts_integers(keras):
    x = _images((2, 4, 4, 3))
    out = imagenet_utils.preprocess_input(x, mode="tf")
    assert np.shares_memory(out, x)
    pixels = np.arange(2 * 4 * 4 * 3).reshape(2, 4, 4, 3).astype("uint8")
    ours = imagenet_utils.preprocess_input(pixels, mode="caffe")
    expected = keras.applications.imagenet_utils.preprocess_input(pixels, mode="caffe")
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, expected, atol=1e-5)


@pytest.mark.parametrize("module, mode", sorted(MODULES.items()))
def test_each_module_preprocesses_in_keras_s_mode(keras, module, mode):
    x = _images((1, 3, 3, 3))
    ours = getattr(numkeras.applications, module).preprocess_input(x.copy())
    theirs = getattr(keras.applications, module).preprocess_input(x.copy())
    np.testing.assert_allclose(ours, theirs, atol=1e-5)
    reference = imagenet_utils.preprocess_input(x.copy(), mode=mode)
    np.testing.assert_allclose(ours, reference, atol=1e-5)


def test_preprocess_input_rejects_unknown_mode_and_format():
    with pytest.raises(ValueError, match="mode=bgr"):
        imagenet_utils.preprocess_input(_images((1, 2, 2, 3)), mode="bgr")
    with pytest.raises(ValueError, match="data_format=nhwc"):
        imagenet_utils.preprocess_input(_images((1, 2, 2, 3)), data_format="nhwc")


@pytest.fixture
def cached_class_index(monkeypatch, tmp_path):
    """A fake imagenet_class_index.json in a temporary $KERAS_HOME's models/ folder, fetched
    offline: get_file checks it against its own hash, recording what it was asked for."""
    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    (tmp_path / "models").mkdir()
    path = tmp_path / "models" / "imagenet_class_index.json"
    path.write_text(json.dumps(index))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX", None)
    real_get_file, asked = file_utils.get_file, []

    def cached_get_file(fname, origin, **kwargs):
        asked.append((fname, origin, kwargs))
        return real_get_file(fname, origin, **{**kwargs, "file_hash": file_utils.hash_file(path)})

    def no_network(origin, *args, **kwargs):
        raise AssertionError(f"tried to download {origin}")

    monkeypatch.setattr(file_utils, "get_file", cached_get_file)
    monkeypatch.setattr(file_utils, "_download", no_network)
    return index, asked


def test_decode_predictions_matches_keras(keras, monkeypatch, cached_class_index):
    index, asked = cached_class_index
    preds = np.random.default_rng(0).random((3, 1000)).astype("float32")
    ours = numkeras.applications.resnet.decode_predictions(preds, top=4)
    assert asked == [
        (
            "imagenet_class_index.json",
            keras.src.applications.imagenet_utils.CLASS_INDEX_PATH,
            {"cache_subdir": "models", "file_hash": "c2c37ea517e94d9795004a39431a14cb"},
        )
    ]
    from keras.src.applications import imagenet_utils as keras_imagenet_utils

    monkeypatch.setattr(keras_imagenet_utils, "CLASS_INDEX", index)
    theirs = keras.applications.imagenet_utils.decode_predictions(preds, top=4)
    assert ours == theirs
    assert [row[0][2] for row in ours] == list(preds.max(axis=1))
    imagenet_utils.decode_predictions(numkeras.ops.convert_to_tensor(preds), top=1)
    assert len(asked) == 1  # the index is read once


def test_decode_predictions_rejects_other_shapes():
    with pytest.raises(ValueError, match=r"\(samples, 1000\).*\(2, 10\)"):
        imagenet_utils.decode_predictions(np.zeros((2, 10)))
