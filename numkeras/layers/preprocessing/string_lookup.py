"""StringLookup and IntegerLookup: vocabulary lookups for string and integer tokens."""

from numkeras.layers.preprocessing.index_lookup import IndexLookup


class StringLookup(IndexLookup):
    """Maps strings to integer indices from a vocabulary (given, or learned by `adapt`).

    Args:
        max_tokens: the largest vocabulary, special tokens included (None: no limit).
        num_oov_indices: out-of-vocabulary slots (1; 0 makes unknown tokens an error).
        mask_token: a token mapped to index 0 in "int" mode (None: no mask).
        oov_token: what `invert` returns for OOV indices ("[UNK]").
        vocabulary: a list of tokens.
        invert: map indices back to tokens.
        output_mode: "int", "one_hot", "multi_hot" (or "binary") or "count".
        pad_to_max_tokens: make encoded outputs `max_tokens` wide.

    >>> layer = StringLookup(vocabulary=["a", "b", "c"])
    >>> layer([["a", "c"], ["d", "b"]]).numpy().tolist()
    [[1, 3], [0, 2]]
    """

    vocabulary_dtype = "string"

    def __init__(
        self,
        max_tokens=None,
        num_oov_indices=1,
        mask_token=None,
        oov_token="[UNK]",
        vocabulary=None,
        idf_weights=None,
        invert=False,
        output_mode="int",
        pad_to_max_tokens=False,
        sparse=False,
        encoding="utf-8",
        name=None,
        salt=None,
        **kwargs,
    ):
        kwargs.pop("vocabulary_dtype", None)
        self.encoding = encoding
        super().__init__(
            max_tokens,
            num_oov_indices,
            mask_token,
            oov_token,
            vocabulary,
            idf_weights,
            invert,
            output_mode,
            sparse,
            pad_to_max_tokens,
            salt=salt,
            name=name,
            **kwargs,
        )

    def get_config(self):
        config = super().get_config()
        del config["vocabulary_dtype"]
        return {**config, "encoding": self.encoding}


class IntegerLookup(IndexLookup):
    """Maps integer tokens to contiguous indices from a vocabulary; see StringLookup.

    >>> IntegerLookup(vocabulary=[12, 36, 1138])([[12, 1138], [42, 36]]).numpy().tolist()
    [[1, 3], [0, 2]]
    """

    vocabulary_dtype = "int64"

    def __init__(
        self,
        max_tokens=None,
        num_oov_indices=1,
        mask_token=None,
        oov_token=-1,
        vocabulary=None,
        vocabulary_dtype="int64",
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
        if vocabulary_dtype not in ("int64", "int32"):
            raise ValueError(
                f"IntegerLookup: `vocabulary_dtype` must be 'int64' or 'int32', "
                f"received {vocabulary_dtype!r}."
            )
        self.vocabulary_dtype = vocabulary_dtype
        super().__init__(
            max_tokens,
            num_oov_indices,
            mask_token,
            oov_token,
            vocabulary,
            idf_weights,
            invert,
            output_mode,
            sparse,
            pad_to_max_tokens,
            oov_method,
            salt,
            name,
            **kwargs,
        )
