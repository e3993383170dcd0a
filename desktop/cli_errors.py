"""One clear line for the failures a command meets outside Kenning's own checks.

The README promises a one-line error and a non-zero status for bad input; a data folder on a
read-only disk, a file where the data folder should be, or a full disk are the user's to fix,
and a traceback does not say how.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

from engine.errors import KenningError


def check_writable_data_dir(data_dir: Path) -> None:
    """Raise :class:`KenningError` unless ``data_dir`` is (or can become) a writable folder."""
    if data_dir.exists() and not data_dir.is_dir():
        raise KenningError(f"the data folder {data_dir} is a file, not a folder: choose another")
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        # A parent is a file ("mkdir -p" on a/b when a is a file).
        raise KenningError(
            f"cannot create the data folder {data_dir}: a parent is a file"
        ) from None
    except OSError as exc:
        raise KenningError(f"cannot create the data folder {data_dir}: {_reason(exc)}") from None
    # access() reports a read-only mount even to root, whose permission bits always allow.
    if not os.access(data_dir, os.W_OK):
        reason = "read-only file system" if _read_only(data_dir) else "permission denied"
        raise KenningError(f"cannot write to the data folder {data_dir}: {reason}")


def one_line(exc: BaseException) -> str | None:
    """The user's line for an error no command turned into a KenningError, or None."""
    if isinstance(exc, sqlite3.Error):
        return f"the index database failed: {exc}"
    if isinstance(exc, OSError):
        where = f" {exc.filename}" if exc.filename else ""
        return f"cannot use{where}: {_reason(exc)}"
    return None


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    return (exc.strerror or str(exc)).lower()


def _read_only(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False
