"""One writer per index: an inter-process lock on the data directory.

Two processes writing one index (``kenning index`` while the app indexes the same data dir)
each save their own in-memory vector index under the store's generation, so one writer's
vectors are lost for good. The writer takes an exclusive ``flock`` on ``writer.lock`` in the
data directory and writes its pid and what it is into the file, so a refused writer can say
who holds it. The kernel drops the lock when the holder exits, however it exits (kill -9
included), so a stale lock file never blocks anyone. Readers (search) never take it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from pathlib import Path

from engine.errors import IndexBusy

log = logging.getLogger(__name__)

LOCK_NAME = "writer.lock"
# A second writer waits this long for the first to finish before it is refused: long enough
# to ride out a writer that is just closing, short enough that a user is not left guessing.
DEFAULT_WAIT_S = 3.0
_POLL_S = 0.05

try:
    import fcntl
except ImportError:  # Windows: no flock; one writer is then the user's care
    fcntl = None  # type: ignore[assignment]


class WriterLock:
    """The held writer lock of one data directory; release it with :meth:`release`."""

    def __init__(self, path: Path, fd: int | None) -> None:
        self.path = path
        self._fd = fd

    @classmethod
    def acquire(cls, data_dir: Path, what: str, *, wait_s: float = DEFAULT_WAIT_S) -> WriterLock:
        """Take the lock, waiting up to ``wait_s``; raises :class:`IndexBusy` naming the
        holder when another process keeps it. ``what`` says who we are (shown to others)."""
        data_dir = Path(data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        path = data_dir / LOCK_NAME
        if fcntl is None:
            return cls(path, None)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + max(0.0, wait_s)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise IndexBusy(busy_message(data_dir, _read_holder(path))) from None
                    time.sleep(_POLL_S)
            _write_holder(fd, what)
        except BaseException:
            os.close(fd)
            raise
        log.debug("writer lock on %s taken (%s)", data_dir, what)
        return cls(path, fd)

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)  # no stale holder text for a reader of the file
        os.close(fd)  # closing the descriptor drops the flock

    @property
    def held(self) -> bool:
        return self._fd is not None or fcntl is None

    def __enter__(self) -> WriterLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def holder(data_dir: Path) -> str | None:
    """Who writes the index in ``data_dir`` now ("pid 123: kenning index ~/src"), or None."""
    path = Path(data_dir) / LOCK_NAME
    if fcntl is None or not path.exists():
        return None
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_holder(path) or "another process"
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def busy_message(data_dir: Path, who: str | None) -> str:
    return (
        f"another Kenning process is writing the index in {data_dir} "
        f"({who or 'holder unknown'}); wait for it to finish, or stop it"
    )


def _write_holder(fd: int, what: str) -> None:
    command = " ".join(os.path.basename(a) if i == 0 else a for i, a in enumerate(sys.argv))
    text = f"pid {os.getpid()}: {what}"
    if command.strip():
        text += f" ({command[:200]})"
    os.ftruncate(fd, 0)
    os.pwrite(fd, (text + "\n").encode("utf-8", "backslashreplace"), 0)


def _read_holder(path: Path) -> str | None:
    try:
        text = path.read_text("utf-8", "replace").strip()
    except OSError:
        return None
    return " ".join(text.split())[:300] or None
