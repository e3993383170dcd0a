"""Search-as-you-type: debounce, lexical at once, semantic when the query vector is ready.

Every query that actually runs gets a new *generation* number. Lexical results are computed
on the GUI thread (an FTS5 lookup on the searcher's own reader connection takes
milliseconds), so they show at once. The query embedding, the slow part, and the vector
lookup go to a one-worker executor (the searcher gives each thread its own reader); a newer
query cancels the pending one, and a result that arrives for an older generation is
dropped, so an old query can never overwrite a newer one's results. Semantic hits come back
to the GUI thread through a queued signal, where they are fused with the lexical ones.

With a reranker (``set_reranker``), the fused list is shown at once and the top N go back to
the same worker for the second stage; the reranked list arrives like the semantic hits did
(a queued signal, stale generations dropped), and a reranking that a newer query made
pointless stops between its batches.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from PySide6.QtCore import QObject, QTimer, Signal

from engine.query_syntax import ParsedQuery, QuerySyntaxError, keep_result, parse_query
from engine.relevance import trim_tail, weak_match
from engine.types import SearchFilters, SearchMode, SearchResult

log = logging.getLogger(__name__)

DEBOUNCE_MS = 120
DEFAULT_LIMIT = 50
NEED_WORDS = "add words to search for; the filters alone match everything"
RERANK_NOTE = "reranking the top results…"
NOT_RERANKED = "not reranked: "


class TwoPhaseSearcher(Protocol):
    """The part of ``engine.search.Searcher`` search-as-you-type needs."""

    def lexical(
        self, query: str, *, limit: int = ..., filters: SearchFilters | None = ...
    ) -> list[SearchResult]: ...

    def embed_query(self, query: str, *, filters: SearchFilters | None = ...) -> Any: ...

    def semantic(
        self, qv: Any, *, limit: int = ..., filters: SearchFilters | None = ...
    ) -> list[SearchResult]: ...

    def fuse(
        self,
        lexical: list[SearchResult],
        semantic: list[SearchResult],
        *,
        limit: int = ...,
        query: str | None = ...,
    ) -> list[SearchResult]: ...

    def chunk_texts(self, chunk_ids: list[int]) -> dict[int, str]: ...

    def rerank(
        self,
        query: str,
        results: list[SearchResult],
        reranker: Any,
        *,
        policy: Any = ...,
        cancelled: Callable[[], bool] | None = ...,
    ) -> list[SearchResult]: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class QueryRequest:
    text: str
    filters: SearchFilters
    mode: SearchMode


@dataclass(frozen=True, slots=True)
class QueryOutcome:
    """What a finished phase delivers; ``final`` is False while semantic hits are pending."""

    generation: int
    request: QueryRequest
    results: list[SearchResult]
    final: bool
    note: str = ""  # e.g. "semantic results once the model has loaded"
    weak: bool = False  # nothing is close to the query: the list is only loosely related


class QueryRunner(QObject):
    """Runs the latest query in two phases and reports each with its generation.

    Signals:
        results_ready(QueryOutcome): lexical hits (``final=False`` when semantic hits will
            follow) or the final list; only ever for the newest generation.
        failed(int, str): generation and a one-line message.
        semantic_pending(bool): True while a query embedding is being computed.
    """

    results_ready = Signal(object)
    failed = Signal(int, str)
    semantic_pending = Signal(bool)
    _semantic_done = Signal(int, object, object)  # generation, hits, exception (worker -> GUI)
    _rerank_done = Signal(int, object, object)  # generation, reranked list, exception

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        debounce_ms: int = DEBOUNCE_MS,
        limit: int = DEFAULT_LIMIT,
    ) -> None:
        super().__init__(parent)
        self.limit = limit
        self._searcher: TwoPhaseSearcher | None = None
        self._semantic_ready = False
        self._reranker: Any = None
        self._rerank_policy: Any = None
        self._generation = 0
        self._request: QueryRequest | None = None
        self._lexical: list[SearchResult] = []
        self._parsed = ParsedQuery()
        self.floor = True  # drop the junk tail (engine.relevance.trim_tail)
        self._future: Future[Any] | None = None
        self._executor: ThreadPoolExecutor | None = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="kenning-query"
        )
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(debounce_ms)
        self._timer.timeout.connect(self.run_now)
        self._semantic_done.connect(self._on_semantic)
        self._rerank_done.connect(self._on_reranked)

    @property
    def generation(self) -> int:
        return self._generation

    @property
    def request(self) -> QueryRequest | None:
        return self._request

    def set_searcher(self, searcher: TwoPhaseSearcher | None, *, semantic: bool) -> None:
        """Swap the searcher (e.g. once the model has loaded) and rerun the current query."""
        self._searcher = searcher
        self._semantic_ready = semantic and searcher is not None
        if self._request is not None:
            self.rerun()

    def set_reranker(self, reranker: Any, policy: Any = None) -> None:
        """Use ``reranker`` (an ``engine.reranker.Reranker``; None: no second stage) with
        ``policy`` (an ``engine.reranker.RerankPolicy``) from the next query on."""
        self._reranker, self._rerank_policy = reranker, policy
        if self._request is not None and self._semantic_ready:
            self.rerun()

    def submit(self, text: str, filters: SearchFilters, mode: SearchMode) -> None:
        """Queue a query; it runs once typing pauses for the debounce interval."""
        self._request = QueryRequest(text.strip(), filters, mode)
        self._timer.start()

    def rerun(self) -> None:
        """Run the current query again now (new index contents, new searcher)."""
        if self._request is not None:
            self._timer.stop()
            self.run_now()

    def run_now(self) -> None:
        self._timer.stop()
        request = self._request
        if request is None:
            return
        self._generation += 1
        gen = self._generation
        self._cancel_pending()
        if not request.text:
            self._lexical = []
            self.results_ready.emit(QueryOutcome(gen, request, [], True))
            return
        try:
            parsed = parse_query(request.text)
        except QuerySyntaxError as exc:
            self.failed.emit(gen, str(exc))
            return
        self._parsed = parsed
        if not parsed.text:
            # Only operators so far (lang:go): nothing to rank yet.
            self.results_ready.emit(QueryOutcome(gen, request, [], True, NEED_WORDS))
            return
        if self._searcher is None:
            self.results_ready.emit(QueryOutcome(gen, request, [], True, "no index yet"))
            return
        want_semantic = request.mode != "lexical"
        lexical: list[SearchResult] = []
        if request.mode != "semantic":
            try:
                lexical = self._searcher.lexical(
                    parsed.text, limit=self._fetch(parsed), filters=parsed.filters(request.filters)
                )
                lexical = self._checked(lexical, parsed)
            except Exception as exc:  # a bad query must not break typing; the user sees why
                log.exception("lexical search failed")
                self.failed.emit(gen, _message(exc))
                return
        self._lexical = lexical
        if not want_semantic:
            self.results_ready.emit(QueryOutcome(gen, request, lexical[: self.limit], True))
            return
        if not self._semantic_ready:
            note = "semantic results once the model has loaded"
            outcome = QueryOutcome(gen, request, lexical[: self.limit], True, note)
            self.results_ready.emit(outcome)
            return
        if request.mode == "hybrid":
            self.results_ready.emit(QueryOutcome(gen, request, lexical[: self.limit], False))
        self._start_embedding(gen, request, parsed)

    def _fetch(self, parsed: ParsedQuery) -> int:
        # Phrases and excluded words are checked after ranking, so ask for more to keep a
        # full list once some are dropped.
        return self.limit * 3 if parsed.needs_text_check else self.limit

    def _checked(self, results: list[SearchResult], parsed: ParsedQuery) -> list[SearchResult]:
        """``results`` that hold the query's phrases and none of its excluded words."""
        if not parsed.needs_text_check or self._searcher is None or not results:
            return results
        texts = self._searcher.chunk_texts([r.chunk_id for r in results])
        return [r for r in results if keep_result(texts.get(r.chunk_id, ""), parsed)]

    def _start_embedding(self, gen: int, request: QueryRequest, parsed: ParsedQuery) -> None:
        if self._executor is None or self._searcher is None:
            return
        future = self._executor.submit(
            _semantic_hits, self._searcher, parsed, request.filters, self._fetch(parsed)
        )
        future.add_done_callback(self._done_callback(gen))
        self._future = future
        self.semantic_pending.emit(True)

    def _done_callback(self, gen: int) -> Callable[[Future[Any]], None]:
        # Runs on the worker thread: only emit; the queued signal carries it to the GUI thread.
        def done(future: Future[Any]) -> None:
            if future.cancelled():
                return
            exc = future.exception()
            self._semantic_done.emit(gen, None if exc else future.result(), exc)

        return done

    def _on_semantic(
        self, gen: int, semantic: list[SearchResult] | None, exc: BaseException | None
    ) -> None:
        if gen != self._generation:
            log.debug("dropping stale semantic hits (generation %s < %s)", gen, self._generation)
            return
        self.semantic_pending.emit(False)
        request, searcher = self._request, self._searcher
        if request is None or searcher is None:
            return
        if exc is not None or semantic is None:
            self.failed.emit(gen, _message(exc or RuntimeError("no semantic results")))
            return
        try:
            semantic = self._checked(semantic, self._parsed)
        except Exception as exc:  # the index went away meanwhile; say so, keep typing
            log.exception("checking phrases failed")
            self.failed.emit(gen, _message(exc))
            return
        results = semantic[: self.limit]
        if request.mode == "hybrid":
            results = searcher.fuse(self._lexical, semantic, limit=self.limit, query=request.text)
        model_id = getattr(getattr(searcher, "embedder", None), "model_id", None)
        if self.floor:
            results = trim_tail(results, model_id=model_id)
        weak = weak_match(results, model_id, anchored=self._parsed.anchored)
        if self._start_reranking(gen, request, results):
            self.results_ready.emit(
                QueryOutcome(gen, request, results, False, RERANK_NOTE, weak=weak)
            )
            return
        self.results_ready.emit(QueryOutcome(gen, request, results, True, weak=weak))

    def _start_reranking(
        self, gen: int, request: QueryRequest, results: list[SearchResult]
    ) -> bool:
        reranker, searcher = self._reranker, self._searcher
        if reranker is None or searcher is None or self._executor is None or len(results) < 2:
            return False
        from engine.reranker import RerankPolicy

        policy = self._rerank_policy or RerankPolicy()
        if not policy.kinds_for(reranker):
            return False

        def stale() -> bool:  # read on the worker: an int compare, no Qt object touched
            return gen != self._generation

        future = self._executor.submit(
            searcher.rerank, request.text, results, reranker, policy=policy, cancelled=stale
        )
        future.add_done_callback(self._rerank_callback(gen, results))
        self._future = future
        return True

    def _rerank_callback(
        self, gen: int, fused: list[SearchResult]
    ) -> Callable[[Future[Any]], None]:
        def done(future: Future[Any]) -> None:  # worker thread: only emit
            if future.cancelled():
                return
            exc = future.exception()
            self._rerank_done.emit(gen, fused if exc else future.result(), exc)

        return done

    def _on_reranked(
        self, gen: int, results: list[SearchResult], exc: BaseException | None
    ) -> None:
        from engine.reranker import RerankCancelled

        if gen != self._generation or isinstance(exc, RerankCancelled):
            log.debug("dropping stale reranked results (generation %s)", gen)
            return
        request = self._request
        if request is None:
            return
        note = ""
        if exc is not None:
            # The fused list stays; the user learns why it was not reranked.
            log.warning("reranking failed: %s", exc)
            note = f"{NOT_RERANKED}{_message(exc)}"
        self.results_ready.emit(QueryOutcome(gen, request, results, True, note))

    def _cancel_pending(self) -> None:
        if self._future is not None and not self._future.done():
            self._future.cancel()  # only works before it started; else its result is dropped
            self.semantic_pending.emit(False)
        self._future = None

    def shutdown(self, wait: bool = True) -> None:
        """Stop the debounce timer and the worker; pending work is cancelled."""
        self._timer.stop()
        self._generation += 1  # whatever is in flight is now stale
        self._cancel_pending()
        if self._executor is not None:
            self._executor.shutdown(wait=wait, cancel_futures=True)
            self._executor = None


def _semantic_hits(
    searcher: TwoPhaseSearcher, parsed: ParsedQuery, filters: SearchFilters, limit: int
) -> list[SearchResult]:
    """The slow phase, on the worker thread: embed the query, then look up its neighbours."""
    filters = parsed.filters(filters)
    qv = searcher.embed_query(parsed.text, filters=filters)
    return searcher.semantic(qv, limit=limit, filters=filters)


def _message(exc: BaseException) -> str:
    from engine.errors import KenningError

    if isinstance(exc, KenningError):
        return str(exc)
    return f"search failed: {type(exc).__name__}: {exc}"
