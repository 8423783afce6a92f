"""Compiled regular expressions, kept between runs.

Takes a pattern's text and flags; gives the compiled `regex` pattern, as `regex.compile`
does. The `regex` module parses a pattern in Python, about half a millisecond each, and
the pipeline compiles some two hundred before its first notice (its modules' rules and the
lexicons' patterns): about a tenth of a second, a fifth of every start. A compiled pattern
pickles as its compiled program, which loads in microseconds, so the patterns a run
compiled are kept in the user's cache directory (`$XDG_CACHE_HOME/policy-pipeline`, else
`~/.cache/policy-pipeline`), one file per `regex` and Python version, and the next start
reads them from there.

The key is a pattern's exact text and flags: an edited lexicon line or rule misses and is
compiled, so nothing kept can go stale. The file is written whole and renamed into place,
only when a run compiled something it did not hold. A file that cannot be read or written
is ignored: the cache only saves time, and what it holds is what `regex.compile` gives.
Unpickling runs code, so a file is read only if this user owns it and no one else may
write it (a cache directory can be set to a shared place). `POLICY_PIPELINE_NO_CACHE=1`
turns it off.
"""

from __future__ import annotations

import atexit
import os
import pickle
import sys
import tempfile
from pathlib import Path

import regex

# Entries no run asked for stay until they outnumber the ones asked for by this much
# (lexicons edited over time), then the file keeps only what this run used.
KEEP_UNUSED = 200
# A run compiles about 220. A process that compiled more than this (a test session, a
# long interactive one) writes nothing: every start would load what it made.
KEEP_MOST = 1000

_kept: dict[tuple[str, int], regex.Pattern] = {}
_used: dict[tuple[str, int], regex.Pattern] = {}
_missed = False


def cache_file() -> Path | None:
    """Where the compiled patterns are kept, or None when the cache is turned off."""
    if os.environ.get("POLICY_PIPELINE_NO_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    version = f"regex-{regex.__version__}-py{sys.version_info[0]}{sys.version_info[1]}"
    return Path(base) / "policy-pipeline" / f"{version}.pickle"


def compile(pattern: str, flags: int = 0) -> regex.Pattern:  # noqa: A001 - regex.compile's name
    """`regex.compile(pattern, flags)`, from the cache when a run compiled it before."""
    global _missed
    key = (pattern, int(flags))
    found = _used.get(key)
    if found is None:
        found = _kept.get(key)
    if found is None:
        found = regex.compile(pattern, flags)
        _missed = True
    _used[key] = found
    return found


def load() -> None:
    """Read the kept patterns (at import: the modules' own rules compile as they load)."""
    path = cache_file()
    if path is None:
        return
    try:
        with open(path, "rb") as f:
            info = os.fstat(f.fileno())
            if info.st_uid != os.getuid() or info.st_mode & 0o022:
                return
            kept = pickle.load(f)
    except Exception:  # missing, truncated or from another version: compile afresh
        return
    if isinstance(kept, dict):
        _kept.update(kept)


def save() -> None:
    """Write the patterns of this run (with those of earlier runs, up to KEEP_UNUSED more)
    when it compiled one the file did not hold."""
    path = cache_file()
    if path is None or not _missed or len(_used) > KEEP_MOST:
        return
    unused = {k: v for k, v in _kept.items() if k not in _used}
    keep = _used | unused if len(unused) <= KEEP_UNUSED else dict(_used)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=path.name)
    except OSError:  # a read-only home: the next run compiles again
        return
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump(keep, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temp, path)
    except OSError:
        Path(temp).unlink(missing_ok=True)


load()
atexit.register(save)
