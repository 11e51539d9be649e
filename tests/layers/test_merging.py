"""Merging layers: harness, float64 gradient checks, torch and real Keras, shape errors."""

import numpy as np
import pytest

import numkeras
from numkeras import layers
from tests.engine.gradcheck import check_grad
from tests.layers.harness import run_layer_test
from tests.layers.reference import assert_matches_torch

L = layers
CASES = [
    (L.Add, {}, [(2, 3), (2, 3)], (2, 3)),
    (L.Add, {}, [(2, 3), (2, 3), (2, 3)], (2, 3)),
    (L.Add, {}, [(2, 3, 4), (2, 4)], (2, 3, 4)),  # lower rank: new axes after the batch
    (L.Add, {}, [(2, 3, 4), (2, 1, 4)], (2, 3, 4)),
    (L.Subtract, {}, [(2, 3), (2, 3)], (2, 3)),
    (L.Multiply, {}, [(2, 3), (2, 1), (2, 3)], (2, 3)),
    (L.Average, {}, [(2, 3), (2, 3)], (2, 3)),
    (L.Maximum, {}, [(2, 5), (2, 5)], (2, 5)),
    (L.Minimum, {}, [(2, 5), (2, 5), (2, 5)], (2, 5)),
    (L.Concatenate, {}, [(2, 3), (2, 4)], (2, 7)),
    (L.Concatenate, {"axis": 1}, [(2, 3, 4), (2, 1, 4), (2, 2, 4)], (2, 6, 4)),
    (L.Dot, {"axes": 1}, [(2, 3), (2, 3)], (2, 1)),
    (L.Dot, {"axes": 2}, [(2, 3, 4), (2, 5, 4)], (2, 3, 5)),
    (L.Dot, {"axes": (1, 2)}, [(2, 4, 3), (2, 5, 4)], (2, 3, 5)),
    (L.Dot, {"axes": -1, "normalize": True}, [(2, 3, 4), (2, 4)], (2, 3)),
    (L.Dot, {"axes": [1, 1]}, [(2, 3, 2, 2), (2, 3, 5)], (2, 2, 2, 5)),
]


@pytest.mark.parametrize("cls, kwargs, shapes, out_shape", CASES)
def test_harness(cls, kwargs, shapes, out_shape):
    run_layer_test(cls, kwargs, input_shape=shapes, expected_output_shape=out_shape)


def _inputs(shapes, seed=0, dtype="float32"):
    rng = np.random.default_rng(seed)
    # distinct values, so maximum/minimum have no ties
    return [
        (rng.permutation(np.prod(s)).reshape(s) / 3 - 1 + rng.uniform(0, 0.1, s)).astype(dtype)
        for s in shapes
    ]


@pytest.mark.parametrize("cls, kwargs, shapes, out_shape", CASES)
def test_float64_gradients(cls, kwargs, shapes, out_shape):
    layer = cls(dtype="float64", **kwargs)
    check_grad(lambda *xs: layer(list(xs)), *_inputs(shapes, dtype="float64"))


def _torch_dot(torch, axes, normalize):
    def fn(ts, ws):
        a, b = ts
        pair = (axes, axes) if isinstance(axes, int) else axes
        a1, a2 = pair[0] % a.ndim, pair[1] % b.ndim
        if normalize:
            a = torch.nn.functional.normalize(a, dim=a1)
            b = torch.nn.functional.normalize(b, dim=a2)
        out = torch.stack([torch.tensordot(x, y, dims=([a1 - 1], [a2 - 1])) for x, y in zip(a, b)])
        return out.reshape(len(a), -1) if out.ndim == 1 else out

    return fn


def _torch_fns(torch):
    def fold(op):
        def fn(ts, ws):
            out = ts[0]
            for t in ts[1:]:
                out = op(out, t.reshape(t.shape[:1] + (1,) * (out.ndim - t.ndim) + t.shape[1:]))
            return out

        return fn

    return {
        L.Add: fold(torch.add),
        L.Subtract: fold(torch.sub),
        L.Multiply: fold(torch.mul),
        L.Maximum: fold(torch.maximum),
        L.Minimum: fold(torch.minimum),
        L.Average: lambda ts, ws: fold(torch.add)(ts, ws) / len(ts),
    }


