"""pad_sequences, timeseries windows, x/y/sample_weight packing, image utilities and
image/text folder datasets, against real Keras on the same data and folders."""

import os

import numpy as np
import pytest

import numkeras as nk
from numkeras import utils
from tests.layers.keras_parity import get_keras

SEQS = [[1, 2, 3], [4], [], [5, 6, 7, 8, 9]]


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"maxlen": 3},
        {"maxlen": 3, "padding": "post", "truncating": "post"},
        {"maxlen": 6, "value": -1, "dtype": "float32"},
        {"padding": "post"},
    ],
)
def test_pad_sequences_matches_keras(kwargs):
    keras = get_keras()
    ours = utils.pad_sequences(SEQS, **kwargs)
    theirs = keras.utils.pad_sequences(SEQS, **kwargs)
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)


def test_pad_sequences_errors():
    with pytest.raises(ValueError, match="Padding type"):
        utils.pad_sequences(SEQS, padding="middle")
    with pytest.raises(ValueError, match="non-iterable"):
        utils.pad_sequences([[1], 2])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"sequence_length": 4, "batch_size": 3},
        {"sequence_length": 3, "sequence_stride": 2, "sampling_rate": 2, "batch_size": 4},
        {"sequence_length": 5, "start_index": 3, "end_index": 17, "batch_size": 2},
    ],
)
@pytest.mark.parametrize("with_targets", [True, False])
def test_timeseries_windows_match_keras(kwargs, with_targets):
    keras = get_keras(tensorflow=True)
    data = np.arange(40, dtype="float32").reshape(20, 2)
    targets = np.arange(100, 120) if with_targets else None
    ours = list(utils.timeseries_dataset_from_array(data, targets, **kwargs))
    theirs = list(keras.utils.timeseries_dataset_from_array(data, targets, **kwargs))
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        a, b = (a, b) if with_targets else ((a,), (b,))
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, np.asarray(y))


def test_timeseries_shuffle_is_keras_window_set_and_trains():
    data = np.random.default_rng(0).normal(size=(50, 3)).astype("float32")
    targets = data[:, 0]
    batches = utils.timeseries_dataset_from_array(
        data, targets, 5, batch_size=8, shuffle=True, seed=3
    )
    starts = sorted(
        int(np.flatnonzero((data == w[0]).all(axis=1))[0]) for x, _ in batches for w in x
    )
    assert starts == list(range(46))
    model = nk.Sequential([nk.layers.Input((5, 3)), nk.layers.Flatten(), nk.layers.Dense(1)])
    model.compile("adam", "mse")
    assert len(model.fit(batches, epochs=2, verbose=0).history["loss"]) == 2
    with pytest.raises(ValueError, match="sampling_rate"):
        utils.timeseries_dataset_from_array(data, None, 3, sampling_rate=0)


def test_pack_and_unpack_matchget_keras():
    keras = get_keras()
    x, y, w = np.ones(2), np.zeros(2), np.full(2, 0.5)
    for args in [(x,), (x, y), (x, y, w), ([x, x],)]:
        ours, theirs = (
            utils.pack_x_y_sample_weight(*args),
            keras.utils.pack_x_y_sample_weight(*args),
        )
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        assert [
            o is t
            for o, t in zip(
                utils.unpack_x_y_sample_weight(ours), keras.utils.unpack_x_y_sample_weight(theirs)
            )
        ]
    assert utils.unpack_x_y_sample_weight(x)[1:] == (None, None)
    with pytest.raises(ValueError, match="Data is expected"):
        utils.unpack_x_y_sample_weight((x, y, w, w))


def _write_images(root, keras, sizes=(6, 5)):
    rng = np.random.default_rng(0)
    for label, count in (("cat", 3), ("dog", 4)):
        os.makedirs(root / label)
        for i in range(count):
            array = rng.integers(0, 255, size=(*sizes, 3)).astype("float32")
            keras.utils.save_img(str(root / label / f"{i}.png"), array, scale=False)
    (root / "dog" / "notes.txt").write_text("not an image")


