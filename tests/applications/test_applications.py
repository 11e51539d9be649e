"""Each application against real Keras: the same layers (names, classes, output shapes,
parameter counts), the same predictions once Keras's weights are copied in through a legacy
`.h5` file, and `weights="imagenet"` fetching Keras's file (name, URL, hash) from the cache."""

import inspect

import pytest

import numkeras
from numkeras.utils import file_utils
from tests.applications import oracle

SMALL = (32, 32, 3)
# (module, constructor, input shape, slow)
ARCHITECTURES = [
    ("vgg16", "VGG16", SMALL, False),
    ("vgg19", "VGG19", SMALL, True),
    ("resnet", "ResNet50", SMALL, False),
    ("resnet", "ResNet101", SMALL, True),
    ("resnet", "ResNet152", SMALL, True),
    ("resnet_v2", "ResNet50V2", SMALL, True),
    ("resnet_v2", "ResNet101V2", SMALL, True),
    ("resnet_v2", "ResNet152V2", SMALL, True),
    ("mobilenet", "MobileNet", SMALL, True),
    ("mobilenet_v2", "MobileNetV2", SMALL, False),
    ("densenet", "DenseNet121", SMALL, True),
    ("densenet", "DenseNet169", SMALL, True),
    ("densenet", "DenseNet201", SMALL, True),
    ("xception", "Xception", (71, 71, 3), True),
    ("inception_v3", "InceptionV3", (75, 75, 3), True),
    ("inception_resnet_v2", "InceptionResNetV2", (75, 75, 3), True),
    ("efficientnet", "EfficientNetB0", SMALL, True),
    ("efficientnet", "EfficientNetB3", SMALL, True),
    ("convnext", "ConvNeXtTiny", SMALL, True),
    ("efficientnet_v2", "EfficientNetV2B0", SMALL, True),
    ("efficientnet_v2", "EfficientNetV2S", SMALL, True),
    ("mobilenet_v3", "MobileNetV3Small", SMALL, True),
    ("mobilenet_v3", "MobileNetV3Large", SMALL, True),
    ("nasnet", "NASNetLarge", SMALL, True),
]

# float32 rounding that 40 residual blocks with random statistics amplify: EfficientNetV2S's
# relative error grows steadily from 4e-7 after its first block to about 1e-4 at the top;
# Keras's own float32 output is as far from its float64 one (and, with other random draws
# than the seeded one, both reach 3e-2)
TOLERANCE = {"EfficientNetV2S": 1e-3}


def _params(architectures):
    return [
        pytest.param(
            module, constructor, shape, id=constructor, marks=[pytest.mark.slow] if slow else []
        )
        for module, constructor, shape, slow in architectures
    ]


@pytest.mark.parametrize("module, constructor, shape", _params(ARCHITECTURES))
def test_layers_match_keras(keras, module, constructor, shape):
    for kwargs in (
        dict(input_shape=shape, classes=10),
        dict(input_shape=shape, include_top=False, pooling="max"),
    ):
        ours, theirs = oracle.build_both(keras, module, constructor, weights=None, **kwargs)
        assert ours.name == theirs.name
        assert oracle.summary_rows(ours) == oracle.summary_rows(theirs)
        assert ours.count_params() == theirs.count_params()


@pytest.mark.parametrize("module, constructor, shape", _params(ARCHITECTURES))
def test_predictions_match_keras_with_its_weights(keras, tmp_path, module, constructor, shape):
    _, theirs = oracle.build_both(
        keras,
        module,
        constructor,
        weights=None,
        input_shape=shape,
        classes=10,
        classifier_activation=None,
    )
    oracle.randomize_normalization(theirs)
    path = tmp_path / "weights.h5"
    oracle.write_legacy_weights(theirs, path)
    ours = getattr(getattr(numkeras.applications, module), constructor)(  # loads the file
        weights=str(path), input_shape=shape, classes=10, classifier_activation=None
    )
    x = oracle.images(shape)
    expected = keras.ops.convert_to_numpy(theirs(x, training=False))
    oracle.assert_same_outputs(
        ours.predict(x, verbose=0), expected, TOLERANCE.get(constructor, 1e-4)
    )


