"""`loss_scale_factor`: train_step scales the loss up and the optimizer scales gradients back."""

import numpy as np

import numkeras


def _one_step(loss_scale_factor):
    dense = numkeras.layers.Dense(1, use_bias=False, kernel_initializer="ones")
    model = numkeras.Sequential([numkeras.Input((1,)), dense])
    model.compile(numkeras.optimizers.SGD(0.1, loss_scale_factor=loss_scale_factor), "mse")
    model.train_on_batch(np.ones((1, 1), "float32"), np.zeros((1, 1), "float32"))
    return float(model.get_weights()[0][0, 0])


def test_loss_scale_factor_leaves_the_step_unchanged():
    # loss = w**2 at w = 1: gradient 2, so one SGD(0.1) step gives 0.8 whatever the scale
    # (Keras's torch trainer multiplies the loss by the factor and `apply` divides it back).
    assert np.isclose(_one_step(None), 0.8)
    assert np.isclose(_one_step(4.0), 0.8)


def test_loss_scale_factor_scales_the_loss_like_keras(keras):
    model = keras.Sequential(
        [keras.Input((1,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="ones")]
    )
    model.compile(keras.optimizers.SGD(0.1, loss_scale_factor=4.0), "mse")
    model.train_on_batch(np.ones((1, 1), "float32"), np.zeros((1, 1), "float32"))
    assert np.isclose(float(model.get_weights()[0][0, 0]), _one_step(4.0))
