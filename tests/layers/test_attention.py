"""Attention and MultiHeadAttention: harness, torch (scaled_dot_product_attention) forward and
gradients, real Keras after copying weights (masks, causal, attention axes, gates), configs,
functional models, dropout, bad arguments."""

import numpy as np
import pytest

import numkeras
from numkeras import layers
from numkeras.saving import deserialize_keras_object
from tests.layers.harness import run_layer_test
from tests.layers.reference import assert_matches_torch

MHA = layers.MultiHeadAttention
CASES = [
    (layers.Attention, {}, [(2, 3, 4), (2, 5, 4)], (2, 3, 4), 0),
    (layers.Attention, {"use_scale": True}, [(2, 3, 4), (2, 5, 6), (2, 5, 4)], (2, 3, 6), 1),
    (layers.Attention, {"score_mode": "concat"}, [(2, 3, 4), (2, 5, 4)], (2, 3, 4), 1),
    (
        layers.Attention,
        {"score_mode": "concat", "use_scale": True, "dropout": 0.5},
        [(2, 3, 4), (2, 5, 4)],
        (2, 3, 4),
        2,
    ),
    (MHA, {"num_heads": 2, "key_dim": 3}, [(2, 4, 6), (2, 5, 6)], (2, 4, 6), 8),
    (
        MHA,
        {"num_heads": 2, "key_dim": 3, "value_dim": 4, "output_shape": (2, 5)},
        [(2, 4, 6), (2, 5, 7), (2, 5, 3)],
        (2, 4, 2, 5),
        8,
    ),
    (
        MHA,
        {"num_heads": 3, "key_dim": 2, "use_bias": False, "attention_axes": 2},
        [(2, 3, 4, 6), (2, 3, 5, 6)],
        (2, 3, 4, 6),
        4,
    ),
    (MHA, {"num_heads": 1, "key_dim": 2, "use_gate": True}, [(2, 4, 6), (2, 4, 6)], (2, 4, 6), 10),
]


@pytest.mark.parametrize("cls, kwargs, shapes, out_shape, n_weights", CASES)
def test_harness(cls, kwargs, shapes, out_shape, n_weights):
    run_layer_test(
        cls,
        kwargs,
        input_shape=shapes,
        expected_output_shape=out_shape,
        expected_num_weights=n_weights,
        deterministic=not kwargs.get("dropout"),
    )


def _arrays(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=s).astype("float32") for s in shapes]


def _np(keras, x):
    return (
        [_np(keras, t) for t in x]
        if isinstance(x, (list, tuple))
        else (keras.ops.convert_to_numpy(x))
    )


# --- Attention --------------------------------------------------------------------------------
def _masks(seed=1):
    rng = np.random.default_rng(seed)
    q_mask, v_mask = rng.random((2, 3)) > 0.3, rng.random((2, 5)) > 0.3
    v_mask[:, 0] = True  # every query keeps at least one value
    return [q_mask, v_mask]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"use_scale": True},
        {"score_mode": "concat"},
        {"score_mode": "concat", "use_scale": True},
    ],
)
@pytest.mark.parametrize(
    "call",
    [
        {},
        {"use_causal_mask": True},
        {"mask": "masks"},
        {"mask": "masks", "use_causal_mask": True},
        {"return_attention_scores": True},
    ],
)
def test_attention_matches_real_keras(keras, kwargs, call):
    inputs = _arrays((2, 3, 4), (2, 5, 4), (2, 5, 4))
    call = {**call, "mask": _masks()} if call.get("mask") else call
    theirs = keras.layers.Attention(**kwargs)
    expected = _np(keras, theirs(inputs, **call))
    ours = layers.Attention.from_config({**theirs.get_config(), "name": "ours"})
    ours(inputs)
    ours.set_weights([np.float32(0.7) for _ in theirs.weights])
    theirs.set_weights([np.float32(0.7) for _ in theirs.weights])
    expected = _np(keras, theirs(inputs, **call))
    got = ours(inputs, **call)
    for a, b in zip(
        got if isinstance(got, tuple) else [got],
        expected if isinstance(expected, list) else [expected],
    ):
        np.testing.assert_allclose(a.numpy(), b, rtol=1e-5, atol=1e-6)
    assert ours.get_config() == {**theirs.get_config(), "name": "ours", "dtype": "float32"}


