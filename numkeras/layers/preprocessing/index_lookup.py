"""IndexLookup, the base of StringLookup and IntegerLookup: tokens to vocabulary indices.

Indices follow Keras's layout: in "int" mode with a `mask_token`, index 0 is the mask; then
`num_oov_indices` out-of-vocabulary slots; then the vocabulary, most frequent first when it
is learned by `adapt` (ties broken by the larger token first, as Keras's reversed lexsort).
"""

import collections
import os

import numpy as np

from numkeras import ops
from numkeras.layers.keras_tensor import KerasTensor
from numkeras.layers.layer import Layer
from numkeras.layers.preprocessing.category_encoding import encode_categorical
from numkeras.layers.preprocessing.hashing import hash_bins

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count")


class IndexLookup(Layer):
    """Maps tokens to indices (or, with `invert`, indices to tokens); see StringLookup."""

    vocabulary_dtype = None  # "string" or an integer dtype

    def __init__(
        self,
        max_tokens=None,
        num_oov_indices=1,
        mask_token=None,
        oov_token=None,
        vocabulary=None,
        idf_weights=None,
        invert=False,
        output_mode="int",
        sparse=False,
        pad_to_max_tokens=False,
        oov_method="floormod",
        salt=None,
        name=None,
        **kwargs,
    ):
        name_ = type(self).__name__
        output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(
                f"If set, `max_tokens` must be greater than 1. Received: max_tokens={max_tokens}"
            )
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(
                "If pad_to_max_tokens is True, must set `max_tokens`. Received: "
                f"max_tokens={max_tokens}"
            )
        if num_oov_indices < 0:
            raise ValueError(
                "`num_oov_indices` must be greater than or equal to 0. "
                f"Received: num_oov_indices={num_oov_indices}"
            )
        if output_mode not in OUTPUT_MODES:
            raise ValueError(
                f"{name_}: output_mode={output_mode!r} is not supported; numkeras "
                f"supports {OUTPUT_MODES} (not 'tf_idf')."
            )
        if invert and output_mode != "int":
            raise ValueError(
                "`output_mode` must be `'int'` when `invert` is true. Received: "
                f"output_mode={output_mode}"
            )
        if sparse or idf_weights is not None:
            raise ValueError(
                f"{name_}: numkeras supports neither sparse outputs nor tf-idf; received "
                f"sparse={sparse}, idf_weights={idf_weights}."
            )
        if oov_method not in ("floormod", "farmhash"):
            raise ValueError(
                f"Unknown value for `oov_method` argument of {name_}. Allowed values are: "
                f"('floormod', 'farmhash'). Received: oov_method={oov_method}"
            )
        if salt is not None:
            if not self._is_string() and oov_method != "farmhash":
                raise ValueError(
                    "`salt` can only be used when `oov_method='farmhash'`. "
                    f"Received: oov_method={oov_method}"
                )
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                salt = list(salt)
            elif isinstance(salt, int):
                salt = [salt, salt]
            else:
                raise ValueError(
                    "The `salt` argument for `IndexLookup` can only be a tuple of 2 integers, "
                    f"or a single integer. Received: salt={salt}."
                )
        kwargs.pop("trainable", None), kwargs.pop("dtype", None)
        self._frozen_vocab_size = kwargs.pop("vocabulary_size", None)
        kwargs.pop("has_input_vocabulary", None)
        super().__init__(name=name, **kwargs)
        self.max_tokens, self.num_oov_indices = max_tokens, num_oov_indices
        self.mask_token, self.oov_token, self.invert = mask_token, oov_token, invert
        self.output_mode, self.sparse = output_mode, sparse
        self.pad_to_max_tokens, self.oov_method, self.salt = pad_to_max_tokens, oov_method, salt
        self.input_vocabulary = vocabulary
        self._tokens = []
        self._counts = collections.Counter()
        if vocabulary is not None:
            self.set_vocabulary(vocabulary)

    def _is_string(self):
        return self.vocabulary_dtype == "string"

    def _oov_start_index(self):
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self):
        return self._oov_start_index() + self.num_oov_indices

    def _special_tokens(self):
        return [self.mask_token] * self._oov_start_index() + [self.oov_token] * (
            self.num_oov_indices
        )

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Use `vocabulary` (without, or starting with, the mask and OOV tokens)."""
        if isinstance(vocabulary, str):
            raise ValueError(
                f"{type(self).__name__}: numkeras does not read vocabulary files; "
                "pass the tokens as a list."
            )
        tokens = [self._plain(t) for t in np.asarray(vocabulary).ravel().tolist()]
        if not tokens:
            raise ValueError(f"Cannot set an empty vocabulary. Received: vocabulary={vocabulary}")
        special = self._special_tokens()
        if tokens[: len(special)] == special:
            tokens = tokens[len(special) :]
        repeated = [t for t, n in collections.Counter(tokens).items() if n > 1]
        if repeated:
            raise ValueError(
                "The passed vocabulary has at least one repeated term. Please "
                f"uniquify your dataset. The repeated terms are: {repeated}"
            )
        if self.mask_token is not None and self.mask_token in tokens:
            raise ValueError(
                "Found reserved mask token at unexpected location in "
                f"`vocabulary`: {self.mask_token!r}."
            )
        size = self._token_start_index() + len(tokens)
        if self.max_tokens is not None and size > self.max_tokens:
            raise ValueError(
                "Attempted to set a vocabulary larger than the maximum vocab size. "
                f"Received vocabulary size is {size}; `max_tokens` is "
                f"{self.max_tokens}."
            )
        self._tokens = tokens
        self._frozen_vocab_size = size

    def _plain(self, token):
        if isinstance(token, bytes):
            return token.decode("utf-8")
        return token if self._is_string() else int(token)

    def adapt(self, data, steps=None):
        """Learn the vocabulary from token counts over `data` (an array or batches)."""
        self._counts = collections.Counter()
        batched = (
            hasattr(data, "__iter__")
            and not isinstance(data, (list, tuple, np.ndarray))
            and not hasattr(data, "numpy")
        )
        for i, batch in enumerate(data if batched else [data]):
            if steps is not None and i >= steps:
                break
            values = np.asarray(ops.convert_to_numpy(batch) if hasattr(batch, "numpy") else batch)
            self._counts.update(self._plain(t) for t in values.ravel().tolist())
        for special in (self.mask_token, self.oov_token):
            self._counts.pop(special, None)
        ordered = sorted(self._counts, key=lambda t: (self._counts[t], t), reverse=True)
        if self.max_tokens:
            ordered = ordered[: self.max_tokens - self._token_start_index()]
        self._tokens = ordered
        self._frozen_vocab_size = self._token_start_index() + len(ordered)

    def get_vocabulary(self, include_special_tokens=True):
        start = self._token_start_index()
        vocab = [self.oov_token] * start + list(self._tokens)
        if self.mask_token is not None and self.output_mode == "int":
            vocab[0] = self.mask_token
        return vocab if include_special_tokens else vocab[start:]

    def save_assets(self, dir_path):
        """Write an adapted vocabulary to `vocabulary.txt`, one token a line (Keras's asset);
        a vocabulary passed to the constructor is in the config instead."""
        if self.input_vocabulary is not None:
            return
        with open(os.path.join(dir_path, "vocabulary.txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(str(token) for token in self.get_vocabulary()))

    def load_assets(self, dir_path):
        """Read the vocabulary `save_assets` wrote."""
        if self.input_vocabulary is not None:
            return
        with open(os.path.join(dir_path, "vocabulary.txt"), encoding="utf-8") as f:
            lines = f.read().splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        self.set_vocabulary(lines if self._is_string() else [int(line) for line in lines])

    def vocabulary_size(self):
        return self._token_start_index() + len(self._tokens)

    def _convert_input(self, x):
        return np.asarray(ops.convert_to_numpy(x) if hasattr(x, "numpy") else x)

    def _lookup(self, tokens):
        table = {t: i for i, t in enumerate(self._tokens, start=self._token_start_index())}
        ids = np.empty(tokens.shape, np.int64)
        for index, token in np.ndenumerate(tokens):
            token = self._plain(token)
            if self.mask_token is not None and token == self.mask_token:
                ids[index] = 0 if self.output_mode == "int" else -1
            elif token in table:
                ids[index] = table[token]
            elif self.num_oov_indices == 0:
                raise ValueError(
                    f"{type(self).__name__}: token {token!r} is not in the "
                    "vocabulary and num_oov_indices=0."
                )
            else:
                ids[index] = self._oov_start_index() + self._oov_slot(token)
        return ids

    def _oov_slot(self, token):
        """Which OOV index a token takes: integers by floormod, else (strings, or
        `oov_method="farmhash"`) FarmHash64 or salted SipHash64 of its text, as Keras."""
        n = self.num_oov_indices
        if n == 1:
            return 0
        if not self._is_string() and self.oov_method == "floormod":
            return token % n
        return int(hash_bins(np.array([token], object), n, self.salt)[0])

    def _invert(self, ids):
        vocab = self.get_vocabulary()
        out = np.empty(ids.shape, object if self._is_string() else np.int64)
        for index, i in np.ndenumerate(ids):
            out[index] = (
                vocab[i]
                if self._token_start_index() <= i < len(vocab)
                else (self.mask_token if i == 0 and self.mask_token is not None else self.oov_token)
            )
        return out.astype(str) if self._is_string() else out

    def call(self, inputs):
        if self._frozen_vocab_size is None:
            raise ValueError(
                f'Layer "{self.name}" has no vocabulary: pass `vocabulary` or call `adapt` first.'
            )
        if self.invert:
            result = self._invert(np.asarray(inputs).astype(np.int64))
            return result if self._is_string() else ops.convert_to_tensor(result)
        ids = self._lookup(np.asarray(inputs))
        if self.output_mode == "int":
            return ops.convert_to_tensor(ids)
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        ids = np.where(ids < 0, depth, ids)  # the mask falls in an extra column, then dropped
        encoded = encode_categorical(ids, self.output_mode, depth + 1, "int64")  # as Keras
        return ops.convert_to_tensor(encoded[..., :depth])

    def compute_output_spec(self, inputs):
        """Indices are int64 (tokens, when inverting), encodings float32, as Keras's."""
        shape = self.compute_output_shape(tuple(inputs.shape))
        if self.output_mode != "int":
            return KerasTensor(shape, "float32")
        string_out = self.invert and self._is_string()
        return KerasTensor(shape, "string" if string_out else "int64")

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        if self.output_mode == "one_hot" and not (len(input_shape) > 1 and input_shape[-1] == 1):
            return tuple(input_shape) + (depth,)
        return tuple(input_shape[:-1]) + (depth,)

    def get_config(self):
        vocabulary = self.input_vocabulary
        if vocabulary is not None and not isinstance(vocabulary, list):
            vocabulary = [self._plain(t) for t in np.asarray(vocabulary).ravel().tolist()]
        return {
            **super().get_config(),
            "invert": self.invert,
            "max_tokens": self.max_tokens,
            "num_oov_indices": self.num_oov_indices,
            "oov_token": self.oov_token,
            "mask_token": self.mask_token,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "pad_to_max_tokens": self.pad_to_max_tokens,
            "vocabulary_dtype": self.vocabulary_dtype,
            "idf_weights": None,
            "vocabulary": vocabulary,
            "vocabulary_size": self._frozen_vocab_size,
            "oov_method": self.oov_method,
            "salt": self.salt,
        }
