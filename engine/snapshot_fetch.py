"""Fetch a model snapshot from the hub in a child process, so the download can be stopped.

``huggingface_hub.snapshot_download`` has no way to cancel it: it streams every file on its
own pool threads, which Python joins when the interpreter exits, so a download abandoned on
a thread kept a quitting app (or a cancelled first-run wizard) alive until the last byte
came in, and kept the network busy meanwhile. A child process is stopped at once, and
the partial files it leaves in the cache (``*.incomplete``) are resumed by the next try.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from pathlib import Path

logger = logging.getLogger(__name__)

TERMINATE_WAIT_S = 5.0
ORPHAN_CHECK_S = 1.0
# The hub's client writes what it receives in pieces of this size (10 MiB by default), and
# the parent measures progress on disk: at 1 MiB a slow link still shows progress every few
# seconds instead of standing still for a minute.
WRITE_CHUNK_BYTES = 1 << 20


class FetchFailed(Exception):
    """The child could not fetch the snapshot; the message is one line (the hub's error)."""


def fetch_snapshot(
    repo_id: str,
    files: Sequence[str],
    *,
    cache_dir: Path,
    endpoint: str | None,
    etag_timeout: float,
    poll_s: float,
    on_poll: Callable[[], None],
) -> Path:
    """Download ``files`` of ``repo_id``'s main revision into ``cache_dir``; the snapshot folder.

    ``on_poll`` runs every ``poll_s`` seconds while the child works; whatever it raises ends
    the download (the child is terminated) and propagates unchanged, which is how callers
    cancel. Raises :class:`FetchFailed` when the hub's client fails in the child.
    """
    # spawn: a fork would copy the app's threads' locks (Qt, the indexer) in whatever state.
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe(duplex=False)
    child = context.Process(
        target=_fetch,
        args=(theirs, os.getpid(), repo_id, list(files), str(cache_dir), endpoint, etag_timeout),
        name="kenning-model-download",
        daemon=True,  # never outlives a parent that exits without stopping it
    )
    child.start()
    theirs.close()  # only the child holds the sending end: its exit is end-of-file here
    try:
        while not ours.poll(poll_s):
            on_poll()
        try:
            outcome, value = ours.recv()
        except EOFError:
            child.join(TERMINATE_WAIT_S)
            raise FetchFailed(
                f"the download process ended without an answer (exit status {child.exitcode})"
            ) from None
    finally:
        ours.close()
        if child.is_alive():
            logger.info("Stopping the download of %s", repo_id)
            child.terminate()
        child.join(TERMINATE_WAIT_S)
    if outcome != "done":
        raise FetchFailed(value)
    return Path(value)


def _fetch(
    conn: Connection,
    parent: int,
    repo_id: str,
    files: list[str],
    cache_dir: str,
    endpoint: str | None,
    etag_timeout: float,
) -> None:
    """The child: one ``snapshot_download``, its outcome sent back as ``(kind, text)``."""
    # Ctrl-C in a terminal reaches the whole process group; the parent decides, and stops us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    from huggingface_hub import constants, snapshot_download
    from huggingface_hub.utils import disable_progress_bars

    disable_progress_bars()  # the parent draws one bar for all files
    # Read at each download (file_download uses constants.DOWNLOAD_CHUNK_SIZE), and this
    # process does nothing else, so changing it here changes only our downloads.
    constants.DOWNLOAD_CHUNK_SIZE = WRITE_CHUNK_BYTES
    try:
        folder = snapshot_download(
            repo_id,
            allow_patterns=files,
            cache_dir=cache_dir,
            etag_timeout=etag_timeout,
            endpoint=endpoint,
        )
    except Exception as err:  # anything the hub's client raises: reported, not a traceback
        conn.send(("failed", " ".join(str(err).split()) or type(err).__name__))
    else:
        conn.send(("done", str(folder)))
    finally:
        conn.close()


def _exit_with(parent: int) -> None:
    """End the child when its parent is gone (killed, so it could not stop us)."""
    while os.getppid() == parent:
        time.sleep(ORPHAN_CHECK_S)
    os._exit(1)
