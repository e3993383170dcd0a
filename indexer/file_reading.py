"""Reading one file for indexing: only regular files, never blocking, never a torn read.

A path handed over by the watcher may name a FIFO, a socket or a device (``mkfifo
folder/pipe.log``): opening a FIFO for reading blocks until a writer comes, which would hang
the indexer and its shutdown. Files are therefore opened with ``O_NONBLOCK`` and checked with
``fstat`` on the open descriptor (a check by name before opening could be raced by a rename),
and anything that is not a regular file is refused with :class:`NotRegularFile`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import time
from pathlib import Path

# A write within one tick of the file system's clock (milliseconds; 2 s on FAT) leaves size
# and mtime as they were, so a file modified this recently is read twice, and kept only when
# both reads agree.
RACY_WINDOW_NS = 3_000_000_000

NOT_REGULAR_REASON = "not a regular file (device, socket or pipe)"

# Errors that say nothing about the file itself: the same read may well work later (a chmod
# put right, descriptors freed, a flaky disk or network share back).
TRANSIENT_READ_ERRNOS = frozenset(
    {
        errno.EACCES,
        errno.EPERM,
        errno.EMFILE,
        errno.ENFILE,
        errno.EIO,
        errno.EAGAIN,
        errno.EBUSY,
        errno.ETIMEDOUT,
        errno.ENOMEM,
        errno.ESTALE,
        errno.EINTR,
    }
)


class NotRegularFile(OSError):
    """The path is a FIFO, socket, device or folder: never read as content."""


def open_regular(path: Path | str) -> int:
    """An open, read-only descriptor of the regular file ``path``; raises NotRegularFile."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        os.close(fd)
        raise
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise NotRegularFile(errno.EINVAL, NOT_REGULAR_REASON, str(path))
    return fd


def is_regular(st: os.stat_result) -> bool:
    return stat.S_ISREG(st.st_mode)


def _read_fd(fd: int, limit: int) -> bytes:
    chunks = []
    left = limit
    while left > 0:
        part = os.read(fd, min(left, 1 << 20))
        if not part:
            break
        chunks.append(part)
        left -= len(part)
    return b"".join(chunks)


def read_unchanging(path: Path, limit: int) -> tuple[bytes, os.stat_result] | None:
    """The file's bytes and stat, or None when it changed while being read (or outgrew
    ``limit`` since it was found: the next scan records that skip)."""
    started = time.time_ns()
    fd = open_regular(path)
    try:
        before = os.fstat(fd)
        if before.st_size > limit:
            return None
        data = _read_fd(fd, before.st_size + 1)
    finally:
        os.close(fd)
    after = path.stat()
    if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns) or len(
        data
    ) != after.st_size:
        return None
    if after.st_mtime_ns >= started - RACY_WINDOW_NS:
        fd = open_regular(path)
        try:
            again = _read_fd(fd, after.st_size + 1)
        finally:
            with contextlib.suppress(OSError):
                os.close(fd)
        if again != data:
            return None
    return data, after


def is_transient(exc: OSError) -> bool:
    """A read error worth retrying later (permissions, descriptors, I/O), not a verdict."""
    return exc.errno in TRANSIENT_READ_ERRNOS
