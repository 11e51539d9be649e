"""Atomic file writes: a crash or an error never leaves a half-written file behind.

The data goes to a temporary file in the destination's directory (so the final rename stays
on one filesystem), is flushed and fsynced, then `os.replace`d over the destination.
"""
import contextlib
import io
import os
import tempfile

from numkeras.backend import process

__all__ = ["atomic_write", "write_bytes"]

# mkstemp creates files as 0600; saved files get the usual 0666 & ~umask instead.
_UMASK = os.umask(0o022)
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_write(path, overwrite=True):
    """Yield a binary file object; on a clean exit it becomes `path`, on an error it vanishes.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "out.bin")
    >>> with atomic_write(path) as f:
    ...     _ = f.write(b"data")
    >>> open(path, "rb").read(), os.listdir(os.path.dirname(path))
    (b'data', ['out.bin'])
    """
    if not process.is_chief():  # data-parallel training: process 0 writes the files
        yield io.BytesIO()
        return
    path = os.fspath(path)
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path} already exists and overwrite=False.")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"Cannot save to {path}: directory {directory} does not exist.")
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.",
                               suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)


def write_bytes(path, data, overwrite=True):
    """Write `data` to `path` atomically."""
    with atomic_write(path, overwrite) as f:
        f.write(data)


def _fsync_directory(directory):
    """Make the rename itself durable (POSIX); a no-op where directories can't be opened."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
