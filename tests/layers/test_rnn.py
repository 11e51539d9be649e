"""Recurrent layers: harness, PyTorch (forward and gradients), real Keras, masks, training."""

import json

import numpy as np
import pytest

import numkeras
from numkeras import layers, ops
from tests.layers.harness import run_layer_test
from tests.layers.reference import assert_matches_torch, layer_grads

# Keras's own Variable.__array__ lacks NumPy 2's `copy` keyword
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
KINDS = ["SimpleRNN", "LSTM", "GRU"]
B, T, D, U = 3, 6, 5, 4


def _x(*shape, seed=1):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


def _randomize(layer, x, seed=0, scale=0.5):
    """Build the layer on `x` and give every weight distinct random values."""
    layer(x)
    rng = np.random.default_rng(seed)
    for v in layer.weights:
        v.assign((rng.standard_normal(v.shape) * scale).astype(v.dtype))
    return layer


# --- the declarative harness ------------------------------------------------------------------
HARNESS = [
    # kwargs, output shape(s), weights
    ({}, (B, U), 3),
    ({"return_sequences": True}, (B, T, U), 3),
    ({"go_backwards": True, "use_bias": False}, (B, U), 2),
    ({"activation": "relu", "return_sequences": True, "go_backwards": True}, (B, T, U), 3),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("kwargs, out_shape, n_weights", HARNESS)
def test_harness(kind, kwargs, out_shape, n_weights):
    run_layer_test(
        getattr(layers, kind),
        {"units": U, **kwargs},
        input_shape=(B, T, D),
        expected_output_shape=out_shape,
        expected_num_weights=n_weights,
    )


@pytest.mark.parametrize("kind", KINDS)
def test_harness_return_state(kind):
    n_states = 2 if kind == "LSTM" else 1
    run_layer_test(
        getattr(layers, kind),
        {"units": U, "return_state": True},
        input_shape=(B, T, D),
        expected_output_shape=[(B, U)] * (1 + n_states),
        expected_num_weights=3,
    )


@pytest.mark.parametrize("kind", KINDS)
def test_harness_dropout(kind):
    run_layer_test(
        getattr(layers, kind),
        {"units": U, "dropout": 0.3, "recurrent_dropout": 0.2, "seed": 1},
        input_shape=(B, T, D),
        expected_output_shape=(B, U),
        expected_num_weights=3,
        deterministic=False,
    )


# --- PyTorch: forward, input and weight gradients -----------------------------------------------
def _torch_fn(kind, return_sequences=False, go_backwards=False, use_bias=True):
    """torch.nn.RNN/LSTM/GRU as a function of (inputs, numkeras weights): the weights are
    transposed (and GRU's z, r, h blocks reordered to torch's r, z, n) inside the graph, so
    torch's gradients come back in numkeras's layout."""
    import torch

    def reorder(w):
        if kind != "GRU":
            return w
        z, r, h = torch.chunk(w, 3, dim=-1)
        return torch.cat([r, z, h], dim=-1)

    def fn(x, weights):
        module = {"SimpleRNN": torch.nn.RNN, "LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU}[kind]
        module = module(D, U, batch_first=True, bias=use_bias)
        params = {"weight_ih_l0": reorder(weights[0]).T, "weight_hh_l0": reorder(weights[1]).T}
        if use_bias:
            bias = weights[2]
            input_bias, recurrent_bias = (
                (bias[0], bias[1]) if kind == "GRU" else (bias, torch.zeros_like(bias))
            )
            params.update(bias_ih_l0=reorder(input_bias), bias_hh_l0=reorder(recurrent_bias))
        y, _ = torch.func.functional_call(module, params, (x.flip(1) if go_backwards else x,))
        return y if return_sequences else y[:, -1]

    return fn


TORCH_CASES = [
    {},
    {"return_sequences": True},
    {"go_backwards": True},
    {"return_sequences": True, "go_backwards": True},
    {"use_bias": False},
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("kwargs", TORCH_CASES)
def test_matches_torch(torch, kind, kwargs):
    layer = _randomize(getattr(layers, kind)(U, **kwargs), _x(B, T, D))
    assert_matches_torch(layer, _x(B, T, D, seed=2), _torch_fn(kind, **kwargs))


def _torch_with_state(kind, x, weights, h0):
    """torch's outputs and final states from initial states `h0` (numkeras weights)."""
    import torch

    module = {"SimpleRNN": torch.nn.RNN, "LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU}[kind]
    module = module(D, U, batch_first=True)
    order = (
        (lambda w: torch.cat([w[..., U : 2 * U], w[..., :U], w[..., 2 * U :]], -1))
        if (kind == "GRU")
        else (lambda w: w)
    )
    weights = [torch.tensor(w) for w in weights]
    bias = weights[2]
    input_bias, recurrent_bias = (
        (bias[0], bias[1]) if kind == "GRU" else (bias, torch.zeros_like(bias))
    )
    params = {
        "weight_ih_l0": order(weights[0]).T,
        "weight_hh_l0": order(weights[1]).T,
        "bias_ih_l0": order(input_bias),
        "bias_hh_l0": order(recurrent_bias),
    }
    h0 = [torch.tensor(h)[None] for h in h0]
    with torch.no_grad():
        y, hn = torch.func.functional_call(
            module, params, (torch.tensor(x), tuple(h0) if kind == "LSTM" else h0[0])
        )
    return y.numpy(), [h[0].numpy() for h in (hn if kind == "LSTM" else (hn,))]


@pytest.mark.parametrize("kind", KINDS)
def test_states_and_initial_state_match_torch(torch, kind):
    layer = _randomize(getattr(layers, kind)(U, return_state=True), _x(B, T, D))
    init = [_x(B, U, seed=10 + i) for i in range(2 if kind == "LSTM" else 1)]
    out, *states = layer(_x(B, T, D), initial_state=init)
    y, final = _torch_with_state(kind, _x(B, T, D), layer.get_weights(), init)
    np.testing.assert_allclose(out.numpy(), y[:, -1], atol=1e-5)
    assert len(states) == len(final)
    for ours, theirs in zip(states, final):
        np.testing.assert_allclose(ours.numpy(), theirs, atol=1e-5)


# --- masks ---------------------------------------------------------------------------------------
def _mask(seed=3):
    mask = np.random.default_rng(seed).random((B, T)) > 0.4
    mask[0] = False  # a sample with every step masked keeps the initial (zero) states
    mask[1, :2] = False  # leading masked steps
    mask[2, 0] = True
    return mask


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("go_backwards", [False, True])
def test_masked_steps_are_skipped(kind, go_backwards):
    """A masked step leaves states and output as they were: each sample's result equals
    running the layer on its unmasked steps only."""
    x, mask = _x(B, T, D), _mask()
    layer = _randomize(getattr(layers, kind)(U, return_state=True, go_backwards=go_backwards), x)
    out, *states = layer(x, mask=mask)
    for i in range(B):
        kept = x[i][mask[i]][None]
        if not kept.shape[1]:
            expected = [np.zeros((1, U), "float32")] * (1 + len(states))
        else:
            expected = [ops.convert_to_numpy(t) for t in layer(kept)]
        for ours, theirs in zip([out] + states, expected):
            np.testing.assert_allclose(ours.numpy()[i], theirs[0], atol=1e-6)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("zero_output_for_mask", [False, True])
def test_masked_sequence_outputs(kind, zero_output_for_mask):
    x, mask = _x(B, T, D), _mask()
    layer = _randomize(
        getattr(layers, kind)(U, return_sequences=True, zero_output_for_mask=zero_output_for_mask),
        x,
    )
    y = layer(x, mask=mask).numpy()
    for i in range(B):
        previous = np.zeros(U, "float32")
        for t in range(T):
            if not mask[i, t]:
                expected = np.zeros(U) if zero_output_for_mask else previous
                np.testing.assert_array_equal(y[i, t], expected)
            previous = y[i, t]


@pytest.mark.parametrize("kind", KINDS)
def test_mask_from_keras_mask_attribute_and_propagation(kind):
    """A mask carried by the inputs (as Embedding(mask_zero=True) leaves it) is used and,
    with return_sequences, passed on to the next layer."""
    x, mask = _x(B, T, D), _mask()
    layer = _randomize(getattr(layers, kind)(U, return_sequences=True), x)
    tensor = ops.convert_to_tensor(x)
    tensor._keras_mask = mask
    y = layer(tensor)
    np.testing.assert_array_equal(y.numpy(), layer(x, mask=mask).numpy())
    assert y._keras_mask is mask
    last = getattr(layers, kind)(U)
    _randomize(last, y)
    np.testing.assert_array_equal(last(y).numpy(), last(y, mask=mask).numpy())


@pytest.mark.skipif(not hasattr(layers, "Embedding"), reason="no Embedding layer yet")
@pytest.mark.parametrize("kind", KINDS)
def test_embedding_mask_zero_matches_keras(keras, kind):
    tokens = np.array([[3, 5, 0, 0, 0], [0, 0, 2, 7, 1], [4, 0, 6, 0, 9]])
    ours = numkeras.Sequential([layers.Embedding(10, D, mask_zero=True), getattr(layers, kind)(U)])
    theirs = keras.Sequential(
        [keras.layers.Embedding(10, D, mask_zero=True), getattr(keras.layers, kind)(U)]
    )
    ours(tokens)
    theirs(tokens)
    rng = np.random.default_rng(0)
    theirs.set_weights(
        [rng.standard_normal(w.shape).astype("float32") * 0.5 for w in ours.get_weights()]
    )
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(
        ours.predict(tokens, verbose=0), theirs.predict(tokens, verbose=0), atol=1e-5
    )


# --- real Keras 3 -------------------------------------------------------------------------------
KERAS_CASES = [
    {},
    {"return_sequences": True, "go_backwards": True},
    {"return_sequences": True, "return_state": True},
]


def _flat(y):
    return list(y) if isinstance(y, (list, tuple)) else [y]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("kwargs", KERAS_CASES)
@pytest.mark.parametrize("masked", [False, True])
def test_matches_real_keras(keras, kind, kwargs, masked):
    x = _x(B, T, D)
    ours = _randomize(getattr(layers, kind)(U, **kwargs), x)
    theirs = getattr(keras.layers, kind)(U, **kwargs)
    theirs(x)
    theirs.set_weights(ours.get_weights())
    call = {"mask": _mask()} if masked else {}
    expected = [keras.ops.convert_to_numpy(t) for t in _flat(theirs(x, **call))]
    got = [ops.convert_to_numpy(t) for t in _flat(ours(x, **call))]
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, atol=2e-6)


@pytest.mark.parametrize("kind", KINDS)
def test_keras_weights_and_config_load(keras, kind):
    """Keras's own initial weights load by set_weights, and its config by from_config."""
    from numkeras.saving.serialization import deserialize_keras_object

    theirs = getattr(keras.layers, kind)(U, return_sequences=True, dropout=0.1)
    x = _x(B, T, D)
    theirs(x)
    ours = deserialize_keras_object(
        json.loads(json.dumps(keras.saving.serialize_keras_object(theirs)))
    )
    assert type(ours) is getattr(layers, kind)
    assert (ours.units, ours.return_sequences, ours.dropout) == (U, True, 0.1)
    ours(x)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours(x).numpy(), keras.ops.convert_to_numpy(theirs(x)), atol=2e-6)
    extra = {"seed"} if kind == "SimpleRNN" else set()  # Keras's SimpleRNN drops its seed
    assert set(ours.get_config()) == set(theirs.get_config()) | extra
    assert [v.shape for v in ours.weights] == [tuple(v.shape) for v in theirs.weights]


@pytest.mark.parametrize("kind", KINDS)
def test_regularization_losses(keras, kind):
    """Weight penalties as Keras; the activity penalty on every output per sample, as Keras's
    Layer applies it (Keras 3.15's SimpleRNN/LSTM/GRU drop the argument; RNN keeps it)."""
    kwargs = {"kernel_regularizer": "l2", "recurrent_regularizer": "l1", "return_state": True}
    x = _x(B, T, D)
    ours = _randomize(getattr(layers, kind)(U, activity_regularizer="l2", **kwargs), x)
    theirs = getattr(keras.layers, kind)(U, **kwargs)
    theirs(x)
    theirs.set_weights(ours.get_weights())
    ours._clear_losses()
    outputs = ours(x)
    weight_losses = ours.losses[len(outputs) :]
    np.testing.assert_allclose(
        [float(v) for v in weight_losses],
        [float(keras.ops.convert_to_numpy(v)) for v in theirs.losses],
        rtol=1e-5,
    )
    activity = [0.01 * np.sum(np.square(t.numpy())) / B for t in outputs]
    np.testing.assert_allclose([float(v) for v in ours.losses[: len(outputs)]], activity, rtol=1e-5)
    assert ours.get_config()["activity_regularizer"]["class_name"] == "L2"


# --- stateful, dropout, cells ---------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_stateful_carries_states_between_batches(kind):
    x = _x(B, 2 * T, D)
    whole = _randomize(getattr(layers, kind)(U), x)
    layer = getattr(layers, kind)(U, stateful=True)
    layer(x)
    layer.set_weights(whole.get_weights())
    layer.reset_state()
    first = layer(x[:, :T]).numpy()
    np.testing.assert_allclose(layer(x[:, T:]).numpy(), whole(x).numpy(), atol=1e-6)
    layer.reset_states()
    np.testing.assert_array_equal(layer(x[:, :T]).numpy(), first)
    with pytest.raises(ValueError, match="batch size must stay 3"):
        layer(x[:2, :T])


@pytest.mark.parametrize("kind", KINDS)
def test_dropout_only_in_training_and_repeatable(kind):
    x = _x(B, T, D)
    plain = _randomize(getattr(layers, kind)(U), x)
    a, b = (getattr(layers, kind)(U, dropout=0.5, recurrent_dropout=0.5, seed=4) for _ in range(2))
    for layer in (a, b):
        layer(x)
        layer.set_weights(plain.get_weights())
    np.testing.assert_array_equal(a(x).numpy(), plain(x).numpy())
    first = a(x, training=True).numpy()
    np.testing.assert_array_equal(first, b(x, training=True).numpy())
    assert not np.allclose(first, plain(x).numpy())
    assert not np.allclose(first, a(x, training=True).numpy())  # fresh masks for each call
    _, _, grads = layer_grads(a, x, training=True)
    assert all(g is not None and np.any(g) for g in grads)


def test_input_dropout_mask_is_shared_by_all_steps():
    """Keras draws one input mask per sequence: with no recurrence, every step is equal."""
    layer = layers.SimpleRNN(
        8,
        activation=None,
        dropout=0.5,
        seed=0,
        return_sequences=True,
        recurrent_initializer="zeros",
    )
    y = layer(np.ones((2, T, D), "float32"), training=True).numpy()
    np.testing.assert_allclose(y, np.broadcast_to(y[:, :1], y.shape))


def test_rnn_over_a_cell_equals_the_layer():
    x = _x(B, T, D)
    layer = _randomize(layers.SimpleRNN(U, return_sequences=True), x)
    rnn = layers.RNN(layers.SimpleRNNCell(U), return_sequences=True)
    rnn(x)
    rnn.set_weights(layer.get_weights())
    np.testing.assert_allclose(rnn(x).numpy(), layer(x).numpy(), atol=1e-6)
    clone = layers.RNN.from_config(rnn.get_config())
    assert type(clone.cell) is layers.SimpleRNNCell and clone.return_sequences


class MinimalRNNCell(layers.Layer):
    """Keras's documented custom cell: `h = x W + h_prev U` (no fast path, no dropout)."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, self.units), name="recurrent_kernel"
        )

    def call(self, inputs, states):
        output = ops.matmul(inputs, self.kernel) + ops.matmul(states[0], self.recurrent_kernel)
        return output, [output]


@pytest.mark.parametrize("go_backwards", [False, True])
def test_custom_cell_with_mask(go_backwards):
    x, mask = _x(B, T, D), _mask()
    rnn = layers.RNN(MinimalRNNCell(U), return_sequences=True, go_backwards=go_backwards)
    _randomize(rnn, x)
    kernel, recurrent = rnn.get_weights()
    h, expected = np.zeros((B, U), "float32"), []
    for t in reversed(range(T)) if go_backwards else range(T):
        h = np.where(mask[:, t : t + 1], x[:, t] @ kernel + h @ recurrent, h)
        expected.append(h)
    np.testing.assert_allclose(rnn(x, mask=mask).numpy(), np.stack(expected, 1), atol=1e-5)
    _, gx, grads = layer_grads(rnn, x)
    assert gx.shape == x.shape and all(np.any(g) for g in grads)


# --- float64 gradients against central differences ---------------------------------------------
def _fd_check(layer, x, eps=1e-6, **call):
    """Along random directions: the tape's gradient of sum(y * r) for the inputs and each weight
    equals the central difference of the loss."""
    r = np.random.default_rng(5).standard_normal(ops.convert_to_numpy(layer(x)).shape)
    y, gx, grads = layer_grads(layer, x, r=r, **call)

    def loss():
        return float(np.sum(ops.convert_to_numpy(layer(x, **call)) * r))

    rng = np.random.default_rng(6)
    for target, g in [(None, gx)] + list(zip(layer.trainable_weights, grads)):
        base = x if target is None else target.numpy()
        d = rng.standard_normal(base.shape)
        values = []
        for sign in (1, -1):
            if target is None:
                x = base + sign * eps * d
            else:
                target.assign(base + sign * eps * d)
            values.append(loss())
        x = base if target is None else x
        if target is not None:
            target.assign(base)
        np.testing.assert_allclose(
            np.sum(g * d), (values[0] - values[1]) / (2 * eps), rtol=1e-6, atol=1e-8
        )


@pytest.mark.parametrize(
    "kind, kwargs",
    [(k, {}) for k in KINDS]
    + [(k, {"return_sequences": True, "go_backwards": True}) for k in KINDS],
)
def test_gradients_float64(kind, kwargs):
    x = _x(2, 5, 3).astype("float64")
    layer = getattr(layers, kind)(U, dtype="float64", **kwargs)
    _randomize(layer, x)
    _fd_check(layer, x, mask=_mask()[:2, :5])


# --- errors ------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"units": 0}, "`units` must be a positive integer"),
        ({"units": 2, "dropout": 1.5}, "`dropout` must be a number in"),
        ({"units": 2, "recurrent_dropout": -0.1}, "`recurrent_dropout` must be a number in"),
    ],
)
def test_bad_arguments(kind, kwargs, match):
    with pytest.raises(ValueError, match=f"{kind}: {match}"):
        getattr(layers, kind)(**kwargs)


@pytest.mark.parametrize("kind", KINDS)
def test_bad_inputs(kind):
    layer = getattr(layers, kind)(U)
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=2"):
        layer(_x(B, D))
    with pytest.raises(ValueError, match=r"the mask must have shape \(3, 6\)"):
        layer(_x(B, T, D), mask=np.ones((B, T + 1), bool))
    with pytest.raises(ValueError, match="`initial_state` must be"):
        layer(_x(B, T, D), initial_state=[np.zeros((B, U + 1), "float32")] * 2)
    with pytest.raises(ValueError, match="have no time steps"):
        layer(_x(B, 0, D))


def test_bad_cells_and_a_list_of_cells():
    stacked = layers.RNN([layers.SimpleRNNCell(2), layers.SimpleRNNCell(3)])  # as Keras
    assert isinstance(stacked.cell, layers.StackedRNNCells)
    assert stacked(np.ones((1, 4, 5), "float32")).shape == (1, 3)
    with pytest.raises(ValueError, match="`cell` must have a `state_size`"):
        layers.RNN(layers.Dense(2))


# --- LSTM specifics and training ----------------------------------------------------------------
def test_lstm_weights_are_keras_shaped_named_and_initialized(keras):
    layer = layers.LSTM(U)
    layer(_x(B, T, D))
    assert [v.path for v in layer.weights] == [
        f"{layer.name}/lstm_cell/kernel",
        f"{layer.name}/lstm_cell/recurrent_kernel",
        f"{layer.name}/lstm_cell/bias",
    ]
    assert [v.shape for v in layer.weights] == [(D, 4 * U), (U, 4 * U), (4 * U,)]
    theirs = keras.layers.LSTM(U)
    theirs(_x(B, T, D))
    np.testing.assert_array_equal(layer.get_weights()[2], theirs.get_weights()[2])  # 0,1,0,0
    kernel, recurrent, _ = layer.get_weights()
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(U), atol=1e-5)  # orthogonal
    assert np.abs(kernel).max() <= np.sqrt(6 / (D + 4 * U))
    no_forget = layers.LSTM(U, unit_forget_bias=False, bias_initializer="ones")
    no_forget(_x(B, T, D))
    np.testing.assert_array_equal(no_forget.get_weights()[2], np.ones(4 * U))


def test_lstm_cell_step_equals_one_step_sequence():
    x = _x(B, 1, D)
    layer = _randomize(layers.LSTM(U, return_state=True), x)
    h0, c0 = _x(B, U, seed=8), _x(B, U, seed=9)
    _, h, c = layer(x, initial_state=[h0, c0])
    cell = layers.LSTMCell(U)
    cell(x[:, 0], [h0, c0])
    cell.set_weights(layer.get_weights())
    out, (h1, c1) = cell(x[:, 0], [h0, c0])
    for a, b in ((out, h), (h1, h), (c1, c)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-6)
    clone = layers.LSTM.from_config(layer.get_config())
    assert (clone.units, clone.unit_forget_bias, clone.return_state) == (U, True, True)


def test_lstm_learns_the_sign_of_a_sum():
    """Sequential + compile('adam', 'binary_crossentropy') + fit: > 90% within seconds."""
    numkeras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((768, 8, 1)).astype("float32")
    y = (x.sum(axis=(1, 2)) > 0).astype("float32")
    model = numkeras.Sequential(
        [layers.Input((8, 1)), layers.LSTM(16), layers.Dense(1, activation="sigmoid")]
    )
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    model.fit(x[:512], y[:512], epochs=10, batch_size=32, verbose=0)
    _, accuracy = model.evaluate(x[512:], y[512:], verbose=0)
    assert accuracy > 0.9


# --- GRU specifics ------------------------------------------------------------------------------
@pytest.mark.parametrize("reset_after, bias_shape", [(True, (2, 3 * U)), (False, (3 * U,))])
def test_gru_weight_shapes(reset_after, bias_shape):
    layer = layers.GRU(U, reset_after=reset_after)
    layer(_x(B, T, D))
    assert [v.shape for v in layer.weights] == [(D, 3 * U), (U, 3 * U), bias_shape]
    assert layer.get_config()["reset_after"] is reset_after


@pytest.mark.parametrize("kwargs", [{}, {"return_sequences": True, "go_backwards": True}])
@pytest.mark.parametrize("masked", [False, True])
def test_gru_reset_before_matches_real_keras(keras, kwargs, masked):
    x = _x(B, T, D)
    ours = _randomize(layers.GRU(U, reset_after=False, **kwargs), x)
    theirs = keras.layers.GRU(U, reset_after=False, **kwargs)
    theirs(x)
    theirs.set_weights(ours.get_weights())
    call = {"mask": _mask()} if masked else {}
    np.testing.assert_allclose(
        ours(x, **call).numpy(), keras.ops.convert_to_numpy(theirs(x, **call)), atol=2e-6
    )


@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_gru_reset_before_gradients_float64(dropout):
    x = _x(2, 5, 3).astype("float64")
    layer = _randomize(
        layers.GRU(
            U,
            reset_after=False,
            recurrent_dropout=dropout,
            seed=2,
            return_sequences=True,
            dtype="float64",
        ),
        x,
    )
    if dropout:  # fixed masks: draw them once and keep them for every evaluation
        layer.cell.get_recurrent_dropout_mask(np.zeros((2, U)))
        layer.cell.reset_recurrent_dropout_mask = lambda: None
    _fd_check(layer, x, training=bool(dropout))


# --- Bidirectional ------------------------------------------------------------------------------
BIDI_HARNESS = [
    # wrapped layer, kwargs, output shape(s), weights
    (lambda: layers.LSTM(U), {}, (B, 2 * U), 6),
    (lambda: layers.GRU(U, return_sequences=True), {"merge_mode": "sum"}, (B, T, U), 6),
    (
        lambda: layers.SimpleRNN(U, return_sequences=True),
        {"merge_mode": None},
        [(B, T, U), (B, T, U)],
        6,
    ),
    (lambda: layers.LSTM(U, return_state=True), {"merge_mode": "ave"}, [(B, U)] * 5, 6),
]


@pytest.mark.parametrize("make, kwargs, out_shape, n_weights", BIDI_HARNESS)
def test_bidirectional_harness(make, kwargs, out_shape, n_weights):
    run_layer_test(
        layers.Bidirectional,
        {"layer": make(), **kwargs},
        input_shape=(B, T, D),
        expected_output_shape=out_shape,
        expected_num_weights=n_weights,
    )


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_bidirectional_matches_torch(torch, kind):
    """torch's bidirectional=True module: forward and reverse weights from our two layers."""
    layer = _randomize(
        layers.Bidirectional(getattr(layers, kind)(U, return_sequences=True)), _x(B, T, D)
    )
    forward_fn, backward_fn = (
        _torch_fn(kind, return_sequences=True, go_backwards=g) for g in (False, True)
    )

    def fn(x, weights):
        backward = backward_fn(x, weights[3:]).flip(1)  # back in input order, as Keras merges
        return torch.cat([forward_fn(x, weights[:3]), backward], dim=-1)

    assert_matches_torch(layer, _x(B, T, D, seed=2), fn)


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
@pytest.mark.parametrize("merge_mode", ["concat", "mul", None])
@pytest.mark.parametrize("kwargs", [{}, {"return_sequences": True, "return_state": True}])
def test_bidirectional_matches_real_keras(keras, kind, merge_mode, kwargs):
    x, mask = _x(B, T, D), _mask()
    ours = _randomize(
        layers.Bidirectional(getattr(layers, kind)(U, **kwargs), merge_mode=merge_mode), x
    )
    theirs = keras.layers.Bidirectional(
        getattr(keras.layers, kind)(U, **kwargs), merge_mode=merge_mode
    )
    theirs(x)
    theirs.set_weights(ours.get_weights())
    for call in ({}, {"mask": mask}):
        got, expected = _flat(ours(x, **call)), _flat(theirs(x, **call))
        assert len(got) == len(expected)
        for a, b in zip(got, expected):
            np.testing.assert_allclose(a.numpy(), keras.ops.convert_to_numpy(b), atol=2e-6)


def test_bidirectional_backward_layer_and_keras_config(keras):
    from numkeras.saving.serialization import deserialize_keras_object

    x = _x(B, T, D)

    def make(lib):
        return lib.layers.Bidirectional(
            lib.layers.LSTM(U, return_sequences=True, return_state=True),
            backward_layer=lib.layers.GRU(
                U, return_sequences=True, return_state=True, go_backwards=True
            ),
        )

    ours, theirs = _randomize(make(numkeras), x), make(keras)
    theirs(x)
    theirs.set_weights(ours.get_weights())
    for a, b in zip(ours(x), theirs(x)):
        np.testing.assert_allclose(a.numpy(), keras.ops.convert_to_numpy(b), atol=2e-6)
    init = [_x(B, U, seed=s) for s in range(11, 14)]  # split by the forward layer's 2 states
    y, h, c, h_back = ours(x, initial_state=init)
    np.testing.assert_array_equal(
        h.numpy(), ours.forward_layer(x, initial_state=init[:2])[1].numpy()
    )
    np.testing.assert_array_equal(
        h_back.numpy(), ours.backward_layer(x, initial_state=init[2:])[1].numpy()
    )
    loaded = deserialize_keras_object(
        json.loads(json.dumps(keras.saving.serialize_keras_object(theirs)))
    )
    loaded(x)
    loaded.set_weights(theirs.get_weights())
    assert [type(sub).__name__ for sub in (loaded.forward_layer, loaded.backward_layer)] == [
        "LSTM",
        "GRU",
    ]
    np.testing.assert_allclose(loaded(x)[0].numpy(), ours(x)[0].numpy(), atol=1e-6)
    forward, backward = ours.forward_layer.name, ours.backward_layer.name
    assert [v.path for v in ours.weights][::3] == [
        f"{ours.name}/{forward}/lstm_cell/kernel",
        f"{ours.name}/{backward}/gru_cell/kernel",
    ]


def test_bidirectional_initial_state_matches_real_keras(keras):
    x = _x(B, T, D)
    init = [_x(B, U, seed=s) for s in range(11, 15)]
    ours = _randomize(layers.Bidirectional(layers.LSTM(U, return_state=True)), x)
    theirs = keras.layers.Bidirectional(keras.layers.LSTM(U, return_state=True))
    theirs(x)
    theirs.set_weights(ours.get_weights())
    for a, b in zip(ours(x, initial_state=init), theirs(x, initial_state=init)):
        np.testing.assert_allclose(a.numpy(), keras.ops.convert_to_numpy(b), atol=2e-6)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"layer": "lstm"}, "`layer` must be a Layer instance"),
        ({"merge_mode": "max"}, "`merge_mode` must be one of"),
        ({"backward_layer": layers.LSTM(2)}, "need different `go_backwards`"),
        (
            {"backward_layer": layers.LSTM(2, go_backwards=True, return_sequences=True)},
            "need the same `return_sequences`",
        ),
    ],
)
def test_bidirectional_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=f"Bidirectional: .*{match}"):
        layers.Bidirectional(**{"layer": layers.LSTM(2), **kwargs})