def test_attention_uses_the_inputs_keras_masks():
    q, v = (numkeras.ops.convert_to_tensor(a) for a in _arrays((2, 3, 4), (2, 5, 4)))
    q_mask, v_mask = _masks()
    q._keras_mask, v._keras_mask = q_mask, v_mask
    layer = layers.Attention()
    out = layer([q, v])
    np.testing.assert_array_equal(out._keras_mask, q_mask)
    np.testing.assert_allclose(
        out.numpy(), layer([q.numpy(), v.numpy()], mask=[q_mask, v_mask]).numpy()
    )
    assert (out.numpy()[~q_mask] == 0).all()


def test_attention_matches_torch_with_gradients(torch):
    layer = layers.Attention(use_scale=True)
    inputs = _arrays((2, 3, 4), (2, 5, 6), (2, 5, 4))
    layer(inputs)
    layer.scale.assign(np.float32(0.6))

    def fn(ts, ws):
        q, v, k = ts
        return torch.softmax(q @ k.transpose(-1, -2) * ws[0], dim=-1) @ v

    assert_matches_torch(layer, inputs, fn)


def test_attention_dropout_drops_weights_only_in_training():
    layer = layers.Attention(dropout=0.5, seed=3)
    q, v = _arrays((4, 6, 3), (4, 8, 3))
    _, eval_scores = layer([q, v], return_attention_scores=True)
    np.testing.assert_allclose(eval_scores.numpy().sum(-1), 1.0, rtol=1e-5)
    _, scores = layer([q, v], return_attention_scores=True, training=True)
    dropped = scores.numpy() == 0
    assert 0.3 < dropped.mean() < 0.7
    np.testing.assert_allclose(
        scores.numpy()[~dropped], 2 * eval_scores.numpy()[~dropped], rtol=1e-5
    )


# --- MultiHeadAttention against real Keras ------------------------------------------------------
MHA_KERAS_CASES = [
    ({"num_heads": 2, "key_dim": 3}, [(2, 4, 6), (2, 5, 6)], {}),
    (
        {"num_heads": 2, "key_dim": 3, "value_dim": 4, "output_shape": (2, 3)},
        [(2, 4, 6), (2, 5, 7), (2, 5, 3)],
        {},
    ),
    (
        {"num_heads": 3, "key_dim": 2, "attention_axes": (2,)},
        [(2, 3, 4, 6), (2, 3, 5, 6)],
        {"return_attention_scores": True},
    ),
    (
        {"num_heads": 3, "key_dim": 2},
        [(2, 3, 4, 6), (2, 2, 5, 6)],
        {"return_attention_scores": True},
    ),
    ({"num_heads": 2, "key_dim": 3}, [(2, 4, 6), (2, 4, 6)], {"use_causal_mask": True}),
    (
        {"num_heads": 2, "key_dim": 3, "use_bias": False},
        [(2, 4, 6), (2, 5, 6)],
        {"attention_mask": "random", "return_attention_scores": True},
    ),
    (
        {"num_heads": 2, "key_dim": 3, "use_gate": True, "sliding_window": 2},
        [(2, 4, 6), (2, 4, 6)],
        {"use_causal_mask": True},
    ),
    (
        {"num_heads": 4, "key_dim": 2, "dropout": 0.3},
        [(2, 4, 6), (2, 5, 6)],
        {"attention_mask": "random", "return_attention_scores": True},
    ),
]


