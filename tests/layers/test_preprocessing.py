"""Rescaling and Normalization: harness, adapt vs NumPy, real Keras, configs, errors."""

import numpy as np
import pytest

import numkeras
from numkeras import layers
from tests.layers.harness import run_layer_test

RS, NORM = layers.Rescaling, layers.Normalization
CASES = [
    (RS, {"scale": 0.5, "offset": 1.0}, (2, 3), 0),
    (RS, {"scale": np.array([1.0, 2.0, 3.0]), "offset": -1.0}, (2, 4, 3), 0),
    (NORM, {}, (2, 5), 3),
    (NORM, {"axis": (1, 2)}, (2, 3, 4), 3),
    (NORM, {"axis": None, "invert": True}, (2, 3), 3),
    (NORM, {"mean": 1.0, "variance": 4.0}, (2, 5), 0),
    (
        NORM,
        {"axis": (1, 2), "mean": [1.0, 2.0, 3.0, 4.0], "variance": [1.0, 4.0, 9.0, 16.0]},
        (2, 3, 4),
        0,
    ),
]


@pytest.mark.parametrize("cls, kwargs, shape, n_weights", CASES)
def test_harness(cls, kwargs, shape, n_weights):
    run_layer_test(
        cls, kwargs, input_shape=shape, expected_output_shape=shape, expected_num_weights=n_weights
    )


# features on different scales, so per-feature statistics differ
DATA = (np.random.default_rng(0).normal(size=(12, 3, 4)) * [1, 5, 10, 2] + 3).astype("float32")


@pytest.mark.parametrize("axis", [-1, (1, 2), 1, None])
def test_adapt_matches_numpy_and_standardizes(axis):
    layer = NORM(axis=axis)
    layer.adapt(DATA)
    keep = () if axis is None else (axis,) if isinstance(axis, int) else axis
    reduce = tuple(a for a in range(3) if a % 3 not in [k % 3 for k in keep])
    mean, var = DATA.mean(axis=reduce), DATA.var(axis=reduce)
    np.testing.assert_allclose(layer.adapt_mean.numpy(), mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.adapt_variance.numpy(), var, rtol=1e-5)
    out = layer(DATA).numpy()
    np.testing.assert_allclose(out.mean(axis=reduce), 0, atol=1e-5)
    np.testing.assert_allclose(out.std(axis=reduce), 1, rtol=1e-4)
    np.testing.assert_allclose(
        NORM(axis=axis, mean=mean, variance=var)(DATA).numpy(), out, rtol=1e-5, atol=1e-5
    )


def test_adapt_on_batches_equals_adapt_on_all_data():
    whole, batched, pairs = NORM(), NORM(), NORM()
    whole.adapt(DATA)
    batched.adapt([DATA[:5], DATA[5:7], DATA[7:]])
    pairs.adapt((x, None) for x in (DATA[:6], DATA[6:]))  # (x, y) batches, as from a dataset
    for layer in (batched, pairs):
        np.testing.assert_allclose(layer.adapt_mean.numpy(), whole.adapt_mean.numpy(), rtol=1e-6)
        np.testing.assert_allclose(
            layer.adapt_variance.numpy(), whole.adapt_variance.numpy(), rtol=1e-5
        )


def test_invert_undoes_normalization_and_tiny_variance_is_floored():
    layer, inverse = NORM(), NORM(invert=True)
    layer.adapt(DATA)
    inverse.adapt(DATA)
    np.testing.assert_allclose(inverse(layer(DATA)).numpy(), DATA, rtol=1e-5, atol=1e-5)
    constant = NORM(mean=2.0, variance=0.0)
    np.testing.assert_allclose(
        constant(np.array([[2.0, 2.5]], "float32")).numpy(), [[0.0, 0.5 / 1e-7]], rtol=1e-5
    )


def test_rescaling_casts_integers_and_trains_after_normalization():
    out = RS(1 / 255)(np.array([[0, 255]], "uint8"))
    assert out.dtype == "float32" and out.numpy().tolist() == [[0.0, 1.0]]
    norm = NORM()
    norm.adapt(DATA.reshape(12, -1))
    numkeras.utils.set_random_seed(0)
    model = numkeras.Sequential([numkeras.Input((12,)), norm, layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(DATA.reshape(12, -1), np.ones((12, 1)), epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert norm.trainable_weights == [] and len(norm.non_trainable_weights) == 3


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # inside Keras's torch backend
@pytest.mark.parametrize("cls, kwargs, shape, n_weights", CASES)
def test_matches_real_keras(keras, cls, kwargs, shape, n_weights):
    x = np.random.default_rng(1).normal(size=shape).astype("float32") * 3 + 1
    theirs = getattr(keras.layers, cls.__name__)(**kwargs)
    ours = cls.from_config({**theirs.get_config(), "name": "ours"})
    if n_weights:
        theirs.adapt(x)
        ours.adapt(x)
        for a, b in zip(ours.get_weights()[:2], theirs.get_weights()[:2]):
            np.testing.assert_allclose(a, keras.ops.convert_to_numpy(b), rtol=1e-5, atol=1e-6)
        assert [w.path.split("/")[-1] for w in ours.weights] == [
            w.path.split("/")[-1] for w in theirs.weights
        ]
    np.testing.assert_allclose(
        ours(x).numpy(), keras.ops.convert_to_numpy(theirs(x)), rtol=1e-5, atol=1e-5
    )
    assert ours.get_config().keys() == theirs.get_config().keys()
    getattr(keras.layers, cls.__name__).from_config(ours.get_config())  # Keras loads ours


@pytest.mark.parametrize(
    "cls, kwargs, message",
    [
        (NORM, {"mean": 1.0}, "Normalization: `mean` and `variance` must be set together"),
        (NORM, {"mean": [1.0, 2.0], "variance": [1.0]}, "must have the same shape"),
        (NORM, {"axis": -1, "mean": np.ones((2, 2)), "variance": np.ones((2, 2))}, "rank at most"),
        (NORM, {"axis": "last"}, "Normalization: `axis`"),
        (RS, {"scale": "big"}, "Rescaling: `scale`"),
        (RS, {"scale": 1.0, "offset": [None]}, "Rescaling: `offset`"),
    ],
)
def test_bad_arguments_name_the_argument(cls, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cls(**kwargs)


def test_adapt_and_build_errors_name_the_layer():
    with pytest.raises(ValueError, match=r'"norm": axis=\(3,\) is out of bounds'):
        NORM(axis=3, name="norm")(np.zeros((2, 3), "float32"))
    layer = NORM(name="norm2")
    layer.adapt(np.zeros((4, 3), "float32"))
    with pytest.raises(ValueError, match=r'"norm2": adapt\(\) data of shape \(4, 5\)'):
        layer.adapt(np.zeros((4, 5), "float32"))
    with pytest.raises(ValueError, match="cannot change a given mean"):
        NORM(mean=0.0, variance=1.0).adapt(np.zeros((4, 3), "float32"))