@pytest.mark.parametrize("cls, kwargs, shapes, out_shape", CASES)
def test_matches_torch(torch, cls, kwargs, shapes, out_shape):
    if cls is L.Concatenate:
        fn = lambda ts, ws: torch.cat(ts, dim=kwargs.get("axis", -1))  # noqa: E731
    elif cls is L.Dot:
        fn = _torch_dot(torch, kwargs["axes"], kwargs.get("normalize", False))
    else:
        fn = _torch_fns(torch)[cls]
    assert_matches_torch(cls(**kwargs), _inputs(shapes), fn)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # inside Keras's torch backend
@pytest.mark.parametrize("cls, kwargs, shapes, out_shape", CASES)
def test_matches_real_keras(keras, cls, kwargs, shapes, out_shape):
    xs = _inputs(shapes)
    theirs = getattr(keras.layers, cls.__name__)(**kwargs)
    expected = keras.ops.convert_to_numpy(theirs(xs))
    ours = cls.from_config({**theirs.get_config(), "name": None})
    np.testing.assert_allclose(ours(xs).numpy(), expected, rtol=1e-5, atol=1e-6)
    in_shapes = [(None,) + s[1:] for s in shapes]
    assert ours.compute_output_shape(in_shapes) == theirs.compute_output_shape(in_shapes)


def test_functional_model_with_merges_trains():
    numkeras.utils.set_random_seed(0)
    a, b = numkeras.Input((3,)), numkeras.Input((3,))
    cosine = layers.Dot(axes=1, normalize=True)([a, b])
    h = layers.concatenate([layers.add([a, b]), layers.Multiply()([a, b]), cosine])
    model = numkeras.Model([a, b], layers.Dense(1)(h))
    xs = [x / 10 for x in _inputs([(16, 3), (16, 3)])]
    assert model.predict(xs, verbose=0).shape == (16, 1)
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(xs, np.ones((16, 1), "float32"), epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


@pytest.mark.parametrize(
    "layer, shapes, message",
    [
        (L.Add(name="add_bad"), [(2, 3), (2, 4)], r'"add_bad" \(Add\): inputs have incompatible'),
        (L.Maximum(name="max_bad"), [(2, 3, 4), (2, 2, 4)], "incompatible shapes"),
        (L.Add(name="add_batch"), [(2, 3), (3, 3)], "different batch sizes"),
        (L.Subtract(name="sub_three"), [(2, 3)] * 3, "exactly 2 inputs, received 3"),
        (L.Dot(axes=1, name="dot_three"), [(2, 3)] * 3, "exactly 2 inputs"),
        (L.Concatenate(name="cat_bad"), [(2, 3, 4), (2, 5, 4)], "must match on every axis but"),
        (L.Concatenate(name="cat_rank"), [(2, 3, 4), (2, 3)], "same rank"),
        (L.Dot(axes=1, name="dot_bad"), [(2, 3), (2, 4)], "axis 1 of .* has size 3"),
        (L.Dot(axes=0, name="dot_batch"), [(2, 3), (2, 3)], "non-batch axis"),
    ],
)
def test_incompatible_inputs_raise_clear_errors(layer, shapes, message):
    with pytest.raises(ValueError, match=message):
        layer(_inputs(shapes))
    with pytest.raises(ValueError, match=message):  # and symbolically, at model-building time
        type(layer).from_config(layer.get_config())(
            [numkeras.Input(s[1:], batch_size=s[0]) for s in shapes]
        )


@pytest.mark.parametrize("cls", [L.Add, L.Concatenate, L.Subtract])
def test_a_single_tensor_is_refused(cls):
    with pytest.raises(ValueError, match="should be called on a list of inputs"):
        cls()(np.zeros((2, 3), "float32"))


@pytest.mark.parametrize(
    "cls, kwargs, name",
    [
        (L.Dot, {"axes": "last"}, "axes"),
        (L.Dot, {"axes": (1, 2, 3)}, "axes"),
        (L.Concatenate, {"axis": 1.0}, "axis"),
    ],
)
def test_bad_arguments_name_the_argument(cls, kwargs, name):
    with pytest.raises(ValueError, match=f"{cls.__name__}: `{name}`"):
        cls(**kwargs)
