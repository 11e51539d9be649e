"""CSVLogger: one CSV row per epoch, the file replaced atomically after each epoch."""

import collections
import csv
import io
import os

import numpy as np

from numkeras.callbacks.callback import Callback
from numkeras.saving.atomic import write_bytes


def _csv_value(value):
    if isinstance(value, str):
        return value
    if isinstance(value, collections.abc.Iterable) and not (
        isinstance(value, np.ndarray) and value.ndim == 0
    ):
        return f'"[{", ".join(map(str, value))}]"'
    return value


class CSVLogger(Callback):
    """Callback that streams epoch results to a CSV file.

    The header is `epoch` followed by the sorted log keys of the first epoch (with their
    `val_` twins added when that epoch had no validation); missing values are written as
    `NA`. After every epoch the whole file is rewritten to a temporary file in the same
    directory, fsynced and renamed over the old one, so a crash never leaves a torn row.

    Args:
        filename: the CSV file, e.g. "run/log.csv".
        separator: the string that separates the fields.
        append: True to add to an existing file (no second header when it has one), False to
            overwrite it.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "log.csv")
    >>> logger = CSVLogger(path)
    >>> logger.on_train_begin()
    >>> logger.on_epoch_end(0, {"loss": 0.5, "val_loss": 0.75})
    >>> print(open(path).read().strip())
    epoch,loss,val_loss
    0,0.5,0.75
    """

    chief_only = True  # writes files or prints

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        if not isinstance(separator, str) or len(separator) != 1:
            raise ValueError(
                "CSVLogger: `separator` must be a 1-character string such as ',' "
                f"or '\\t', received separator={separator!r}."
            )
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.keys = None
        self.append_header = True
        self._text = ""

    def on_train_begin(self, logs=None):
        self._text = ""
        self.append_header = True
        if self.append and os.path.exists(self.filename):
            with open(self.filename, newline="") as f:
                self._text = f.read()
            self.append_header = not self._text.split("\n", 1)[0]
        else:
            write_bytes(self.filename, b"")  # truncate now, as opening with "w" does
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(key.startswith("val_") for key in self.keys):
                self.keys.extend(f"val_{key}" for key in list(self.keys))

        class Dialect(csv.excel):
            delimiter = self.sep

        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=["epoch"] + self.keys, dialect=Dialect)
        if self.append_header:
            writer.writeheader()
            self.append_header = False
        row = {"epoch": epoch}
        row.update((key, _csv_value(logs.get(key, "NA"))) for key in self.keys)
        writer.writerow(row)
        self._text += buffer.getvalue()
        write_bytes(self.filename, self._text.encode("utf-8"))

    def on_train_end(self, logs=None):
        self._text = ""
