"""Atomic file writes: a crash or an error never leaves a half-written file behind.

The data goes to a temporary file in the destination's directory (so the final rename stays
on one filesystem), is flushed and fsynced, then `os.replace`d over the destination. A folder
is written beside its destination and swapped in. Temporary names hold the writer's process
id (`.NAME.PID.XXXX.tmp`): each save to NAME first removes those of processes that have died
(killed mid-save), so they never pile up.
"""

import contextlib
import ctypes
import io
import os
import shutil
import tempfile

from numkeras.backend import process

__all__ = ["atomic_write", "write_bytes", "write_folder", "remove_stale"]

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
    remove_stale(path)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=_temp_prefix(path), suffix=".tmp")
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


def write_folder(path, members):
    """Write `members` ({file name: bytes}) as the folder `path`, replacing any previous one
    whole: the files go to a sibling folder that is then swapped in, so `path` always holds
    either the previous folder or the new one, never a mix.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "model")
    >>> write_folder(path, {"a.txt": b"old", "b.txt": b"old"})
    >>> write_folder(path, {"a.txt": b"new"})
    >>> os.listdir(path), open(os.path.join(path, "a.txt"), "rb").read()
    (['a.txt'], b'new')
    """
    if not process.is_chief():  # data-parallel training: process 0 writes the files
        return
    path = os.path.abspath(os.fspath(path))
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"Cannot save to {path}: directory {directory} does not exist.")
    remove_stale(path)
    tmp = tempfile.mkdtemp(dir=directory, prefix=_temp_prefix(path), suffix=".tmp")
    try:
        for name, data in members.items():
            os.makedirs(os.path.dirname(os.path.join(tmp, name)), exist_ok=True)  # assets/...
            with open(os.path.join(tmp, name), "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        os.chmod(tmp, 0o777 & ~_UMASK)
        if os.path.isdir(path):
            _exchange(tmp, path)  # `tmp` now holds the previous folder
        else:
            os.rename(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(tmp, ignore_errors=True)
    _fsync_directory(directory)


def _temp_prefix(path):
    return f".{os.path.basename(path)}.{os.getpid()}."


def remove_stale(path):
    """Remove the temporary files and folders that saves to `path` left behind in processes
    that no longer run (a live process's, or another path's, are kept)."""
    path = os.path.abspath(os.fspath(path))
    directory, start = os.path.dirname(path), f".{os.path.basename(path)}."
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        pid = name[len(start) :].split(".")[0]
        if not (name.startswith(start) and name.endswith(".tmp") and pid.isdigit()) or _running(
            int(pid)
        ):
            continue
        stale = os.path.join(directory, name)
        if os.path.isdir(stale) and not os.path.islink(stale):
            shutil.rmtree(stale, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                os.unlink(stale)


def _running(pid):
    """Whether process `pid` exists (on Windows, where signal 0 would kill it: assume so)."""
    if os.name == "nt":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, owned by another user
        return True
    return True


def _exchange(a, b):
    """Swap two paths: in one step where Linux's renameat2(RENAME_EXCHANGE) works, else by
    three renames (`b` is briefly absent; its old content is then at `a`)."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError, TypeError):  # not Linux, or a C library without it
        renameat2 = None
    at_cwd, exchange = -100, 2
    if (
        renameat2 is not None
        and renameat2(at_cwd, os.fsencode(a), at_cwd, os.fsencode(b), exchange) == 0
    ):
        return
    aside = a[: -len(".tmp")] + ".old.tmp"
    os.rename(b, aside)
    try:
        os.rename(a, b)
    except BaseException:
        os.rename(aside, b)
        raise
    os.rename(aside, a)


def _fsync_directory(directory):
    """Make the rename itself durable (POSIX); a no-op where directories can't be opened."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
