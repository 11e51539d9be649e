"""`run_layer_test`: the declarative checks every layer gets.

Output shape equals `compute_output_shape`; the weight count and shapes are as stated; one
training step lowers a loss; `get_config`/`from_config` round-trips to a layer that computes
the same; for deterministic layers the training and inference paths agree.
"""

import numpy as np

import numkeras
from numkeras import ops


def _structure_shapes(x):
    if isinstance(x, (list, tuple)):
        return [tuple(t.shape) for t in x]
    return tuple(x.shape)


def run_layer_test(
    layer_cls,
    init_kwargs,
    input_shape=None,
    input_data=None,
    expected_output_shape=None,
    expected_num_weights=0,
    expected_num_trainable_weights=None,
    deterministic=True,
    trains=None,
    seed=0,
):
    """Build `layer_cls(**init_kwargs)` on random inputs of `input_shape` and check it."""
    rng = np.random.default_rng(seed)
    if input_data is None:
        if isinstance(input_shape, list):
            input_data = [rng.standard_normal(s).astype("float32") for s in input_shape]
        else:
            input_data = rng.standard_normal(input_shape).astype("float32")
    layer = layer_cls(**init_kwargs)
    out = layer(input_data)
    shapes = _structure_shapes(out)
    if expected_output_shape is not None:
        assert shapes == expected_output_shape, (shapes, expected_output_shape)
    # compute_output_shape agrees with what call produced (batch axis as None)
    in_shapes = (
        [(None,) + tuple(np.shape(a)[1:]) for a in input_data]
        if isinstance(input_data, list)
        else (None,) + tuple(np.shape(input_data)[1:])
    )
    predicted = layer.compute_output_shape(in_shapes)
    actual = (
        [(None,) + s[1:] for s in shapes] if isinstance(shapes, list) else ((None,) + shapes[1:])
    )
    if isinstance(predicted, list):
        predicted = [tuple(p) for p in predicted]
    else:
        predicted = tuple(predicted)
    assert predicted == actual, (predicted, actual)
    assert len(layer.weights) == expected_num_weights, [v.path for v in layer.weights]
    if expected_num_trainable_weights is not None:
        assert len(layer.trainable_weights) == expected_num_trainable_weights
    # config round trip computes the same
    config = layer.get_config()
    clone = layer_cls.from_config(config)
    clone(input_data)
    clone.set_weights(layer.get_weights())
    if deterministic:
        a = ops.convert_to_numpy(_first(layer(input_data)))
        b = ops.convert_to_numpy(_first(clone(input_data)))
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
        # training and inference paths agree for deterministic layers
        t = ops.convert_to_numpy(_first(layer(input_data, training=True)))
        np.testing.assert_allclose(a, t, rtol=1e-5, atol=1e-6)
    if trains if trains is not None else bool(layer.trainable_weights):
        _one_step_lowers_loss(layer, input_data)
    return layer


def _first(x):
    return x[0] if isinstance(x, (list, tuple)) else x


def _one_step_lowers_loss(layer, input_data):
    """Plain gradient descent on mean(output**2) must lower it (tiny step, same inputs)."""

    def loss_value():
        with numkeras.GradientTape() as tape:
            out = _first(layer(input_data, training=False))
            loss = ops.mean(ops.square(out))
        return loss, tape

    loss, tape = loss_value()
    grads = tape.gradient(loss, layer.trainable_weights)
    assert any(g is not None and np.any(g != 0) for g in grads), "no gradient reaches weights"
    for v, g in zip(layer.trainable_weights, grads):
        if g is not None:
            v.assign(v.numpy() - 1e-3 * g / (np.linalg.norm(g) + 1e-12))
    after, _ = loss_value()
    assert float(after) < float(loss), (float(loss), float(after))
