"""HashedCrossing: crosses scalar categorical features with the hashing trick."""

import numpy as np

from numkeras import ops
from numkeras.layers.layer import Layer
from numkeras.layers.preprocessing.category_encoding import encode_categorical
from numkeras.layers.preprocessing.hash_functions import fingerprint64, fingerprint_cat64
from numkeras.layers.preprocessing.hashing import as_bytes, as_values

CROSS_KEY = 0xDECAFCAFFE  # tf.sparse.cross_hashed's default hash key
_MASK = (1 << 64) - 1


def _feature_hash(value, is_string):
    """A string's Fingerprint64, or an integer itself as an unsigned 64-bit word."""
    if is_string:
        return fingerprint64(as_bytes(value))
    return int(value) & _MASK


class HashedCrossing(Layer):
    """`hash(feature_1, ..., feature_n) % num_bins` for scalar integer or string features.

    The bins are those of Keras (TensorFlow's `tf.sparse.cross_hashed`): each feature is
    fingerprinted (strings) or taken as is (integers) and folded in order into a fixed key.

    Args:
        num_bins: the number of hash bins.
        output_mode: "int" (default) or "one_hot".
        sparse: must be False (numkeras has no sparse tensors).

    >>> crossed = HashedCrossing(num_bins=5)((["A", "B", "A", "B", "A"], [101, 101, 101, 102, 102]))
    >>> crossed.numpy().tolist()
    [1, 4, 1, 1, 3]
    """

    def __init__(self, num_bins, output_mode="int", sparse=False, name=None, dtype=None, **kwargs):
        if output_mode == "int" and dtype is None:
            dtype = "int64"
        super().__init__(name=name, dtype=dtype)
        if sparse:
            raise ValueError("`sparse=True` can only be used with the TensorFlow backend.")
        if output_mode not in ("int", "one_hot"):
            raise ValueError(
                "Unknown value for `output_mode` argument of HashedCrossing. Allowed values "
                f"are: ('int', 'one_hot'). Received: output_mode={output_mode}"
            )
        self.num_bins, self.output_mode, self.sparse = num_bins, output_mode, sparse

    def _convert_input(self, x):
        if isinstance(x, (list, tuple)):
            return [as_values(v) for v in x]
        return x

    def _check(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                "`HashedCrossing` should be called on a list or tuple of inputs. "
                f"Received: inputs={inputs}"
            )
        if len(inputs) < 2:
            raise ValueError(
                f"`HashedCrossing` should be called on at least two inputs. Received: "
                f"inputs={inputs}"
            )
        shape = inputs[0].shape
        if len(shape) > 2 or (len(shape) == 2 and shape[-1] != 1):
            raise ValueError(
                "All `HashedCrossing` inputs should have shape `()`, `(batch_size)` or "
                f"`(batch_size, 1)`. Received: inputs={inputs}"
            )
        if any(x.shape != shape for x in inputs[1:]):
            raise ValueError(
                f"All `HashedCrossing` inputs should have equal shape. Received: inputs={inputs}"
            )
        if any(x.dtype.kind not in "iuUSO" for x in inputs):
            raise ValueError(
                "All `HashedCrossing` inputs should have an integer or string dtype. "
                f"Received: inputs={inputs}"
            )

    def call(self, inputs):
        inputs = [as_values(x) for x in inputs] if isinstance(inputs, (list, tuple)) else inputs
        self._check(inputs)
        shape = inputs[0].shape
        columns = [(x.ravel(), x.dtype.kind in "USO") for x in inputs]
        bins = np.empty(int(np.prod(shape)), np.int64)
        for i in range(bins.size):
            h = CROSS_KEY
            for values, is_string in columns:
                h = fingerprint_cat64(h, _feature_hash(values[i], is_string))
            bins[i] = h % self.num_bins
        bins = bins.reshape(shape)
        encoded = encode_categorical(bins, self.output_mode, self.num_bins, self.dtype)
        return ops.convert_to_tensor(encoded)

    def compute_output_shape(self, input_shape):
        if (
            len(input_shape) != 2
            or not isinstance(input_shape[0], tuple)
            or not isinstance(input_shape[1], tuple)
        ):
            raise ValueError(
                f"Expected as input a list/tuple of 2 tensors. Received input_shape={input_shape}"
            )
        if input_shape[0][-1] != input_shape[1][-1]:
            raise ValueError(
                "Expected the two input tensors to have identical shapes. "
                f"Received input_shape={input_shape}"
            )
        if self.output_mode == "int":
            return tuple(input_shape[0])
        if input_shape[0][-1] != 1:
            return tuple(input_shape[0]) + (self.num_bins,)
        return tuple(input_shape[0])[:-1] + (self.num_bins,)

    def get_config(self):
        return {
            "num_bins": self.num_bins,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "name": self.name,
            "dtype": self.dtype,
        }
