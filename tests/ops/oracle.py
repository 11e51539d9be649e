"""Helpers for ops tests: run the same call through numkeras.ops and real keras.ops (torch)."""

import os

import numpy as np
import pytest

import numkeras


def keras_ops():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    pytest.importorskip("torch")
    return pytest.importorskip("keras").ops


def resolve(root, name):
    for part in name.split("."):
        root = getattr(root, part)
    return root


def _leaves(value):
    if isinstance(value, (list, tuple)):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


def compare_with_keras(
    name, args, kwargs=None, atol=1e-5, rtol=1e-5, check_dtype=True, keras_tensors=False
):
    """`numkeras.ops.<name>` and `keras.ops.<name>` agree in values, shapes and dtypes.

    `keras_tensors` hands Keras torch tensors, for Keras-torch ops that reject NumPy arrays.
    """
    kops = keras_ops()
    import keras

    kwargs = kwargs or {}
    kargs = [
        kops.convert_to_tensor(a) if keras_tensors and isinstance(a, np.ndarray) else a
        for a in args
    ]
    theirs = resolve(kops, name)(*kargs, **kwargs)
    ours = resolve(numkeras.ops, name)(*args, **kwargs)
    theirs, ours = _leaves(theirs), _leaves(ours)
    assert len(ours) == len(theirs), f"{name}: {len(ours)} outputs, Keras gives {len(theirs)}"
    for o, t in zip(ours, theirs):
        expected = keras.ops.convert_to_numpy(t)
        got = np.asarray(o)
        assert got.shape == expected.shape, f"{name}: shape {got.shape}, Keras {expected.shape}"
        if check_dtype:
            assert str(got.dtype) == keras.backend.standardize_dtype(t.dtype), (
                f"{name}: dtype {got.dtype}, Keras {t.dtype}"
            )
        np.testing.assert_allclose(got, expected, atol=atol, rtol=rtol, err_msg=name)
