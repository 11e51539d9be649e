"""CategoryEncoding and Discretization against real Keras: values, dtypes, adapt, configs."""

import numpy as np
import pytest

from numkeras import layers
from tests.layers.keras_parity import comparable, get_keras

IDS = np.array([[0, 1, 3, 3], [2, 2, 0, 1], [4, 0, 0, 0]])
WEIGHTS = np.array([[0.5, 1.0, 2.0, 1.5], [1.0, 1.0, 1.0, 1.0], [3.0, 0.1, 0.2, 0.3]], "float32")
VALUES = np.random.default_rng(0).normal(size=(6, 5)).astype("float32")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize(
    "kwargs, inputs",
    [
        ({"num_tokens": 5}, IDS),
        ({"num_tokens": 6, "output_mode": "count"}, IDS),
        ({"num_tokens": 5, "output_mode": "one_hot"}, IDS[:, :1]),
        ({"num_tokens": 5, "output_mode": "one_hot"}, IDS[0]),
        ({"num_tokens": 5, "output_mode": "binary"}, IDS[1]),
    ],
)
def test_category_encoding_matches_keras(kwargs, inputs):
    keras = get_keras()
    ours, theirs = layers.CategoryEncoding(**kwargs), keras.layers.CategoryEncoding(**kwargs)
    y, expected = ours(inputs).numpy(), keras.ops.convert_to_numpy(theirs(inputs))
    np.testing.assert_array_equal(y, expected)
    assert y.dtype == expected.dtype
    assert tuple(ours.compute_output_shape(inputs.shape)) == tuple(
        theirs.compute_output_shape(inputs.shape)
    )
    assert comparable(ours.get_config()) == comparable(theirs.get_config())


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_category_encoding_count_weights():
    keras = get_keras()
    kwargs = {"num_tokens": 5, "output_mode": "count"}
    np.testing.assert_allclose(
        layers.CategoryEncoding(**kwargs)(IDS, count_weights=WEIGHTS).numpy(),
        keras.ops.convert_to_numpy(
            keras.layers.CategoryEncoding(**kwargs)(IDS, count_weights=WEIGHTS)
        ),
    )
    with pytest.raises(ValueError, match="count_weights"):
        layers.CategoryEncoding(5)(IDS, count_weights=WEIGHTS)
    with pytest.raises(ValueError, match="0 <= values < 3"):
        layers.CategoryEncoding(3)(IDS)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize(
    "kwargs",
    [
        {"bin_boundaries": [-0.5, 0.0, 0.7]},
        {"bin_boundaries": [0.0, 1.0], "output_mode": "one_hot"},
        {"bin_boundaries": [-1.0, 0.0, 1.0], "output_mode": "multi_hot"},
        {"bin_boundaries": [0.0], "output_mode": "count"},
        {"num_bins": 4},
        {"num_bins": 3, "epsilon": 0.1},
    ],
)
def test_discretization_matches_keras(kwargs):
    keras = get_keras(tensorflow=True)
    ours, theirs = layers.Discretization(**kwargs), keras.layers.Discretization(**kwargs)
    if "num_bins" in kwargs:
        data = np.random.default_rng(1).exponential(size=(500, 2)).astype("float32")
        ours.adapt(data)
        theirs.adapt(data)
        np.testing.assert_allclose(ours.bin_boundaries, theirs.bin_boundaries, rtol=1e-6)
    y, expected = ours(VALUES).numpy(), keras.ops.convert_to_numpy(theirs(VALUES))
    np.testing.assert_array_equal(y, expected)
    assert y.dtype == expected.dtype
    assert comparable(ours.get_config()) == comparable(theirs.get_config())
    clone = layers.Discretization.from_config(theirs.get_config())
    np.testing.assert_array_equal(clone(VALUES).numpy(), expected)


def test_discretization_adapts_over_batches_and_checks_arguments():
    data = np.arange(100, dtype="float32")
    layer = layers.Discretization(num_bins=4)
    layer.adapt([data[:50], data[50:]])
    assert layer(np.array([10.0, 30.0, 60.0, 90.0])).numpy().tolist() == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="either"):
        layers.Discretization()
    with pytest.raises(ValueError, match="adapt"):
        layers.Discretization(num_bins=3)(data)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_layers_serialize_and_deserialize_both_ways():
    keras = get_keras()
    ours = layers.EinsumDense("ab,bc->ac", 4, bias_axes="c", name="proj")
    config = layers.serialize(ours)
    assert config["class_name"] == "EinsumDense" and config["module"] == "keras.layers"
    theirs = keras.layers.deserialize(config)
    assert theirs.get_config()["equation"] == "ab,bc->ac"
    back = layers.deserialize(keras.layers.serialize(theirs))
    assert type(back) is layers.EinsumDense and back.name == "proj"
    with pytest.raises(ValueError, match="not a `Layer`"):
        layers.deserialize(keras.losses.serialize(keras.losses.Dice()))
