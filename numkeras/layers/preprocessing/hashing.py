"""Hashing: strings or integers to hash bins, as TensorFlow's hashing ops bin them."""

import numpy as np

from numkeras import ops
from numkeras.backend import floatx
from numkeras.layers.layer import Layer
from numkeras.layers.preprocessing.category_encoding import encode_categorical
from numkeras.layers.preprocessing.hash_functions import fingerprint64, siphash64

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count")


def as_values(x):
    """A NumPy array of the strings or numbers `x` holds (numkeras tensors included)."""
    return np.asarray(ops.convert_to_numpy(x) if hasattr(x, "numpy") else x)


def as_bytes(value):
    """What TensorFlow hashes for one value: a string's UTF-8 bytes, a number's decimal
    digits (floats truncated to integers first, as `tf.cast(x, "int64")`)."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (float, np.floating)):
        value = int(value)
    return str(int(value)).encode("ascii")


def hash_bins(values, num_bins, salt=None):
    """Each value's bin in [0, num_bins): FarmHash Fingerprint64, or SipHash under `salt`,
    modulo `num_bins`. Each distinct value is hashed once."""
    values = np.asarray(values)
    flat = values.ravel()
    try:
        distinct, where = np.unique(flat, return_inverse=True)
    except TypeError:  # values that don't sort together (str mixed with bytes)
        distinct, where = flat, np.arange(flat.size)
    bins = np.empty(len(distinct), np.int64)
    for i, value in enumerate(distinct):
        data = as_bytes(value.item() if isinstance(value, np.generic) else value)
        h = fingerprint64(data) if salt is None else siphash64(salt, data)
        bins[i] = h % num_bins
    return bins[where.reshape(-1)].reshape(values.shape)


class Hashing(Layer):
    """Hashes strings or integers into `num_bins` bins, stable across runs and platforms.

    As Keras (which runs TensorFlow's `to_hash_bucket_fast`/`_strong`): FarmHash64 by
    default, SipHash64 keyed by `salt` when given; integers are hashed as their decimal
    strings. With `mask_value`, that value goes to bin 0 and the rest to bins 1..num_bins-1.

    Args:
        num_bins: the number of bins, including the mask bin if `mask_value` is set.
        mask_value: a value mapped to bin 0, or None.
        salt: None, an int, or two ints (a single int is used for both key words).
        output_mode: "int" (default), "one_hot", "multi_hot" or "count".
        sparse: must be False (numkeras has no sparse tensors).

    >>> Hashing(num_bins=3)([["A"], ["B"], ["C"], ["D"], ["E"]]).numpy().ravel().tolist()
    [1, 0, 1, 1, 2]
    """

    def __init__(
        self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False, **kwargs
    ):
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else floatx()
        super().__init__(**kwargs)
        if num_bins is None or num_bins <= 0:
            raise ValueError(
                "The `num_bins` for `Hashing` cannot be `None` or non-positive values. "
                f"Received: num_bins={num_bins}."
            )
        if output_mode == "int" and self.dtype not in ("int32", "int64"):
            raise ValueError(
                "When `output_mode=\"int\"`, `dtype` should be an integer type, 'int32' or "
                f"'in64'. Received: dtype={kwargs['dtype']}"
            )
        if output_mode not in OUTPUT_MODES:
            raise ValueError(
                "Invalid value for argument `output_mode`. Expected one of "
                f"{OUTPUT_MODES}. Received: output_mode={output_mode}"
            )
        if sparse and output_mode == "int":
            raise ValueError(
                '`sparse` may only be true if `output_mode` is `"one_hot"`, `"multi_hot"`, '
                f'or `"count"`. Received: sparse={sparse} and output_mode={output_mode}'
            )
        if sparse:
            raise ValueError("Hashing: numkeras has no sparse tensors (sparse=True).")
        if salt is not None:
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                salt = list(salt)
            elif isinstance(salt, int):
                salt = [salt, salt]
            else:
                raise ValueError(
                    "The `salt` argument for `Hashing` can only be a tuple of size 2 "
                    f"integers, or a single integer. Received: salt={salt}."
                )
        self.num_bins, self.mask_value, self.salt = num_bins, mask_value, salt
        self.strong_hash = salt is not None
        self.output_mode, self.sparse = output_mode, sparse

    def _convert_input(self, x):
        return as_values(x)

    def _bins(self, values):
        """Bin indices of `values`; the mask value (if any) takes bin 0."""
        if self.mask_value is None or self.num_bins <= 1:
            return hash_bins(values, self.num_bins, self.salt)
        if values.dtype.kind in "SUO":
            masked = as_bytes(self.mask_value)
            mask = np.vectorize(lambda v: as_bytes(v) == masked, otypes=[bool])(values)
        else:
            mask = values == self.mask_value
        bins = hash_bins(values, self.num_bins - 1, self.salt) + 1
        return np.where(mask, 0, bins)

    def call(self, inputs):
        values = as_values(inputs)
        if values.dtype.kind not in "iufUSO":
            raise ValueError(
                f"Hashing: inputs should be strings or numbers; received dtype {values.dtype}."
            )
        encoded = encode_categorical(
            self._bins(values), self.output_mode, self.num_bins, self.dtype
        )
        return ops.convert_to_tensor(encoded)

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        if len(input_shape) == 0:
            return (self.num_bins,)
        return tuple(input_shape[:-1]) + (self.num_bins,)

    def get_config(self):
        return {
            **super().get_config(),
            "num_bins": self.num_bins,
            "salt": self.salt,
            "mask_value": self.mask_value,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
        }
