"""`get_file`: download a file once into the Keras cache (`$KERAS_HOME` or `~/.keras`)."""

import hashlib
import os
import tempfile
import warnings

from numkeras.utils.progbar import Progbar

__all__ = ["get_file", "hash_file", "keras_home", "validate_file"]

_CHUNK = 1 << 16


def keras_home():
    """The cache root: `$KERAS_HOME` if set, else `~/.keras` (read at call time)."""
    return os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")


def _resolve_hasher(algorithm, file_hash=None):
    """sha256, or md5 for Keras's legacy 32-character hashes when `algorithm="auto"`."""
    if algorithm == "sha256" or (algorithm == "auto" and len(file_hash or "") == 64):
        return hashlib.sha256()
    if algorithm in ("md5", "auto"):
        return hashlib.md5()
    raise ValueError(f"`hash_algorithm` must be 'auto', 'sha256' or 'md5'. Received: {algorithm}")


def hash_file(fpath, algorithm="sha256", chunk_size=_CHUNK):
    """The hex digest of the file at `fpath` (`algorithm` is "sha256" or "md5")."""
    hasher = _resolve_hasher(algorithm)
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=_CHUNK):
    """Whether the file at `fpath` has the hash `file_hash` (sha256, or md5 if 32 chars)."""
    hasher = _resolve_hasher(algorithm, file_hash)
    return hash_file(fpath, hasher.name, chunk_size) == str(file_hash).lower()


def _cache_dir(cache_dir, cache_subdir):
    """`cache_dir/cache_subdir`, falling back to `<tmp>/.keras` when the first is read-only."""
    base = os.path.expanduser(cache_dir if cache_dir is not None else keras_home())
    try:
        os.makedirs(base, exist_ok=True)
        writable = os.access(base, os.W_OK)
    except OSError:
        writable = False
    if not writable:
        base = os.path.join(tempfile.gettempdir(), ".keras")
    datadir = os.path.join(base, cache_subdir)
    os.makedirs(datadir, exist_ok=True)
    return datadir


def _check_fname(fname, origin):
    """A bare file name: taken from `fname`, else from the end of `origin`'s URL path."""
    if fname:
        fname = os.fspath(fname)
        if os.sep in fname or (os.altsep and os.altsep in fname):
            raise ValueError(
                "Paths are no longer accepted as the `fname` argument. To specify the file's "
                f"parent directory, use the `cache_dir` argument. Received: fname={fname}"
            )
        return fname
    from urllib.parse import urlsplit

    fname = os.path.basename(urlsplit(origin).path)
    if not fname:
        raise ValueError(
            f"Can't parse the file name from the origin provided: '{origin}'. "
            "Please specify the `fname` argument."
        )
    return fname


def _download(origin, target, file_hash, hash_algorithm):
    """Fetch `origin` into `target` atomically: temp file, hash check, fsync, `os.replace`."""
    import urllib.error
    import urllib.request

    print(f"Downloading data from {origin}")
    fd, tmp_path = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".download-")
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(origin) as response:
                    total = int(response.headers.get("Content-Length") or 0) or None
                    progbar, seen = Progbar(total), 0
                    for chunk in iter(lambda: response.read(_CHUNK), b""):
                        out.write(chunk)
                        seen += len(chunk)
                        progbar.update(seen, finalize=False)
                    progbar.update(seen, finalize=True)
            except urllib.error.HTTPError as e:
                raise OSError(f"URL fetch failure on {origin}: {e.code} -- {e.msg}") from e
            except urllib.error.URLError as e:
                raise OSError(f"URL fetch failure on {origin}: {e.errno} -- {e.reason}") from e
            out.flush()
            os.fsync(out.fileno())
        if file_hash is not None:
            algorithm = _resolve_hasher(hash_algorithm, file_hash).name
            got = hash_file(tmp_path, algorithm)
            if got != str(file_hash).lower():
                raise ValueError(
                    f"Incomplete or corrupted file detected: the {algorithm} hash of the file "
                    f"downloaded from {origin} is {got}, expected {file_hash}."
                )
        os.replace(tmp_path, target)
    except BaseException:
        if os.path.exists(tmp_path):
            os.remove(tmp_path)
        raise


