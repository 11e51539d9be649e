"""GroupNormalization, RMSNormalization, AdditiveAttention and AlphaDropout against real Keras:
outputs and gradients after a weight copy, configs, harness, `.keras` files both ways."""

import numpy as np
import pytest

from numkeras import layers
from tests.engine.gradcheck import rand
from tests.layers.harness import run_layer_test
from tests.layers.keras_parity import assert_keras_files_both_ways, assert_matches_keras

CASES = [  # (name, kwargs, input shape(s))
    ("GroupNormalization", {"groups": 2}, (3, 5, 4)),
    ("GroupNormalization", {"groups": -1, "epsilon": 1e-5}, (3, 4, 3, 6)),
    ("GroupNormalization", {"groups": 3, "axis": 1, "center": False}, (2, 6, 4, 2)),
    ("GroupNormalization", {"groups": 1, "scale": False}, (4, 8)),
    ("RMSNormalization", {}, (3, 5, 8)),
    ("RMSNormalization", {"axis": [1, 2], "epsilon": 1e-3}, (3, 4, 6)),
    ("AdditiveAttention", {}, [(2, 3, 4), (2, 5, 4)]),
    ("AdditiveAttention", {"use_scale": False}, [(2, 3, 4), (2, 5, 4), (2, 5, 4)]),
    ("AlphaDropout", {"rate": 0.3, "seed": 1}, (4, 6)),
]


def _inputs(shape, seed=2):
    if isinstance(shape, list):
        return [rand(*s, seed=seed + i, dtype="float32") for i, s in enumerate(shape)]
    return rand(*shape, seed=seed, dtype="float32")


def _id(case):
    return f"{case[0]}-{'-'.join(map(str, case[1].values()))}"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("name, kwargs, shape", CASES, ids=[_id(c) for c in CASES])
def test_matches_keras(name, kwargs, shape):
    assert_matches_keras(name, kwargs, _inputs(shape))


@pytest.mark.parametrize("name, kwargs, shape", CASES, ids=[_id(c) for c in CASES])
def test_harness(name, kwargs, shape):
    layer = getattr(layers, name)(**kwargs)
    layer(_inputs(shape))
    run_layer_test(
        getattr(layers, name),
        kwargs,
        input_shape=shape,
        expected_num_weights=len(layer.weights),
        deterministic=name != "AlphaDropout",
    )


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("GroupNormalization", {"groups": 2}),
        ("RMSNormalization", {}),
    ],
)
def test_keras_files_both_ways(name, kwargs, tmp_path):
    assert_keras_files_both_ways(name, kwargs, _inputs((3, 5, 4), seed=5), tmp_path)


def test_alpha_dropout_keeps_selu_statistics_and_drops_to_the_saturation():
    rate = 0.25
    x = np.random.default_rng(0).standard_normal((4000, 50)).astype("float32")
    y = layers.AlphaDropout(rate, seed=3)(x, training=True).numpy()
    alpha_p = -1.6732632423543772 * 1.0507009873554805
    a = ((1 - rate) * (1 + rate * alpha_p**2)) ** -0.5
    b = -a * alpha_p * rate
    kept = np.isclose(y, a * x + b, atol=1e-6)
    np.testing.assert_allclose(y[~kept], a * alpha_p + b, rtol=1e-6)
    assert abs((~kept).mean() - rate) < 0.01
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02
    np.testing.assert_array_equal(layers.AlphaDropout(rate)(x).numpy(), x)


def test_bad_arguments():
    with pytest.raises(ValueError, match="groups"):
        layers.GroupNormalization(groups=0)
    with pytest.raises(ValueError, match="cannot be split"):
        layers.GroupNormalization(groups=4)(np.zeros((2, 6), "float32"))
    with pytest.raises(ValueError, match="rate"):
        layers.AlphaDropout(1.5)