def _mha_call(inputs, call):
    if call.get("attention_mask") == "random":
        mask = np.random.default_rng(2).random((2, inputs[0].shape[1], inputs[1].shape[1])) > 0.3
        call = {**call, "attention_mask": mask}
    return call


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("kwargs, shapes, call", MHA_KERAS_CASES)
def test_mha_matches_real_keras_after_weight_copy(keras, kwargs, shapes, call):
    inputs = _arrays(*shapes)
    call = _mha_call(inputs, call)
    theirs = keras.layers.MultiHeadAttention(**kwargs)
    ours = deserialize_keras_object(keras.saving.serialize_keras_object(theirs))
    expected = _np(keras, theirs(*inputs, **call))
    ours(*inputs)
    assert [(w.path, w.shape) for w in ours.weights] == [
        (w.path, tuple(w.shape)) for w in theirs.weights
    ]
    ours.set_weights(theirs.get_weights())  # Keras's get_weights order is ours
    got = ours(*inputs, **call)
    for a, b in zip(
        got if isinstance(got, tuple) else [got],
        expected if isinstance(expected, list) else [expected],
    ):
        np.testing.assert_allclose(a.numpy(), b, rtol=1e-5, atol=2e-6)
    plain = {
        k: v["class_name"]
        if k.endswith("_initializer")
        else (list(v) if isinstance(v, tuple) else v)
        for k, v in theirs.get_config().items()
    }
    ours_config = {
        k: v["class_name"] if k.endswith("_initializer") else v
        for k, v in ours.get_config().items()
    }
    assert ours_config == {**plain, "dtype": "float32"}


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_mha_keras_masks_match_keras_attention_mask(keras):
    q, v = _arrays((2, 4, 6), (2, 5, 6))
    q_mask = np.array([[1, 1, 1, 0], [1, 1, 0, 0]], bool)
    v_mask = np.array([[1, 1, 1, 1, 0], [1, 0, 1, 0, 1]], bool)
    theirs = keras.layers.MultiHeadAttention(2, 3)
    # with return_attention_scores Keras takes its einsum path, whose masked softmax gives
    # zeros where every key is masked (its fused path gives backend-dependent values there)
    expected, _ = _np(
        keras,
        theirs(
            q, v, attention_mask=q_mask[:, :, None] & v_mask[:, None], return_attention_scores=True
        ),
    )
    ours = layers.MultiHeadAttention(2, 3)
    qt, vt = numkeras.ops.convert_to_tensor(q), numkeras.ops.convert_to_tensor(v)
    qt._keras_mask, vt._keras_mask = q_mask, v_mask
    ours(qt, vt)
    ours.set_weights(theirs.get_weights())
    out = ours(qt, vt)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=2e-6)
    np.testing.assert_array_equal(out._keras_mask, q_mask)  # the output keeps the query's mask


# --- MultiHeadAttention core against torch ------------------------------------------------------
@pytest.mark.parametrize("causal, masked", [(False, False), (True, False), (False, True)])
def test_mha_matches_torch_scaled_dot_product_attention(torch, causal, masked):
    F = torch.nn.functional
    layer = layers.MultiHeadAttention(
        num_heads=2, key_dim=3, value_dim=4, bias_initializer="random_normal"
    )
    inputs = _arrays((2, 4, 6), (2, 5, 7), (2, 5, 8))
    mask = np.random.default_rng(4).random((2, 4, 5)) > 0.3 if masked else None
    mask = mask if mask is None else mask | np.eye(4, 5, dtype=bool)  # no empty rows
    if causal:
        inputs[1], inputs[2] = inputs[1][:, :4], inputs[2][:, :4]
    layer(*inputs)

    def fn(ts, ws):
        q, v, k = ts
        wq, bq, wk, bk, wv, bv, wo, bo = ws

        def heads(x, w, b):  # (B, T, dim) -> (B, heads, T, head_dim)
            return (torch.einsum("btd,dhk->bthk", x, w) + b).transpose(1, 2)

        attn_mask = None if mask is None else torch.tensor(mask)[:, None]
        o = F.scaled_dot_product_attention(
            heads(q, wq, bq),
            heads(k, wk, bk),
            heads(v, wv, bv),
            attn_mask=attn_mask,
            is_causal=causal,
        )
        return torch.einsum("bthv,hvd->btd", o.transpose(1, 2), wo) + bo

    assert_matches_torch(layer, inputs, fn, atol=2e-5, use_causal_mask=causal, attention_mask=mask)


# --- behaviour ------------------------------------------------------------------------------------
def test_mha_dropout_only_in_training_and_repeatable():
    q = _arrays((2, 6, 8))[0]
    a, b = (
        layers.MultiHeadAttention(2, 4, dropout=0.5, seed=1),
        layers.MultiHeadAttention(2, 4, dropout=0.5, seed=1),
    )
    a(q, q)
    b(q, q)
    b.set_weights(a.get_weights())
    np.testing.assert_allclose(a(q, q).numpy(), b(q, q).numpy())
    np.testing.assert_allclose(a(q, q, training=True).numpy(), b(q, q, training=True).numpy())
    assert not np.allclose(a(q, q, training=True).numpy(), a(q, q).numpy())
    _, scores = a(q, q, return_attention_scores=True, training=True)
    np.testing.assert_allclose(scores.numpy().sum(-1), 1.0, rtol=1e-5)  # scores before dropout