# --- TimeDistributed ----------------------------------------------------------------------------
TD = layers.TimeDistributed


@pytest.mark.parametrize(
    "make, shape, out_shape, n_weights, deterministic",
    [
        (lambda: layers.Dense(U), (B, T, D), (B, T, U), 2, True),
        (lambda: layers.Conv2D(2, 3), (B, T, 5, 5, 2), (B, T, 3, 3, 2), 2, True),
        (lambda: layers.Flatten(), (B, T, 2, 3), (B, T, 6), 0, True),
        (lambda: layers.BatchNormalization(), (B, T, D), (B, T, D), 4, False),
    ],
)
def test_time_distributed_harness(make, shape, out_shape, n_weights, deterministic):
    run_layer_test(
        TD,
        {"layer": make()},
        input_shape=shape,
        expected_output_shape=out_shape,
        expected_num_weights=n_weights,
        deterministic=deterministic,
    )


def test_time_distributed_dense_matches_torch(torch):
    layer = _randomize(TD(layers.Dense(U, activation="tanh")), _x(B, T, D))
    assert_matches_torch(layer, _x(B, T, D, seed=2), lambda x, w: (x @ w[0] + w[1]).tanh())
    assert [v.path for v in layer.weights] == [
        f"{layer.name}/{layer.layer.name}/kernel",
        f"{layer.name}/{layer.layer.name}/bias",
    ]


