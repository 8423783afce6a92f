"""Where inputs and outputs live: a local path, or an fsspec URL (`s3://bucket/notices`,
`gs://…`, `file:///shared/…`).

Takes the strings a user gives and gives what the stages need: the input files under a
URL, their bytes, a checksum that says whether one changed, and the writes and reads of a
run's output. A local path (or `file://`) keeps the local code paths — a lock, renames and
symbolic links switch a new set of tables in at once. An object store has none of these:
there a run writes its files under a folder of its own and one object, `manifest.json`,
put last, commits them (pipeline/dataset.py). fsspec is imported only for a URL; its
backends are the user's to install (`pip install s3fs` for s3://).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import InputError, PipelineError


def is_url(value: str | Path) -> bool:
    return "://" in str(value)


def local(value: str) -> str | Path:
    """`value` as a local Path when it names one (a path, or a file:// URL), else the URL."""
    if value.startswith("file://"):
        return Path(value.removeprefix("file://"))
    return value if is_url(value) else Path(value)


def filesystem(url: str) -> tuple[Any, str]:
    """(fsspec filesystem, path within it) of a URL."""
    try:
        from fsspec.core import url_to_fs

        return url_to_fs(url)
    except ImportError as exc:  # fsspec, or the backend of this protocol (s3fs, gcsfs …)
        raise PipelineError(f"{url}: {exc} (pip install 'policy-pipeline[s3]' for s3://)") from None


def join(url: str, *parts: str) -> str:
    return "/".join([url.rstrip("/"), *parts])


def _url(fs, path: str) -> str:
    return fs.unstrip_protocol(path)


def list_inputs(url: str, suffixes: set[str]) -> tuple[list[str], list[str]]:
    """(input files, files that are not notices) under `url`, as URLs, in name order. A URL
    that names one file is that file."""
    fs, root = filesystem(url)
    fs.invalidate_cache(root)  # another process may have added files since this one listed them
    if not fs.exists(root):
        raise InputError(f"{url}: no such file or folder", "unreadable")
    if fs.isfile(root):
        return [_url(fs, root)], []
    files, ignored = [], []
    for path in sorted(fs.find(root)):
        name = path.rsplit("/", 1)[-1]
        if name.startswith("."):
            continue
        suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        (files if (f".{suffix}" if suffix else "") in suffixes else ignored).append(_url(fs, path))
    return files, ignored


def checksum(url: str) -> str:
    """What says whether the file changed without reading it (size and ETag or mtime): the
    driver of a cluster run does not read every input."""
    fs, path = filesystem(url)
    try:
        return str(fs.checksum(path))
    except (OSError, ValueError) as exc:
        return f"unreadable: {exc}"


def read_input(url: str, max_bytes: int) -> bytes:
    """The bytes of one input; files over `max_bytes` are refused before they are read."""
    from .read import check_size

    try:
        fs, path = filesystem(url)
        check_size(fs.size(path), max_bytes)
        with fs.open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except InputError:
        raise
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read: {exc}", "unreadable") from None
    check_size(len(data), max_bytes)
    return data


def read_bytes(url: str) -> bytes | None:
    """The object at `url`, or None when there is none."""
    fs, path = filesystem(url)
    try:
        return fs.cat_file(path)
    except FileNotFoundError:
        return None


def write_bytes(url: str, data: bytes) -> None:
    """One put: on an object store the object appears whole or not at all."""
    fs, path = filesystem(url)
    fs.pipe_file(path, data)


def upload(local_file: Path, url: str) -> None:
    fs, path = filesystem(url)
    fs.put_file(str(local_file), path)


def remove(url: str) -> None:
    fs, path = filesystem(url)
    fs.invalidate_cache()  # workers in other processes wrote there: this process's listings are stale
    if fs.exists(path):
        fs.rm(path, recursive=True)


def folders(url: str) -> list[str]:
    """The folders directly under `url`, as URLs."""
    return [entry["url"] for entry in _listing(url) if entry["type"] == "directory"]


def entries(url: str) -> list[str]:
    """The files directly under `url`, as URLs."""
    return [entry["url"] for entry in _listing(url) if entry["type"] != "directory"]


def _listing(url: str) -> list[dict]:
    fs, path = filesystem(url)
    fs.invalidate_cache(path)
    try:
        found = fs.ls(path, detail=True)
    except FileNotFoundError:
        return []
    return sorted(({**entry, "url": _url(fs, entry["name"])} for entry in found), key=lambda e: e["url"])


def parts(url: str) -> tuple[list[str], Any]:
    """(the part files of the dataset folder at `url` in order, a pyarrow filesystem that
    reads them)."""
    from pyarrow.fs import FSSpecHandler, PyFileSystem

    fs, path = filesystem(url)
    fs.invalidate_cache(path)
    return sorted(fs.glob(f"{path.rstrip('/')}/part-*.parquet")), PyFileSystem(FSSpecHandler(fs))