def _extract(archive_path, path, archive_format="auto"):
    """Unpack a tar (.tar, .tar.gz, .tar.bz2) or zip archive into `path`; False if neither.

    Members that would land outside `path` (absolute names, `..`, links) are refused.
    """
    import tarfile
    import zipfile

    formats = ["tar", "zip"] if archive_format == "auto" else archive_format or []
    formats = [formats] if isinstance(formats, str) else formats
    root = os.path.realpath(path)

    def inside(name):
        return os.path.commonpath([root, os.path.realpath(os.path.join(root, name))]) == root

    for kind in formats:
        if kind == "tar" and tarfile.is_tarfile(archive_path):
            with tarfile.open(archive_path) as archive:
                members = archive.getmembers()
                bad = [m.name for m in members if not inside(m.name) or m.issym() or m.islnk()]
                if bad:
                    raise ValueError(f"Refusing to extract unsafe archive members: {bad[:5]}")
                # filter="data" (Python >= 3.10.12) adds the stdlib's own checks, and avoids
                # the DeprecationWarning that Python 3.12-3.13 give without a filter
                extra = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
                archive.extractall(path, members=members, **extra)
            return True
        if kind == "zip" and zipfile.is_zipfile(archive_path):
            with zipfile.ZipFile(archive_path) as archive:
                bad = [name for name in archive.namelist() if not inside(name)]
                if bad:
                    raise ValueError(f"Refusing to extract unsafe archive members: {bad[:5]}")
                archive.extractall(path)
            return True
        if kind not in ("tar", "zip"):
            raise ValueError(f"`archive_format` entries must be 'tar' or 'zip'. Received: {kind}")
    return False


def get_file(
    fname=None,
    origin=None,
    untar=False,
    md5_hash=None,
    file_hash=None,
    cache_subdir="datasets",
    hash_algorithm="auto",
    extract=False,
    archive_format="auto",
    cache_dir=None,
    force_download=False,
):
    """Download a file from a URL unless it is already in the cache, and return its path.

    The file lands in `cache_dir/cache_subdir/fname`, by default `~/.keras/datasets/fname`
    (or `$KERAS_HOME/datasets/fname`). A cached copy whose hash does not match `file_hash` is
    downloaded again. A download is written to a temporary file and moved into place only
    once complete and verified, so an interrupted or corrupt download never lands in the cache.

    Args:
        fname: local file name; defaults to the last part of `origin`'s path. With `extract`,
            a name without an extension names the extraction directory.
        origin: URL of the file (`https://`, `http://` or `file://`).
        untar: deprecated in favor of `extract`; extract a tar archive.
        md5_hash: deprecated in favor of `file_hash`; an md5 hash of the file.
        file_hash: expected sha256 (or, if 32 characters long, md5) hex digest of the file.
        cache_subdir: subdirectory of the cache dir, or an absolute directory.
        hash_algorithm: "auto", "sha256" or "md5".
        extract: unpack the downloaded tar or zip archive and return the directory.
        archive_format: "auto" (tar then zip), "tar", "zip", a list of those, or None.
        cache_dir: cache root; defaults to `$KERAS_HOME` or `~/.keras`.
        force_download: download even if a valid cached copy exists.

    Returns:
        The path to the file, or to the extraction directory with `extract`/`untar`.
    """
    if origin is None:
        raise ValueError('Please specify the "origin" argument (URL of the file to download).')
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    given_name = bool(fname)
    fname = _check_fname(fname, origin)
    datadir = _cache_dir(cache_dir, cache_subdir)
    extraction_dir = None
    if extract or untar:  # Keras's naming for the archive and the directory it unpacks to
        if given_name and "." in fname:
            target = os.path.join(datadir, fname)
            extraction_dir = os.path.join(datadir, fname[: fname.find(".")] + "_extracted")
        else:
            target = os.path.join(datadir, fname + "_archive")
            extraction_dir = os.path.join(datadir, fname)
    else:
        target = os.path.join(datadir, fname)

    download = force_download or not os.path.exists(target)
    if (
        not download
        and file_hash is not None
        and not validate_file(target, file_hash, hash_algorithm)
    ):
        print(
            "A local file was found, but it seems to be incomplete or outdated because the "
            f"{_resolve_hasher(hash_algorithm, file_hash).name} file hash does not match the "
            f"original value of {file_hash} so we will re-download the data."
        )
        download = True
    if download:
        _download(origin, target, file_hash, hash_algorithm)
    if extraction_dir is None:
        return target
    if download or not os.path.exists(extraction_dir):
        if not _extract(target, extraction_dir, "tar" if untar else archive_format):
            warnings.warn(f"Could not extract archive {target}.", stacklevel=2)
    return extraction_dir
