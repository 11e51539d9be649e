"""TextVectorization: strings to token ids or bag-of-words vectors, with a learned vocabulary.

Each string is standardized (lowercased, punctuation stripped), split into tokens, optionally
extended with n-grams, then looked up in a StringLookup vocabulary ("" is the padding mask
and "[UNK]" the out-of-vocabulary token, as in Keras).
"""

import re

import numpy as np

from numkeras import ops
from numkeras.layers.layer import Layer
from numkeras.layers.preprocessing.string_lookup import StringLookup

PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
STANDARDIZE = (None, "lower_and_strip_punctuation", "lower", "strip_punctuation")
SPLIT = (None, "whitespace", "character")
OUTPUT_MODES = ("int", "multi_hot", "count")


class TextVectorization(Layer):
    """Turns a batch of strings `(batch,)` or `(batch, 1)` into token ids or word counts.

    Args:
        max_tokens: the vocabulary size limit, special tokens included.
        standardize: "lower_and_strip_punctuation" (default), "lower", "strip_punctuation",
            None, or a function of one string.
        split: "whitespace" (default), "character", None, or a function string -> tokens.
        ngrams: None, an int n (1..n-grams) or a tuple of n-gram widths.
        output_mode: "int" (ids, padded with 0), "multi_hot" or "count".
        output_sequence_length: pad or truncate "int" outputs to this length.
        pad_to_max_tokens: make "multi_hot"/"count" outputs `max_tokens` wide.
        vocabulary: a list of tokens (else call `adapt`).

    >>> layer = TextVectorization(output_sequence_length=4)
    >>> layer.adapt(np.array(["The cat sat.", "the dog, the CAT!"]))
    >>> layer.get_vocabulary()
    ['', '[UNK]', 'the', 'cat', 'sat', 'dog']
    >>> layer(np.array(["the bird sat"])).numpy().tolist()
    [[2, 1, 4, 0]]
    """

    def __init__(
        self,
        max_tokens=None,
        standardize="lower_and_strip_punctuation",
        split="whitespace",
        ngrams=None,
        output_mode="int",
        output_sequence_length=None,
        pad_to_max_tokens=False,
        vocabulary=None,
        idf_weights=None,
        sparse=False,
        ragged=False,
        encoding="utf-8",
        name=None,
        **kwargs,
    ):
        output_mode = "multi_hot" if output_mode == "binary" else output_mode
        if not (callable(standardize) or standardize in STANDARDIZE):
            raise ValueError(
                f"TextVectorization: `standardize` must be one of {STANDARDIZE} or "
                f"a callable, received standardize={standardize!r}."
            )
        if not (callable(split) or split in SPLIT):
            raise ValueError(
                f"TextVectorization: `split` must be one of {SPLIT} or a callable, "
                f"received split={split!r}."
            )
        if output_mode not in OUTPUT_MODES:
            raise ValueError(
                f"TextVectorization: output_mode={output_mode!r} is not supported; "
                f"numkeras supports {OUTPUT_MODES} (not 'tf_idf')."
            )
        if ngrams is not None and not (
            isinstance(ngrams, int)
            and ngrams > 0
            or (
                isinstance(ngrams, (list, tuple))
                and all(isinstance(n, int) and n > 0 for n in ngrams)
            )
        ):
            raise ValueError(
                "`ngrams` must be None, an integer, or a tuple of integers. "
                f"Received: ngrams={ngrams}"
            )
        if output_sequence_length is not None and output_mode != "int":
            raise ValueError(
                "`output_sequence_length` must not be set if `output_mode` is not "
                f"'int'. Received output_sequence_length={output_sequence_length}."
            )
        if sparse or ragged or idf_weights is not None:
            raise ValueError(
                "TextVectorization: numkeras supports neither sparse nor ragged "
                "outputs, nor tf-idf weights."
            )
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        kwargs.pop("trainable", None), kwargs.pop("dtype", None)
        super().__init__(name=name, **kwargs)
        self.max_tokens, self.standardize, self.split = max_tokens, standardize, split
        self.ngrams, self.output_mode = ngrams, output_mode
        self.output_sequence_length, self.pad_to_max_tokens = (
            output_sequence_length,
            pad_to_max_tokens,
        )
        self.sparse, self.ragged, self.encoding = sparse, ragged, encoding
        self._widths = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens,
            mask_token="",
            vocabulary=vocabulary,
            output_mode="int" if output_mode == "int" else "multi_hot",
            pad_to_max_tokens=pad_to_max_tokens,
            vocabulary_size=vocabulary_size,
            name=f"{self.name}_lookup",
        )

    # --- strings to tokens ------------------------------------------------------------------
    def _tokens(self, text):
        if isinstance(text, bytes):
            text = text.decode(self.encoding)
        if self.standardize in ("lower", "lower_and_strip_punctuation"):
            text = text.lower()
        if self.standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
            text = PUNCTUATION.sub("", text)
        if callable(self.standardize):
            text = self.standardize(text)
        if self.split == "whitespace":
            tokens = text.split()
        elif self.split == "character":
            tokens = list(text)
        elif callable(self.split):
            tokens = list(self.split(text))
        else:
            tokens = [text]
        if self._widths:
            tokens = [
                " ".join(tokens[i : i + n])
                for n in self._widths
                for i in range(len(tokens) - n + 1)
            ]
        return tokens

    def _documents(self, inputs):
        texts = np.asarray(ops.convert_to_numpy(inputs) if hasattr(inputs, "numpy") else inputs)
        if texts.ndim == 2 and texts.shape[-1] == 1:
            texts = texts[:, 0]
        if texts.ndim > 1:
            raise ValueError(
                "When using `TextVectorization` to tokenize strings, the input "
                "rank must be 1 or the last shape dimension must be 1. Received: "
                f"inputs.shape={texts.shape}"
            )
        return [self._tokens(t) for t in np.atleast_1d(texts).tolist()]

    # --- vocabulary ---------------------------------------------------------------------------
    def adapt(self, data, steps=None):
        """Learn the vocabulary (most frequent tokens first) from strings or batches of them."""
        batched = (
            hasattr(data, "__iter__")
            and not isinstance(data, (list, tuple, np.ndarray))
            and not hasattr(data, "numpy")
        )
        batches = list(data)[:steps] if batched else [data]
        tokens = [t for batch in batches for doc in self._documents(batch) for t in doc]
        self._lookup_layer.adapt(np.array(tokens or [""], dtype=object))

    def get_vocabulary(self, include_special_tokens=True):
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def set_vocabulary(self, vocabulary, idf_weights=None):
        self._lookup_layer.set_vocabulary(vocabulary)

    def vocabulary_size(self):
        return self._lookup_layer.vocabulary_size()

    # --- calling ------------------------------------------------------------------------------
    def _convert_input(self, x):
        return x  # strings stay strings

    def call(self, inputs):
        docs = self._documents(inputs)
        lookup = self._lookup_layer
        if lookup._frozen_vocab_size is None:
            raise ValueError(
                f'Layer "{self.name}" has no vocabulary: pass `vocabulary` or call `adapt` first.'
            )
        ids = [lookup._lookup(np.array(doc, dtype=object)) for doc in docs]
        if self.output_mode == "int":
            length = self.output_sequence_length or max([len(d) for d in ids] + [0])
            out = np.zeros((len(ids), length), np.int64)
            for row, doc in zip(out, ids):
                row[: min(len(doc), length)] = doc[:length]
            return ops.convert_to_tensor(out)
        depth = self.max_tokens if self.pad_to_max_tokens else lookup._frozen_vocab_size
        counts = np.stack([np.bincount(d[d >= 0], minlength=depth)[:depth] for d in ids])
        return ops.convert_to_tensor(
            (counts if self.output_mode == "count" else np.minimum(counts, 1)).astype(np.int64)
        )

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return (input_shape[0], self.output_sequence_length)
        depth = self.max_tokens if self.pad_to_max_tokens else self._lookup_layer._frozen_vocab_size
        return (input_shape[0], depth)

    def get_config(self):
        return {
            **super().get_config(),
            "max_tokens": self.max_tokens,
            "standardize": self.standardize,
            "split": self.split,
            "ngrams": self.ngrams,
            "output_mode": self.output_mode,
            "output_sequence_length": self.output_sequence_length,
            "pad_to_max_tokens": self.pad_to_max_tokens,
            "sparse": self.sparse,
            "ragged": self.ragged,
            "vocabulary": self._lookup_layer.input_vocabulary,
            "idf_weights": None,
            "encoding": self.encoding,
            "vocabulary_size": self._lookup_layer._frozen_vocab_size,
        }