class _Fetched(Exception):
    """Stops Keras's constructor at get_file: the test only needs the file it asks for."""


def _bound_get_file(function, args, kwargs):
    bound = inspect.signature(function).bind(*args, **kwargs)
    return {k: bound.arguments.get(k) for k in ("fname", "origin", "cache_subdir", "file_hash")}


def _keras_imagenet_file(keras, monkeypatch, module, constructor, kwargs):
    """The get_file arguments Keras's constructor passes for its ImageNet weights."""
    from keras.src.utils import file_utils as keras_file_utils

    real_get_file, asked = keras_file_utils.get_file, []

    def record(*args, **kw):
        asked.append(_bound_get_file(real_get_file, args, kw))
        raise _Fetched

    with monkeypatch.context() as patch:
        patch.setattr(keras_file_utils, "get_file", record)
        with pytest.raises(_Fetched):
            getattr(keras.applications, constructor)(**kwargs)
    return asked[0]


def _offline_cache(monkeypatch, tmp_path, fake_hash):
    """Point $KERAS_HOME at tmp_path, forbid downloads, and have get_file check the cached
    file against `fake_hash` (the real file's hash cannot match a test file); returns the
    list the get_file calls are recorded into."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))

    def no_network(origin, *args, **kwargs):
        raise AssertionError(f"tried to download {origin}")

    real_get_file, asked = file_utils.get_file, []

    def cached_get_file(*args, **kwargs):
        call = _bound_get_file(real_get_file, args, kwargs)
        asked.append(call)
        return real_get_file(**{**call, "file_hash": fake_hash})

    monkeypatch.setattr(file_utils, "_download", no_network)
    monkeypatch.setattr(file_utils, "get_file", cached_get_file)
    return asked


@pytest.mark.filterwarnings("ignore:`input_shape` is undefined")  # MobileNets: 224's file
@pytest.mark.parametrize("module, constructor, shape", _params(ARCHITECTURES))
def test_imagenet_weights_load_from_the_cache(
    keras, monkeypatch, tmp_path, module, constructor, shape
):
    """Both libraries build their ImageNet model and load the same cached file (Keras's
    randomly initialised weights, written in the pretrained files' legacy layout)."""
    from keras.src.utils import file_utils as keras_file_utils

    kwargs = dict(weights="imagenet", include_top=False, input_shape=shape, pooling="avg")
    wanted = _keras_imagenet_file(keras, monkeypatch, module, constructor, kwargs)
    assert wanted["cache_subdir"] == "models"
    assert wanted["origin"].startswith("https://storage.googleapis.com/")

    _, source = oracle.build_both(keras, module, constructor, **{**kwargs, "weights": None})
    oracle.randomize_normalization(source)
    (tmp_path / "models").mkdir()
    cached = tmp_path / "models" / wanted["fname"]
    oracle.write_legacy_weights(source, cached)
    asked = _offline_cache(monkeypatch, tmp_path, oracle.md5(cached))
    monkeypatch.setattr(keras_file_utils, "get_file", lambda *args, **kw: str(cached))

    ours, theirs = oracle.build_both(keras, module, constructor, **kwargs)
    assert asked == [wanted]
    x = oracle.images(shape)
    expected = keras.ops.convert_to_numpy(theirs(x, training=False))
    oracle.assert_same_outputs(
        ours.predict(x, verbose=0), expected, TOLERANCE.get(constructor, 1e-4)
    )


@pytest.mark.parametrize(
    "module, constructor, shape",
    _params([("resnet", "ResNet50", (224, 224, 3), False), ("vgg16", "VGG16", None, True)]),
)
def test_imagenet_file_with_the_top_is_keras_s(keras, monkeypatch, module, constructor, shape):
    wanted = _keras_imagenet_file(keras, monkeypatch, module, constructor, {})
    real_get_file, asked = file_utils.get_file, []

    def record(*args, **kw):
        asked.append(_bound_get_file(real_get_file, args, kw))
        raise _Fetched

    monkeypatch.setattr(file_utils, "get_file", record)
    with pytest.raises(_Fetched):
        getattr(getattr(numkeras.applications, module), constructor)()
    assert asked == [wanted]


@pytest.mark.slow
def test_nasnet_mobile_matches_keras_s_nasnet(keras, tmp_path):
    """Keras refuses NASNetMobile on its torch backend, so the oracle is its NASNet builder
    with NASNetMobile's arguments."""
    from keras.src.applications import nasnet as keras_nasnet

    from numkeras.applications import nasnet

    mobile = dict(
        penultimate_filters=1056,
        num_blocks=4,
        stem_block_filters=32,
        skip_reduction=False,
        filter_multiplier=2,
        default_size=224,
    )
    kwargs = dict(input_shape=SMALL, weights=None, classes=10, classifier_activation=None)
    keras.backend.clear_session()
    numkeras.backend.clear_session()
    keras.utils.set_random_seed(0)
    ours = nasnet.NASNetMobile(**kwargs)
    theirs = keras_nasnet.NASNet(**mobile, **kwargs, name="nasnet_mobile")
    assert oracle.summary_rows(ours) == oracle.summary_rows(theirs)
    oracle.randomize_normalization(theirs)
    path = tmp_path / "weights.h5"
    oracle.write_legacy_weights(theirs, path)
    ours.load_weights(str(path))
    x = oracle.images(SMALL)
    expected = keras.ops.convert_to_numpy(theirs(x, training=False))
    oracle.assert_same_outputs(ours.predict(x, verbose=0), expected)


@pytest.mark.parametrize("include_top", [True, False])
def test_nasnet_mobile_imagenet_file_is_keras_s(keras, monkeypatch, include_top):
    from keras.src.applications import nasnet as keras_nasnet

    real_get_file, asked = file_utils.get_file, []

    def record(*args, **kw):
        asked.append(_bound_get_file(real_get_file, args, kw))
        raise _Fetched

    monkeypatch.setattr(file_utils, "get_file", record)
    with pytest.raises(_Fetched):
        numkeras.applications.NASNetMobile(
            include_top=include_top, input_shape=None if include_top else SMALL
        )
    origin = keras_nasnet.NASNET_MOBILE_WEIGHT_PATH
    fname, file_hash = "nasnet_mobile.h5", "020fb642bf7360b370c678b08e0adf61"
    if not include_top:
        origin = keras_nasnet.NASNET_MOBILE_WEIGHT_PATH_NO_TOP
        fname, file_hash = "nasnet_mobile_no_top.h5", "1ed92395b5b598bdda52abe5c0dbfd63"
    assert asked == [
        {"fname": fname, "origin": origin, "cache_subdir": "models", "file_hash": file_hash}
    ]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(weights="no/such/file.h5"), "weights=no/such/file.h5"),
        (dict(weights="imagenet", classes=10), "`classes` should be 1000"),
        (dict(weights="imagenet", classifier_activation="relu"), "classifier_activation"),
        (dict(weights=None, input_shape=(16, 16, 3), include_top=False), "at least 32x32"),
        (dict(weights=None, input_shape=(64, 64, 3)), None),  # any size with random weights
    ],
)
def test_bad_arguments_raise_as_in_keras(keras, kwargs, match):
    """ResNet50's argument checks, raised before any weights are fetched, as Keras's are."""
    errors = []
    for library in (numkeras, keras):
        try:
            library.applications.ResNet50(**kwargs)
            errors.append(None)
        except ValueError as e:
            errors.append(str(e))
    ours, theirs = errors
    assert (ours is None) == (theirs is None), errors
    if match is not None:
        assert match in ours and match in theirs