@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda lib: lib.layers.Conv2D(3, 2, padding="same"), (B, T, 4, 4, 2)),
        (lambda lib: lib.layers.BatchNormalization(momentum=0.5), (B, T, D)),
    ],
)
def test_time_distributed_matches_real_keras(keras, make, shape):
    """BatchNormalization inside TimeDistributed: batch statistics and moving-statistic
    updates per time step, as Keras runs the wrapped layer once per step."""
    x = _x(*shape) * 2 + 1
    ours = _randomize(TD(make(numkeras)), x)
    theirs = keras.layers.TimeDistributed(make(keras))
    theirs(x)
    theirs.set_weights(ours.get_weights())
    for training in (True, False):
        np.testing.assert_allclose(
            ours(x, training=training).numpy(),
            keras.ops.convert_to_numpy(theirs(x, training=training)),
            atol=1e-5,
        )
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5)


@pytest.mark.skipif(not hasattr(layers, "Embedding"), reason="no Embedding layer yet")
def test_time_distributed_passes_the_mask_on(keras):
    tokens = np.array([[3, 5, 0, 0, 0], [0, 0, 2, 7, 1], [4, 0, 6, 0, 9]])

    def make(lib):
        return lib.Sequential(
            [
                lib.layers.Embedding(10, D, mask_zero=True),
                lib.layers.TimeDistributed(lib.layers.Dense(U)),
                lib.layers.Bidirectional(lib.layers.GRU(U)),
            ]
        )

    ours, theirs = make(numkeras), make(keras)
    ours(tokens)
    theirs(tokens)
    rng = np.random.default_rng(0)
    ours.set_weights(
        [rng.standard_normal(w.shape).astype("float32") * 0.5 for w in ours.get_weights()]
    )
    theirs.set_weights(ours.get_weights())
    np.testing.assert_allclose(
        ours.predict(tokens, verbose=0), theirs.predict(tokens, verbose=0), atol=1e-5
    )


