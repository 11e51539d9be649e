"""Build an application in numkeras and in real Keras, and copy Keras's weights across
through a legacy `.h5` weights file (the layout of Keras's pretrained ImageNet files)."""

import hashlib

import numpy as np

import numkeras

# BatchNormalization's (and Normalization's) variables, moved off their identity-like start
BN_WEIGHTS = {
    "gamma": lambda rng, shape: rng.uniform(0.5, 1.5, shape),
    "beta": lambda rng, shape: rng.normal(0.0, 0.1, shape),
    "moving_mean": lambda rng, shape: rng.normal(0.0, 0.1, shape),
    "moving_variance": lambda rng, shape: rng.uniform(0.5, 1.5, shape),
    "mean": lambda rng, shape: rng.normal(0.0, 0.1, shape),  # Normalization's statistics
    "variance": lambda rng, shape: rng.uniform(0.5, 1.5, shape),
}


def build_both(keras, module, constructor, **kwargs):
    """(numkeras model, Keras model), each built in a fresh session (so automatic layer names
    match): `numkeras.applications.<module>.<constructor>(**kwargs)` and Keras's
    `keras.applications.<constructor>(**kwargs)`."""
    keras.backend.clear_session()
    numkeras.backend.clear_session()
    keras.utils.set_random_seed(0)  # Keras's random weights, the same in every run
    ours = getattr(getattr(numkeras.applications, module), constructor)(**kwargs)
    theirs = getattr(keras.applications, constructor)(**kwargs)
    return ours, theirs


def summary_rows(model):
    """(layer name, class, output shape, parameter count) per layer, as `summary()` lists."""
    return [
        (
            layer.name,
            type(layer).__name__,
            tuple(layer.output.shape),
            int(sum(np.prod(w.shape) for w in layer.weights)),
        )
        for layer in model.layers
    ]


def randomize_normalization(keras_model, seed=0):
    """Give Keras's normalization layers random statistics (and ConvNeXt's layer scales
    random values), so a copy that confuses them cannot pass."""
    rng = np.random.default_rng(seed)
    for variable in keras_model.weights:
        fill = BN_WEIGHTS.get(variable.name)
        if "layer_scale" in variable.path:  # ConvNeXt's, which start at 1e-6
            fill = BN_WEIGHTS["gamma"]
        if fill is not None:
            variable.assign(fill(rng, tuple(variable.shape)).astype("float32"))


def write_legacy_weights(keras_model, path):
    """Keras's model's weights in the legacy H5 layout its ImageNet weight files use."""
    import h5py
    from keras.src.legacy.saving import legacy_h5_format

    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, keras_model)


def md5(path):
    with open(path, "rb") as f:
        return hashlib.md5(f.read()).hexdigest()


def images(shape, batch=2, seed=1):
    """A fixed batch of images with pixels in [0, 255] (some models rescale them inside)."""
    return np.random.default_rng(seed).uniform(0, 255, (batch,) + tuple(shape)).astype("float32")


def assert_same_outputs(ours, theirs, tolerance=1e-4):
    """Equal up to float32 rounding, relative to the outputs' scale (random deep networks
    can shrink or grow them by orders of magnitude); a constant output proves nothing."""
    scale = np.abs(theirs).max()
    assert np.ptp(theirs) > 1e-6 * scale > 0
    np.testing.assert_allclose(ours, theirs, rtol=tolerance, atol=tolerance * scale)
