"""Activation layers: harness, torch forward/gradients, real Keras, masks, errors."""

import numpy as np
import pytest

from numkeras import initializers, layers
from tests.layers.harness import run_layer_test
from tests.layers.reference import assert_matches_torch

CASES = [
    (layers.Softmax, {}, (2, 5), 0),
    (layers.Softmax, {"axis": 1}, (2, 3, 4), 0),
    (layers.Softmax, {"axis": [1, 2]}, (2, 3, 4), 0),
    (layers.ReLU, {}, (2, 5), 0),
    (layers.ReLU, {"max_value": 6.0}, (2, 5), 0),
    (layers.ReLU, {"negative_slope": 0.1}, (2, 5), 0),
    (layers.ReLU, {"negative_slope": 0.1, "threshold": 0.5, "max_value": 1.0}, (2, 5), 0),
    (layers.ReLU, {"threshold": 0.5}, (2, 5), 0),
    (layers.LeakyReLU, {}, (2, 5), 0),
    (layers.LeakyReLU, {"negative_slope": 0.01}, (2, 3, 4), 0),
    (layers.ELU, {}, (2, 5), 0),
    (layers.ELU, {"alpha": 0.5}, (2, 5), 0),
    # alpha starts at 0 by default, where mean(output**2) has no gradient for it: start at 0.25
    (layers.PReLU, {"alpha_initializer": initializers.Constant(0.25)}, (2, 5), 1),
    (
        layers.PReLU,
        {"shared_axes": [1, 2], "alpha_initializer": initializers.Constant(0.25)},
        (2, 4, 4, 3),
        1,
    ),
    (layers.PReLU, {"shared_axes": 1, "alpha_initializer": "ones"}, (2, 4, 3), 1),
]


@pytest.mark.parametrize("cls, kwargs, shape, n_weights", CASES)
def test_harness(cls, kwargs, shape, n_weights):
    run_layer_test(
        cls, kwargs, input_shape=shape, expected_output_shape=shape, expected_num_weights=n_weights
    )


def _x(shape, seed=0):
    # distinct values away from the kinks at 0 and the thresholds (0.5, 1.0, 6.0)
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 8, shape)
    for kink in (0.0, 0.5, 1.0, 6.0):
        x = np.where(np.abs(x - kink) < 0.05, kink + 0.1, x)
    return x.astype("float32")


def _torch_fn(torch, cls, kwargs):
    F = torch.nn.functional
    if cls is layers.Softmax:
        axis = kwargs.get("axis", -1)
        dims = tuple(axis) if isinstance(axis, list) else (axis,)
        return lambda t, ws: torch.exp(t - torch.logsumexp(t, dims, keepdim=True))
    if cls is layers.ReLU:
        slope, cap = kwargs.get("negative_slope", 0.0), kwargs.get("max_value")
        threshold = kwargs.get("threshold", 0.0)
        top = float("inf") if cap is None else cap
        return lambda t, ws: torch.where(
            t > threshold, torch.clamp(t, max=top), slope * (t - threshold)
        )
    if cls is layers.LeakyReLU:
        return lambda t, ws: F.leaky_relu(t, kwargs.get("negative_slope", 0.3))
    if cls is layers.ELU:
        return lambda t, ws: F.elu(t, kwargs.get("alpha", 1.0))
    return lambda t, ws: torch.where(t > 0, t, ws[0] * t)  # PReLU, alpha broadcast


@pytest.mark.parametrize("cls, kwargs, shape, n_weights", CASES)
def test_matches_torch(torch, cls, kwargs, shape, n_weights):
    layer = cls(**kwargs)
    x = _x(shape)
    layer(x)
    for v in layer.weights:  # PReLU: distinct slopes, so their gradients are checked
        v.assign(np.random.default_rng(1).uniform(0.1, 0.5, v.shape).astype("float32"))
    assert_matches_torch(layer, x, _torch_fn(torch, cls, kwargs))


def test_prelu_starts_as_relu_with_keras_weight_shapes():
    layer = layers.PReLU(shared_axes=[1, 2])
    x = _x((2, 4, 4, 3))
    np.testing.assert_array_equal(layer(x).numpy(), np.maximum(x, 0))
    assert layer.alpha.shape == (1, 1, 3) and layer.weights[0].path.endswith("/alpha")
    with pytest.raises(ValueError, match="expected axis 3 of input shape to have value 3"):
        layer(_x((2, 4, 4, 5)))


def test_softmax_mask_excludes_positions():
    x = _x((2, 4))
    mask = np.array([[True, True, False, True], [False, True, True, False]])
    out = layers.Softmax()(x, mask=mask).numpy()
    np.testing.assert_array_equal(out[~mask], 0.0)
    np.testing.assert_allclose(out.sum(-1), 1.0, rtol=1e-6)
    e = np.where(mask, np.exp(x - x.max(-1, keepdims=True)), 0)
    np.testing.assert_allclose(out, e / e.sum(-1, keepdims=True), rtol=1e-5)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # inside Keras's torch backend
@pytest.mark.parametrize("cls, kwargs, shape, n_weights", CASES)
def test_matches_real_keras(keras, cls, kwargs, shape, n_weights):
    x = _x(shape)
    theirs = getattr(keras.layers, cls.__name__)(**kwargs)
    expected = theirs(x)
    ours = cls.from_config({**theirs.get_config(), "name": "ours"})
    ours(x)
    ours.set_weights([keras.ops.convert_to_numpy(w) for w in theirs.get_weights()])
    np.testing.assert_allclose(
        ours(x).numpy(), keras.ops.convert_to_numpy(expected), rtol=1e-6, atol=1e-6
    )
    assert sorted(ours.get_config()) == sorted(theirs.get_config())
    if cls is layers.Softmax:
        mask = x > 1.0
        np.testing.assert_allclose(
            ours(x, mask=mask).numpy(), keras.ops.convert_to_numpy(theirs(x, mask=mask)), rtol=1e-6
        )


def test_leaky_relu_keras_defaults_and_deprecated_alpha():
    assert layers.LeakyReLU().negative_slope == 0.3
    with pytest.warns(UserWarning, match="alpha"):
        assert layers.LeakyReLU(alpha=0.1).negative_slope == 0.1


@pytest.mark.parametrize(
    "cls, kwargs, name",
    [
        (layers.ReLU, {"max_value": -1.0}, "max_value"),
        (layers.ReLU, {"negative_slope": -0.1}, "negative_slope"),
        (layers.ReLU, {"threshold": None}, "threshold"),
        (layers.LeakyReLU, {"negative_slope": -1}, "negative_slope"),
        (layers.ELU, {"alpha": "one"}, "alpha"),
        (layers.PReLU, {"shared_axes": [0]}, "shared_axes"),
        (layers.Softmax, {"axis": "last"}, "axis"),
    ],
)
def test_bad_arguments_name_the_argument(cls, kwargs, name):
    with pytest.raises(ValueError, match=f"{cls.__name__}: `{name}`"):
        cls(**kwargs)