def test_time_distributed_config_and_errors(keras):
    from numkeras.saving.serialization import deserialize_keras_object

    theirs = keras.layers.TimeDistributed(keras.layers.Dense(U, activation="relu"))
    ours = deserialize_keras_object(
        json.loads(json.dumps(keras.saving.serialize_keras_object(theirs)))
    )
    assert type(ours.layer) is layers.Dense and ours.layer.units == U
    assert ours.compute_output_shape((None, T, D)) == (None, T, U)
    with pytest.raises(ValueError, match="`layer` must be a Layer instance"):
        TD("dense")
    with pytest.raises(ValueError, match="needs inputs of at least 3 dimensions"):
        TD(layers.Dense(2))(_x(B, D))
    with pytest.raises(ValueError, match=r"the mask must start with the \(batch, time\) axes"):
        TD(layers.Dense(2))(_x(B, T, D), mask=np.ones((B, T + 1), bool))


# --- whole models: .keras files both ways -------------------------------------------------------
def test_keras_files_round_trip_with_real_keras(keras, tmp_path):
    """A functional model with every recurrent layer, saved by one library and loaded by the
    other (weights under `cell`, `forward_layer`, `backward_layer`, `layer` as in Keras)."""
    x = _x(B, T, D)

    def build(lib):
        inputs = lib.Input((T, D))
        y = lib.layers.Bidirectional(lib.layers.LSTM(U, return_sequences=True))(inputs)
        y = lib.layers.TimeDistributed(lib.layers.Dense(3))(y)
        y, h = lib.layers.GRU(U, return_state=True, return_sequences=True)(y)
        return lib.Model(inputs, [lib.layers.SimpleRNN(2)(y), h])

    ours = build(numkeras)
    _randomize(ours, x)
    ours.save(tmp_path / "ours.keras")
    theirs = keras.saving.load_model(tmp_path / "ours.keras")
    for a, b in zip(ours.predict(x, verbose=0), theirs.predict(x, verbose=0)):
        np.testing.assert_allclose(a, b, atol=1e-5)
    theirs.save(tmp_path / "theirs.keras")
    back = numkeras.saving.load_model(tmp_path / "theirs.keras")
    for a, b in zip(back.predict(x, verbose=0), theirs.predict(x, verbose=0)):
        np.testing.assert_allclose(a, b, atol=1e-5)