def test_image_utilities_match_keras(tmp_path):
    keras = get_keras()
    array = np.random.default_rng(1).random((4, 5, 3)).astype("float32")
    utils.save_img(tmp_path / "ours.png", array)
    keras.utils.save_img(tmp_path / "theirs.png", array)
    for mode in ("rgb", "grayscale", "rgba"):
        ours = utils.img_to_array(utils.load_img(tmp_path / "ours.png", color_mode=mode))
        theirs = keras.utils.img_to_array(
            keras.utils.load_img(tmp_path / "theirs.png", color_mode=mode)
        )
        np.testing.assert_array_equal(ours, theirs)
    for kwargs in (
        {"target_size": (3, 3)},
        {"target_size": (2, 4), "keep_aspect_ratio": True, "interpolation": "bilinear"},
    ):
        np.testing.assert_array_equal(
            utils.img_to_array(utils.load_img(tmp_path / "ours.png", **kwargs)),
            keras.utils.img_to_array(keras.utils.load_img(tmp_path / "ours.png", **kwargs)),
        )
    img = utils.array_to_img(array, scale=False)
    np.testing.assert_array_equal(
        utils.img_to_array(img, data_format="channels_first"),
        keras.utils.img_to_array(img, data_format="channels_first"),
    )
    with pytest.raises(ValueError, match="rank 3"):
        utils.array_to_img(np.ones((2, 2)))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"label_mode": "int", "shuffle": False},
        {"label_mode": "categorical", "seed": 7},
        {"label_mode": "binary", "seed": 2, "batch_size": 3},
        {"label_mode": None, "shuffle": False, "color_mode": "grayscale"},
        {"seed": 5, "validation_split": 0.3, "subset": "validation"},
    ],
)
def test_image_dataset_from_directory_matches_keras(tmp_path, kwargs):
    keras = get_keras(tensorflow=True)
    _write_images(tmp_path, keras)
    kwargs = {"image_size": (6, 5), "batch_size": 4, "verbose": False, **kwargs}
    ours = utils.image_dataset_from_directory(tmp_path, **kwargs)
    theirs = (
        keras.utils.image_dataset_from_directory(str(tmp_path), **{**kwargs, "shuffle": False})
        if not kwargs.get("shuffle", True)
        else None
    )
    assert ours.class_names == ["cat", "dog"]
    if theirs is not None:  # Keras also reshuffles each epoch: compare unshuffled order only
        for a, b in zip(ours, theirs):
            for x, y in zip(
                a if kwargs["label_mode"] else (a,), b if kwargs["label_mode"] else (b,)
            ):
                # TensorFlow's RGB-to-gray rounds differently from Pillow's: off by one at most
                np.testing.assert_allclose(x, np.asarray(y), atol=1, rtol=0)
                if "color_mode" not in kwargs:
                    np.testing.assert_array_equal(x, np.asarray(y))
    else:  # shuffled: the same files and labels as Keras's file list
        from keras.src.utils import dataset_utils

        paths, labels, _ = dataset_utils.index_directory(
            str(tmp_path), "inferred", (".png",), shuffle=True, seed=kwargs["seed"]
        )
        if "validation_split" in kwargs:
            cut = len(paths) - int(0.3 * len(paths))
            paths = paths[cut:]
        assert [os.path.basename(p) for p in ours.file_paths] == [
            os.path.basename(p) for p in paths
        ]
        batch = ours[0]
        assert batch[0].shape[1:] == (6, 5, 3) and batch[0].dtype == np.float32


def test_image_dataset_trains_and_splits_both(tmp_path):
    keras = get_keras()
    _write_images(tmp_path, keras)
    train, val = utils.image_dataset_from_directory(
        tmp_path,
        image_size=(6, 5),
        batch_size=2,
        seed=1,
        validation_split=0.3,
        subset="both",
        verbose=False,
    )
    assert len(train.file_paths) == 5 and len(val.file_paths) == 2
    assert not set(train.file_paths) & set(val.file_paths)
    model = nk.Sequential(
        [nk.layers.Input((6, 5, 3)), nk.layers.Flatten(), nk.layers.Dense(2, activation="softmax")]
    )
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(train, validation_data=val, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="seed"):
        utils.image_dataset_from_directory(tmp_path, validation_split=0.2, subset="training")


def test_text_dataset_from_directory_matches_keras(tmp_path):
    keras = get_keras(tensorflow=True)
    for label, texts in (("neg", ["bad", "awful film"]), ("pos", ["good", "great", "fine!"])):
        os.makedirs(tmp_path / label)
        for i, text in enumerate(texts):
            (tmp_path / label / f"{i}.txt").write_text(text, encoding="utf-8")
    kwargs = {"batch_size": 2, "shuffle": False, "max_length": 4, "verbose": False}
    ours = list(utils.text_dataset_from_directory(tmp_path, **kwargs))
    theirs = list(keras.utils.text_dataset_from_directory(str(tmp_path), **kwargs))
    assert len(ours) == len(theirs)
    for (x, y), (tx, ty) in zip(ours, theirs):
        assert [s for s in x] == [s.decode() for s in np.asarray(tx)]
        np.testing.assert_array_equal(y, np.asarray(ty))
