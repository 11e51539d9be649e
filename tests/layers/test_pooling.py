"""Global pooling layers: harness, torch gradients, real Keras, masks, errors."""

import numpy as np
import pytest

from numkeras import layers
from tests.layers.harness import run_layer_test
from tests.layers.reference import assert_matches_torch

GMP1, GMP2 = layers.GlobalMaxPooling1D, layers.GlobalMaxPooling2D
GAP1, GAP2 = layers.GlobalAveragePooling1D, layers.GlobalAveragePooling2D
CF, KEEP = {"data_format": "channels_first"}, {"keepdims": True}

CASES = [
    (GMP1, {}, (2, 5, 3), (2, 3)),
    (GMP1, CF, (2, 3, 5), (2, 3)),
    (GMP1, KEEP, (2, 5, 3), (2, 1, 3)),
    (GMP2, {}, (2, 4, 5, 3), (2, 3)),
    (GMP2, {**CF, **KEEP}, (2, 3, 4, 5), (2, 3, 1, 1)),
    (GAP1, {}, (2, 5, 3), (2, 3)),
    (GAP1, {**CF, **KEEP}, (2, 3, 5), (2, 3, 1)),
    (GAP2, {}, (2, 4, 5, 3), (2, 3)),
    (GAP2, KEEP, (2, 4, 5, 3), (2, 1, 1, 3)),
    (GAP2, CF, (2, 3, 4, 5), (2, 3)),
]


@pytest.mark.parametrize("cls, kwargs, shape, out_shape", CASES)
def test_harness(cls, kwargs, shape, out_shape):
    run_layer_test(cls, kwargs, input_shape=shape, expected_output_shape=out_shape)


def _x(shape, seed=0):
    rng = np.random.default_rng(seed)  # distinct values: the max has one winner
    return (rng.permutation(np.prod(shape)).reshape(shape) / 10).astype("float32")


@pytest.mark.parametrize("cls, kwargs, shape, out_shape", CASES)
def test_matches_torch(torch, cls, kwargs, shape, out_shape):
    first = kwargs.get("data_format") == "channels_first"
    axes = tuple(range(2, len(shape))) if first else tuple(range(1, len(shape) - 1))
    keep = kwargs.get("keepdims", False)
    reduce = torch.amax if "Max" in cls.__name__ else torch.mean
    assert_matches_torch(cls(**kwargs), _x(shape), lambda t, ws: reduce(t, axes, keepdim=keep))


def test_max_ties_share_the_gradient():
    from tests.layers.reference import layer_grads

    x = np.array([[[1.0], [3.0], [3.0]]], "float32")
    _, gx, _ = layer_grads(GMP1(), x, r=np.ones((1, 1), "float32"))
    np.testing.assert_allclose(gx.ravel(), [0.0, 0.5, 0.5])


def test_average_pooling_1d_with_a_mask_averages_unmasked_steps():
    x = np.arange(12, dtype="float32").reshape(2, 3, 2)
    mask = np.array([[True, True, False], [True, False, False]])
    out = GAP1()(x, mask=mask).numpy()
    np.testing.assert_allclose(out, [x[0, :2].mean(0), x[1, :1].mean(0)])
    out_cf = GAP1(data_format="channels_first")(x.transpose(0, 2, 1), mask=mask).numpy()
    np.testing.assert_allclose(out_cf, out)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # inside Keras's torch backend
@pytest.mark.parametrize("cls, kwargs, shape, out_shape", CASES)
def test_matches_real_keras(keras, cls, kwargs, shape, out_shape):
    x = _x(shape)
    theirs = getattr(keras.layers, cls.__name__)(**kwargs)
    ours = cls.from_config({**theirs.get_config(), "name": "ours"})
    np.testing.assert_allclose(ours(x).numpy(), keras.ops.convert_to_numpy(theirs(x)), rtol=1e-6)
    assert sorted(ours.get_config()) == sorted(theirs.get_config())
    assert getattr(layers, cls.__name__.replace("Pooling", "Pool").replace("Average", "Avg")) is cls


@pytest.mark.parametrize(
    "kwargs, name", [({"data_format": "NHWC"}, "data_format"), ({"keepdims": "yes"}, "keepdims")]
)
def test_bad_arguments_name_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=f"GlobalMaxPooling2D: `{name}`"):
        GMP2(**kwargs)


def test_wrong_rank_names_the_layer():
    with pytest.raises(ValueError, match="'gap'.*expected ndim=4, found ndim=3"):
        GAP2(name="gap")(np.zeros((2, 3, 4), "float32"))
