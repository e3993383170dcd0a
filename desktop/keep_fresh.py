"""Keep an index fresh from a terminal process: ``kenning watch``, ``serve`` and ``mcp``.

An :class:`~indexer.service.IndexService` does the work (one worker thread owns the pipeline,
the watcher feeds it batches of changed paths); :class:`ConsoleReporter` is its listener and
turns what it hears into lines on stderr: a progress bar while the folders are caught up
(on a terminal only), a summary, then one line per batch of changes. No Qt here.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.errors import KenningError
from engine.index_files import VectorSource
from engine.types import Embedder

log = logging.getLogger(__name__)

Say = Callable[[str], None]


def say_on_stderr(message: str) -> None:
    print(f"kenning: {message}", file=sys.stderr, flush=True)


class ConsoleReporter:
    """A :class:`~indexer.service.ServiceListener` that reports on stderr.

    Every method is called from the service's worker thread. The caller waits on
    :attr:`caught_up` (the first full pass ended) or :attr:`failed` (the model or the index
    could not be opened; :attr:`failure` says why).
    """

    def __init__(self, say: Say = say_on_stderr, *, progress: Callable[[Any], None] | None = None):
        self._say = say
        self._progress = progress
        self.caught_up = threading.Event()
        self.failed = threading.Event()
        self.failure: str | None = None
        self.model_ready = threading.Event()
        self.batches = 0

    def on_state(self, state: str) -> None:
        log.debug("index service: %s", state)

    def on_progress(self, progress: Any) -> None:
        # Later batches are small and get their one line; a bar is for the catch-up only.
        if self._progress is not None and not self.caught_up.is_set():
            self._progress(progress)

    def on_download(self, done: int, total: int) -> None:
        # The embedder these runs use is built before the service starts (and draws its own
        # bar while it downloads), so the service never downloads for them.
        log.debug("model download: %d of %d bytes", done, total)

    def on_model_ready(self, embedder: Embedder, notice: str | None) -> None:
        if notice:
            self._say(notice)
        self.model_ready.set()

    def on_index_finished(self, report: Any, first_run: bool) -> None:
        if not self.caught_up.is_set():
            self._say(
                f"up to date: {report.files_indexed} files indexed ({report.chunks_added} "
                f"chunks), {report.files_unchanged} unchanged, {report.files_removed} removed, "
                f"{report.files_failed} failed in {report.elapsed_s:.1f} s"
            )
            self.caught_up.set()
            return
        line = batch_line(report)
        if line:
            self.batches += 1
            self._say(line)

    def on_problem(self, message: str) -> None:
        self._say(message)
        if not self.model_ready.is_set() and not self.failed.is_set():
            # Before the model and the index are open nothing can be kept fresh.
            self.failure = message
            self.failed.set()


def batch_line(report: Any, *, clock: Callable[[], str] | None = None) -> str | None:
    """``12:04:31 updated 2 files (7 chunks), removed 1, 1 failed``; None when nothing changed."""
    parts = []
    if report.files_indexed:
        noun = "file" if report.files_indexed == 1 else "files"
        parts.append(f"updated {report.files_indexed} {noun} ({report.chunks_added} chunks)")
    if report.files_removed:
        parts.append(f"removed {report.files_removed}")
    if report.files_skipped:
        parts.append(f"{report.files_skipped} skipped")
    if report.files_failed:
        parts.append(f"{report.files_failed} failed (kenning status lists why)")
    if not parts:
        return None  # a save that changed nothing, or an event on an excluded file
    stamp = (clock or (lambda: time.strftime("%H:%M:%S")))()
    return f"{stamp} " + ", ".join(parts)


def indexed_folders(data_dir: Path) -> list[Path]:
    """The folders the index at ``data_dir`` holds (none when there is no index)."""
    from engine.store import DB_NAME, Store

    if not (data_dir / DB_NAME).exists():
        return []
    store = Store.open(data_dir, readonly=True)
    try:
        return [Path(p) for _, p in store.folders()]
    finally:
        store.close()


class FreshIndex:
    """While a server runs, watch the folders of the index it serves and index their changes.

    ``embedder`` is the server's own (already query-first) embedder factory, so the model is
    loaded once and queries still go ahead of indexing. The model must be the one the index
    was built with: a server started with another ``--model`` searches lexically and must not
    start re-embedding the user's whole index, so then nothing is watched.
    """

    def __init__(self, data_dir: Path, embedder: Callable[[], Embedder], say: Say) -> None:
        self.data_dir = Path(data_dir)
        self._embedder = embedder
        self._say = say
        self.service: Any = None

    def __enter__(self) -> FreshIndex:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> bool:
        """Start watching; False (having said why) when there is nothing to keep fresh."""
        from indexer.service import IndexService

        try:
            folders = indexed_folders(self.data_dir)
        except KenningError as exc:
            self._say(f"not watching for changes: {exc}")
            return False
        if not folders:
            self._say(f"not watching for changes: no folders are indexed in {self.data_dir}")
            return False
        self.service = IndexService(
            self.data_dir,
            self._checked_embedder,
            folders,
            listener=ConsoleReporter(self._say),
            adopt_indexed=False,
        )
        self.service.start()
        where = ", ".join(str(f) for f in folders[:3]) + (" …" if len(folders) > 3 else "")
        self._say(f"keeping the index fresh: watching {where} (--no-watch turns this off)")
        return True

    @property
    def vectors(self) -> VectorSource | None:
        """Where the indexer's live vector index is: the service itself, a
        :class:`~engine.index_files.VectorSource` that follows a recovery or a model switch
        (its vectors are None until the model and the index are open)."""
        return self.service

    def stop(self, timeout: float = 30.0) -> None:
        if self.service is not None and not self.service.stop(timeout):
            self._say("the indexer did not stop in time; its last batch is lost")
        self.service = None

    def _checked_embedder(self) -> Embedder:
        from engine.store import Store

        embedder = self._embedder()
        store = Store.open(self.data_dir, readonly=True)
        try:
            recorded = store.model_info()
        finally:
            store.close()
        if recorded is not None and (embedder.model_id, embedder.dim) != tuple(recorded):
            raise KenningError(
                f"the index was built with {recorded[0]} ({recorded[1]}-dim), not "
                f"{embedder.model_id}; changes are not indexed while this runs"
            )
        return embedder
