"""`numkeras.preprocessing.sequence`: `pad_sequences`, as in `numkeras.utils`."""

from numkeras.utils.sequence_utils import pad_sequences

__all__ = ["pad_sequences"]
