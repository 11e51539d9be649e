"""GroupQueryAttention against real Keras: weights, outputs, scores, gradients, config and
`.keras` files both ways."""

import numpy as np
import pytest

import numkeras
from numkeras import layers
from tests.engine.gradcheck import rand
from tests.layers.keras_parity import comparable, get_keras, keras_grads, our_grads

CASES = [  # (kwargs, shapes, call kwargs)
    ({"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2}, [(2, 4, 6), (2, 5, 6)], {}),
    (
        {"head_dim": 2, "num_query_heads": 3, "num_key_value_heads": 1, "use_bias": False},
        [(2, 4, 6), (2, 5, 7), (2, 5, 3)],
        {"return_attention_scores": True},
    ),
    (
        {
            "head_dim": 2,
            "num_query_heads": 4,
            "num_key_value_heads": 4,
            "use_gate": True,
            "sliding_window": 2,
        },
        [(2, 4, 6), (2, 4, 6)],
        {"use_causal_mask": True},
    ),
    (
        {"head_dim": 3, "num_query_heads": 2, "num_key_value_heads": 1},
        [(2, 4, 6), (2, 5, 6)],
        {"attention_mask": "random", "return_attention_scores": True},
    ),
]


def _call(inputs, call):
    if call.get("attention_mask") == "random":
        mask = np.random.default_rng(2).random((2, inputs[0].shape[1], inputs[1].shape[1])) > 0.3
        call = {**call, "attention_mask": mask}
    return call


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("kwargs, shapes, call", CASES)
def test_matches_keras_after_weight_copy(kwargs, shapes, call):
    keras = get_keras()
    inputs = [rand(*s, seed=i, dtype="float32") for i, s in enumerate(shapes)]
    call = _call(inputs, call)
    theirs = keras.layers.GroupQueryAttention(**kwargs)
    ours = numkeras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(theirs))
    assert type(ours) is layers.GroupQueryAttention
    expected = theirs(*inputs, **call)
    ours(*inputs)
    assert [(w.path, w.shape) for w in ours.weights] == [
        (w.path, tuple(w.shape)) for w in theirs.weights
    ]
    ours.set_weights(theirs.get_weights())
    got = ours(*inputs, **call)
    expected = expected if isinstance(expected, tuple) else (expected,)
    for a, b in zip(got if isinstance(got, tuple) else (got,), expected):
        np.testing.assert_allclose(a.numpy(), keras.ops.convert_to_numpy(b), rtol=1e-5, atol=2e-6)
    assert comparable(ours.get_config()) == comparable(theirs.get_config())


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_gradients_match_keras():
    keras = get_keras()
    kwargs = {"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2}
    q = rand(2, 4, 6, seed=3, dtype="float32")
    theirs, ours = keras.layers.GroupQueryAttention(**kwargs), layers.GroupQueryAttention(**kwargs)
    theirs(q, q)
    ours(q, q)
    ours.set_weights(theirs.get_weights())

    class SelfAttention:  # one input, so the helpers' input gradient is the query's
        def __init__(self, layer):
            self.layer = layer
            self.trainable_weights = layer.trainable_weights

        def __call__(self, x):
            return self.layer(x, x)

    r = np.random.default_rng(1).standard_normal((2, 4, 6)).astype("float32")
    y, grads = our_grads(SelfAttention(ours), q, r)
    ty, tgrads = keras_grads(keras, SelfAttention(theirs), q, r)
    np.testing.assert_allclose(y, ty, rtol=1e-5, atol=2e-6)
    for a, b in zip(grads, tgrads):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_keras_files_load_both_ways(tmp_path):
    keras = get_keras()
    q, v = rand(3, 4, 6, dtype="float32"), rand(3, 5, 6, seed=1, dtype="float32")

    def build(lib):
        query, value = lib.Input((4, 6)), lib.Input((5, 6))
        out = lib.layers.GroupQueryAttention(2, 4, 2, bias_initializer="random_normal")(
            query, value
        )
        return lib.Model([query, value], lib.layers.GlobalAveragePooling1D()(out))

    ours = build(numkeras)
    ours.save(str(tmp_path / "ours.keras"))
    loaded = keras.saving.load_model(str(tmp_path / "ours.keras"))
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded([q, v])), ours([q, v]).numpy(), rtol=1e-5, atol=1e-6
    )
    theirs = build(keras)
    theirs.save(str(tmp_path / "theirs.keras"))
    mine = numkeras.saving.load_model(str(tmp_path / "theirs.keras"))
    np.testing.assert_allclose(
        mine([q, v]).numpy(), keras.ops.convert_to_numpy(theirs([q, v])), rtol=1e-5, atol=1e-6
    )


def test_heads_must_divide():
    with pytest.raises(ValueError, match="divisible"):
        layers.GroupQueryAttention(2, 3, 2)