def test_mha_in_a_functional_model_trains_and_round_trips(tmp_path):
    query, value = numkeras.Input((4, 6)), numkeras.Input((5, 6))
    attended = layers.MultiHeadAttention(2, 3, kernel_constraint="max_norm")(query, value)
    model = numkeras.Model([query, value], layers.Dense(1)(layers.Flatten()(attended)))
    q, v = _arrays((8, 4, 6), (8, 5, 6))
    model.compile(optimizer="adam", loss="mse")
    model.fit([q, v], np.ones((8, 1), "float32"), epochs=2, verbose=0)
    mha = model.layers[2]
    assert mha.query_dense.kernel.constraint is mha.kernel_constraint
    norms = np.linalg.norm(mha.query_dense.kernel.numpy(), axis=0)
    assert (norms <= 2 + 1e-5).all()
    expected = model.layers[-1](model.layers[-2](mha(q, v))).numpy()
    np.testing.assert_allclose(model([q, v]).numpy(), expected, rtol=1e-5)
    path = str(tmp_path / "mha.keras")
    model.save(path)
    loaded = numkeras.saving.load_model(path)
    np.testing.assert_allclose(loaded([q, v]).numpy(), expected, rtol=1e-5)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("use_gate", [False, True])
def test_mha_keras_files_load_both_ways(keras, tmp_path, use_gate):
    q, v, k = _arrays((3, 4, 6), (3, 5, 6), (3, 5, 2))

    def build(lib):
        query, value, key = lib.Input((4, 6)), lib.Input((5, 6)), lib.Input((5, 2))
        out = lib.layers.MultiHeadAttention(
            2, 3, value_dim=4, use_gate=use_gate, bias_initializer="random_normal"
        )(query, value, key)
        return lib.Model([query, value, key], lib.layers.GlobalAveragePooling1D()(out))

    ours = build(numkeras)
    ours.save(str(tmp_path / "ours.keras"))
    theirs = keras.saving.load_model(str(tmp_path / "ours.keras"))
    np.testing.assert_allclose(
        _np(keras, theirs([q, v, k])), ours([q, v, k]).numpy(), rtol=1e-5, atol=1e-6
    )
    theirs = build(keras)
    theirs.save(str(tmp_path / "theirs.keras"))
    loaded = numkeras.saving.load_model(str(tmp_path / "theirs.keras"))
    np.testing.assert_allclose(
        loaded([q, v, k]).numpy(), _np(keras, theirs([q, v, k])), rtol=1e-5, atol=1e-6
    )


# --- bad arguments --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "cls, kwargs, name",
    [
        (layers.Attention, {"score_mode": "add"}, "score_mode"),
        (layers.Attention, {"dropout": 1.5}, "dropout"),
        (MHA, {"num_heads": 0, "key_dim": 2}, "num_heads"),
        (MHA, {"num_heads": 2, "key_dim": 2.5}, "key_dim"),
        (MHA, {"num_heads": 2, "key_dim": 2, "value_dim": -1}, "value_dim"),
        (MHA, {"num_heads": 2, "key_dim": 2, "dropout": -0.1}, "dropout"),
        (MHA, {"num_heads": 2, "key_dim": 2, "output_shape": (4, 0)}, "output_shape"),
        (MHA, {"num_heads": 2, "key_dim": 2, "attention_axes": "time"}, "attention_axes"),
        (MHA, {"num_heads": 2, "key_dim": 2, "sliding_window": 0}, "sliding_window"),
    ],
)
def test_bad_arguments_name_the_argument(cls, kwargs, name):
    with pytest.raises(ValueError, match=f"{cls.__name__}: `{name}`"):
        cls(**kwargs)


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: layers.Attention(name="att")(np.ones((2, 3, 4), "float32")),
            r'"att" must be .* list',
        ),
        (lambda: layers.Attention(name="att")([np.ones((2, 3, 4), "float32")] * 4), "length 4"),
        (lambda: MHA(2, 3, name="mha")(np.ones((2, 3, 4), "float32")), '"mha" needs `query`'),
        (
            lambda: MHA(2, 3, name="mha")(*_arrays((2, 3, 4), (2, 5, 4), (2, 6, 4))),
            '"mha": all dimensions of `value` and `key`',
        ),
        (
            lambda: MHA(2, 3, attention_axes=3, name="mha")(*_arrays((2, 3, 4), (2, 5, 4))),
            '"mha": `attention_axes`',
        ),
    ],
)
def test_bad_calls_name_the_layer(call, message):
    with pytest.raises(ValueError, match=message):
        call()
