"""Compare a numkeras layer with real Keras (torch backend): config, weights, output, gradients,
and `.keras` files both ways."""

import os

import numpy as np
import pytest

import numkeras
from numkeras import ops
from numkeras.saving import deserialize_keras_object


def get_keras(tensorflow=False):
    """Real Keras 3 on its torch backend, or a skip where it is not installed; with
    `tensorflow`, also a skip without TensorFlow, which Keras's own Hashing, lookup,
    TextVectorization and dataset utilities need whatever the backend."""
    os.environ.setdefault("KERAS_BACKEND", "torch")
    if tensorflow:
        pytest.importorskip("tensorflow")
    return pytest.importorskip("keras")


def plain(value):
    """Keras writes tuples where numkeras writes lists (as JSON would)."""
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def comparable(config):
    """Config values to compare: initializers by class, tuples as lists, no name or dtype."""
    return {
        k: v["class_name"] if k.endswith("_initializer") and isinstance(v, dict) else plain(v)
        for k, v in config.items()
        if k not in ("name", "dtype")
    }


def keras_grads(keras, layer, x, r, **call_kwargs):
    """Output, input gradient and trainable-weight gradients of sum(layer(x) * r) in Keras."""
    import torch

    xs = [torch.tensor(a, requires_grad=True) for a in (x if isinstance(x, list) else [x])]
    y = layer(xs if isinstance(x, list) else xs[0], **call_kwargs)
    weights = [w.value for w in layer.trainable_weights]
    grads = torch.autograd.grad((y * torch.tensor(r)).sum(), xs + weights, allow_unused=True)
    return y.detach().numpy(), [None if g is None else g.numpy() for g in grads]


def our_grads(layer, x, r, **call_kwargs):
    xs = [numkeras.Variable(a) for a in (x if isinstance(x, list) else [x])]
    with numkeras.GradientTape() as tape:
        y = layer(xs if isinstance(x, list) else xs[0], **call_kwargs)
        loss = ops.sum(y * r)
    return ops.convert_to_numpy(y), tape.gradient(loss, xs + list(layer.trainable_weights))


def assert_matches_keras(name, kwargs, x, rtol=1e-4, atol=1e-5, grads=True, **call_kwargs):
    """Build Keras's layer, rebuild it in numkeras from Keras's serialized config, copy the
    weights, and compare config, weight names/shapes, output and gradients."""
    keras = get_keras()
    theirs = getattr(keras.layers, name)(**kwargs)
    ours = deserialize_keras_object(keras.saving.serialize_keras_object(theirs))
    theirs(x, **call_kwargs)
    assert type(ours).__name__ == name
    ours(x, **call_kwargs)
    assert [(w.name, tuple(w.shape)) for w in ours.weights] == [
        (w.name, tuple(w.shape)) for w in theirs.weights
    ]
    ours.set_weights([keras.ops.convert_to_numpy(w) for w in theirs.weights])
    assert comparable(ours.get_config()) == comparable(theirs.get_config())
    if not grads:
        np.testing.assert_allclose(
            ours(x, **call_kwargs).numpy(),
            keras.ops.convert_to_numpy(theirs(x, **call_kwargs)),
            rtol=rtol,
            atol=atol,
        )
        return ours, theirs
    r = (
        np.random.default_rng(9)
        .standard_normal(keras.ops.convert_to_numpy(theirs(x, **call_kwargs)).shape)
        .astype("float32")
    )
    y, g = our_grads(ours, x, r, **call_kwargs)
    ty, tg = keras_grads(keras, theirs, x, r, **call_kwargs)
    np.testing.assert_allclose(y, ty, rtol=rtol, atol=atol, err_msg="output")
    for i, (a, b) in enumerate(zip(g, tg)):
        if b is not None:
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"gradient {i}")
    return ours, theirs


def assert_keras_files_both_ways(name, kwargs, x, tmp_path, rtol=1e-4, atol=1e-5):
    """A one-layer model saved by numkeras loads in Keras, and Keras's loads in numkeras,
    predicting the same."""
    keras = get_keras()
    ours = numkeras.Sequential(
        [numkeras.Input(x.shape[1:]), getattr(numkeras.layers, name)(**kwargs)]
    )
    ours.save(tmp_path / "ours.keras")
    loaded = keras.models.load_model(tmp_path / "ours.keras")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded.predict(x, verbose=0)),
        ours.predict(x, verbose=0),
        rtol=rtol,
        atol=atol,
    )
    theirs = keras.Sequential([keras.Input(x.shape[1:]), getattr(keras.layers, name)(**kwargs)])
    theirs.save(tmp_path / "theirs.keras")
    mine = numkeras.models.load_model(tmp_path / "theirs.keras")
    np.testing.assert_allclose(
        mine.predict(x, verbose=0),
        keras.ops.convert_to_numpy(theirs.predict(x, verbose=0)),
        rtol=rtol,
        atol=atol,
    )
