"""ReversibleEmbedding, Pipeline and Wrapper against real Keras."""

import json

import numpy as np
import pytest

from numkeras import layers
from tests.engine.gradcheck import rand
from tests.layers.keras_parity import (
    assert_keras_files_both_ways,
    assert_matches_keras,
    get_keras,
)

IDS = np.array([[1, 4, 0], [9, 2, 2]])


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize(
    "kwargs",
    [
        {"input_dim": 10, "output_dim": 4},
        {"input_dim": 10, "output_dim": 4, "tie_weights": False, "logit_soft_cap": 2.0},
    ],
)
def test_reversible_embedding_matches_keras(kwargs):
    ours, theirs = assert_matches_keras("ReversibleEmbedding", kwargs, IDS, grads=False)
    x = rand(2, 3, 4, dtype="float32")
    assert_matches_keras("ReversibleEmbedding", kwargs, x, reverse=True)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_reversible_embedding_keras_files_both_ways(tmp_path):
    assert_keras_files_both_ways(
        "ReversibleEmbedding",
        {"input_dim": 10, "output_dim": 3, "tie_weights": False},
        IDS.astype("float32"),
        tmp_path,
    )


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_pipeline_matches_keras_and_round_trips():
    keras = get_keras()
    x = rand(2, 8, 6, 3, dtype="float32")

    def chain(lib):
        return lib.layers.Pipeline(
            [
                lib.layers.Rescaling(0.5, offset=1.0),
                lib.layers.Resizing(4, 3),
                lib.layers.CenterCrop(2, 2),
            ]
        )

    ours, theirs = chain(__import__("numkeras")), chain(keras)
    np.testing.assert_allclose(
        ours(x).numpy(), keras.ops.convert_to_numpy(theirs(x)), rtol=1e-5, atol=1e-6
    )
    config = ours.get_config()
    keras_config = json.loads(json.dumps(theirs.get_config()))  # as a .keras file holds it
    assert [c["class_name"] for c in config["layers"]] == [
        c["class_name"] for c in keras_config["layers"]
    ]
    rebuilt = layers.Pipeline.from_config(keras_config)
    np.testing.assert_allclose(rebuilt(x).numpy(), ours(x).numpy())
    assert keras.layers.Pipeline.from_config(config).layers[1].height == 4
    assert ours.compute_output_shape((None, 8, 6, 3)) == (None, 2, 2, 3)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_wrapper_config_matches_keras():
    keras = get_keras()

    class Twice(layers.Wrapper):
        def call(self, x):
            return self.layer(self.layer(x))

    wrapped = Twice(layers.Dense(3, name="inner"))
    y = wrapped(np.ones((2, 3), "float32"))
    assert y.shape == (2, 3) and len(wrapped.weights) == 2
    theirs = keras.layers.Wrapper(keras.layers.Dense(3, name="inner"))
    config, keras_config = wrapped.get_config(), theirs.get_config()
    assert config["layer"]["class_name"] == keras_config["layer"]["class_name"] == "Dense"
    assert config["layer"]["config"]["units"] == keras_config["layer"]["config"]["units"]
    assert set(config) == set(keras_config)
    assert Twice.from_config(config).layer.units == 3
    with pytest.raises(ValueError, match="Wrapper"):
        layers.Wrapper("dense")
