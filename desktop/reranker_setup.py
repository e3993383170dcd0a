"""Loads the reranker the settings ask for, off the GUI thread, and hands it to the window.

A local reranker can take seconds to load (or minutes to download), so it is built on a
one-worker executor of its own, never on the query runner's worker (typing would wait) nor
on the GUI thread. Results cross back through queued signals. A newer ``load`` (the user
changed the settings) makes an older one stale; its reranker is dropped when it arrives.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Signal

from desktop.settings import Settings

log = logging.getLogger(__name__)

Built = tuple[Any, Any, str | None]  # reranker or None, RerankPolicy or None, notice


def build_reranker(
    settings: Settings, on_progress: Callable[[int, int], None] | None = None
) -> Built:
    """The reranker and policy for ``settings``, or none with the reason (worker thread)."""
    from engine.reranker import RerankPolicy, parse_kinds
    from engine.rerankers import cpu_notice, load_reranker, local_device

    if not settings.rerank_enabled:
        return None, None, None
    kinds = parse_kinds(settings.rerank_kinds)
    device = None if settings.device == "auto" else settings.device
    if not settings.rerank_url and kinds is None and local_device(device) == "cpu":
        # Not even loaded: it would hold a gigabyte of memory to be left unused.
        return None, None, cpu_notice(force='"rerank_kinds": "text" in the settings file')
    reranker = load_reranker(
        settings.rerank_model or None,
        url=settings.rerank_url or None,
        device=device,
        api_key=settings.api_key or None,
        on_progress=on_progress,
    )
    return reranker, RerankPolicy(top_n=settings.rerank_top_n, kinds=kinds), None


class RerankerLoader(QObject):
    """Builds rerankers in the background.

    Signals:
        ready(object, object): a reranker (or None: no second stage) and its policy.
        failed(str): a one-line reason it could not be had.
        notice(str): something the user should know (e.g. why it is off on this computer).
        progress(object, object): bytes downloaded so far and in all (ints, sent as objects:
            a model can weigh more than a 32-bit signal argument holds).
    """

    ready = Signal(object, object)
    failed = Signal(str)
    notice = Signal(str)
    progress = Signal(object, object)
    _done = Signal(int, object, object)  # generation, Built, exception (worker -> GUI)

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        build: Callable[..., Built] = build_reranker,
    ) -> None:
        super().__init__(parent)
        self._build = build
        self._generation = 0
        self._stopping = False  # read by the worker: a download in progress then cancels
        self._executor: ThreadPoolExecutor | None = ThreadPoolExecutor(
            1, thread_name_prefix="kenning-reranker"
        )
        self._done.connect(self._on_done)

    def load(self, settings: Settings) -> None:
        """Build what ``settings`` ask for; an earlier load still running becomes stale."""
        self._generation += 1
        gen = self._generation
        if not settings.rerank_enabled:
            self.ready.emit(None, None)
            return
        if self._executor is None:
            return
        future = self._executor.submit(self._build, settings, self._on_progress)
        future.add_done_callback(self._callback(gen))

    def _on_progress(self, done: int, total: int) -> None:  # worker thread
        if self._stopping:
            from engine.errors import DownloadCancelled

            raise DownloadCancelled("the reranker download was cancelled: Kenning is stopping")
        self.progress.emit(done, total)

    def _callback(self, gen: int) -> Callable[[Future[Any]], None]:
        def done(future: Future[Any]) -> None:  # worker thread: only emit
            if future.cancelled():
                return
            exc = future.exception()
            self._done.emit(gen, None if exc else future.result(), exc)

        return done

    def _on_done(self, gen: int, built: Built | None, exc: BaseException | None) -> None:
        if gen != self._generation:
            log.debug("dropping a reranker loaded for older settings")
            return
        if exc is not None or built is None:
            from engine.errors import KenningError

            if isinstance(exc, KenningError):
                self.failed.emit(f"Reranker not loaded: {exc}")
            else:
                log.error("loading the reranker failed", exc_info=exc)
                self.failed.emit(f"Reranker not loaded: {type(exc).__name__}: {exc}")
            self.ready.emit(None, None)
            return
        reranker, policy, notice = built
        if notice:
            self.notice.emit(notice)
        self.ready.emit(reranker, policy)

    def shutdown(self, wait: bool = True) -> None:
        """Stop the worker; a download in progress is cancelled, a load finishes first when
        ``wait``."""
        self._stopping = True
        self._generation += 1
        if self._executor is not None:
            self._executor.shutdown(wait=wait, cancel_futures=True)
            self._executor = None
