"""Search the user's index for the HTTP API and the MCP tool, with the CLI's JSON shape.

A request is ``{"query": str, "limit": int, "mode": "hybrid"|"semantic"|"lexical",
"filters": {"path_glob", "language", "kind", "folder"}}`` (``path`` and ``lang`` are
accepted for the CLI's ``--path``/``--lang``); the answer is exactly one line of
``kenning search --json``: ``{"query": ..., "results": [SearchResult.to_json(), ...]}``.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, cast

from engine.errors import (
    EmbeddingServerError,
    IndexDamagedError,
    KenningError,
    ModelMismatchError,
)
from engine.query_checks import check_text
from engine.serve.api_errors import ApiError
from engine.store import DB_NAME
from engine.types import Embedder, SearchFilters, SearchMode

if TYPE_CHECKING:
    from engine.index_files import VectorSource
    from engine.search import Searcher

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 10
MAX_LIMIT = 200
# Threads that run searches. The Searcher keeps one SQLite reader per thread that uses it, so
# searches must run on a fixed set of threads: the HTTP server starts a thread per connection
# and the MCP SDK's worker threads come and go, and each would leave a reader (and its file
# descriptors) behind for good. Searches are CPU-bound, so more threads would not answer
# sooner; requests beyond these wait for one.
SEARCH_THREADS = 8
MODES = ("hybrid", "semantic", "lexical")
_FILTER_KEYS = {
    "path_glob": "path_glob",
    "path": "path_glob",
    "language": "language",
    "lang": "language",
    "kind": "kind",
    "folder": "folder",
}


class SearchApi:
    """One :class:`~engine.search.Searcher` over ``data_dir``, opened at the first search.

    Opening late lets ``kenning serve`` and ``kenning mcp`` start before the index exists
    (the user may run ``kenning index`` afterwards). ``embedder`` is a factory so the MCP
    server can answer its handshake before a model has loaded. ``vectors``, when given,
    returns the live vector index of an indexer in this process (``--watch``): searching it
    sees each batch at once, where a searcher of its own would rebuild its vectors from the
    store after every batch.
    """

    def __init__(
        self,
        data_dir: Path,
        embedder: Callable[[], Embedder | None],
        *,
        max_limit: int = MAX_LIMIT,
        vectors: Callable[[], VectorSource | None] | None = None,
    ) -> None:
        """``vectors``: in a process that also writes the index (the app), where its live
        vector index is (asked when the searcher opens); else the saved one is loaded."""
        self.data_dir = Path(data_dir)
        self._embedder_factory = embedder
        self._vector_source = vectors
        self._max_limit = max_limit
        self._lock = threading.Lock()
        self._searcher: Searcher | None = None  # built lazily
        self._mismatch: str | None = None  # why only lexical search works, if it does
        self._threads: ThreadPoolExecutor | None = None
        self._closed = False

    def search(self, body: Mapping[str, object]) -> dict[str, object]:
        """The answer to one request; raises :class:`ApiError`. Any thread may call it."""
        parsed = self._parse(body)
        return self._search_threads().submit(self._search, *parsed).result()

    def health(self) -> dict[str, object]:
        """What ``/health`` answers: raises ApiError 503 when the index cannot be read.

        It reads the index through a reader of its own, opened and closed here, so it fails
        when searches would (out of descriptors, a damaged or unreadable database) without
        waiting behind searches in progress. An index not built yet is healthy: the server
        works and says how to build it when asked to search.
        """
        if not (self.data_dir / DB_NAME).exists():
            return {"status": "ok"}
        from engine.store import Store

        try:
            store = Store.open(self.data_dir, readonly=True)
            try:
                store.folders()
            finally:
                store.close()
        except Exception as exc:  # every failure here is the one a search would meet
            log.warning("health check: the index cannot be read: %s", exc)
            raise ApiError(
                503, f"search is unavailable: {exc}", code="search_unavailable"
            ) from None
        return {"status": "ok"}

    def _search_threads(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._closed:
                raise ApiError(503, "the server is stopping", code="busy")
            if self._threads is None:
                self._threads = ThreadPoolExecutor(
                    SEARCH_THREADS, thread_name_prefix="kenning-search"
                )
            return self._threads

    def _search(
        self, query: str, limit: int, mode: SearchMode, filters: SearchFilters
    ) -> dict[str, object]:
        searcher = self._open()
        if self._mismatch is not None and mode != "lexical":
            raise ApiError(
                409, f"{self._mismatch} (lexical mode still works)", code="model_mismatch"
            )
        try:
            searcher.refresh()
            results = searcher.search(query, mode=mode, limit=limit, filters=filters)
        except EmbeddingServerError as exc:
            raise ApiError(502, str(exc)) from exc
        except (IndexDamagedError, sqlite3.DatabaseError) as exc:
            # Not the request's fault, and /health says the same (503) until it is fixed.
            raise ApiError(503, f"search is unavailable: {exc}", code="search_unavailable") from exc
        except KenningError as exc:
            raise ApiError(400, str(exc)) from exc
        return {"query": query, "results": [r.to_json() for r in results]}

    def close(self) -> None:
        with self._lock:
            self._closed = True
            threads, self._threads = self._threads, None
        if threads is not None:
            threads.shutdown(wait=True)
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None

    def _open(self) -> Searcher:
        with self._lock:
            if self._searcher is not None and self._mismatch is not None:
                embedder = self._embedder_factory()
                info = self._searcher.model_info
                if embedder is not None and info == (embedder.model_id, embedder.dim):
                    # The index moved to the served model (a model switch completed).
                    self._searcher.close()
                    self._searcher, self._mismatch = None, None
            if self._searcher is not None:
                return self._searcher
            if not (self.data_dir / DB_NAME).exists():
                raise ApiError(
                    404,
                    f"no index at {self.data_dir}: run `kenning index PATH` first",
                    code="index_not_found",
                )
            from engine.search import Searcher

            try:
                embedder = self._embedder_factory()
                try:
                    source = self._vector_source() if self._vector_source else None
                    self._searcher = Searcher(self.data_dir, embedder, vectors=source)
                except ModelMismatchError as exc:
                    log.warning("%s; serving lexical search only", exc)
                    self._mismatch = str(exc)
                    self._searcher = Searcher(self.data_dir, None)
            except IndexDamagedError as exc:
                raise ApiError(
                    503, f"search is unavailable: {exc}", code="search_unavailable"
                ) from exc
            except KenningError as exc:
                raise ApiError(500, str(exc)) from exc
            return self._searcher

    def _parse(self, body: Mapping[str, object]) -> tuple[str, int, SearchMode, SearchFilters]:
        query = body.get("query")
        if not isinstance(query, str) or not query.strip():
            raise ApiError(400, "query must be a non-empty string", param="query")
        _check_text(query, "query", "query")
        limit = body.get("limit", DEFAULT_LIMIT)
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ApiError(400, "limit must be a positive integer", param="limit")
        if limit > self._max_limit:
            raise ApiError(400, f"limit must be at most {self._max_limit}", param="limit")
        mode = body.get("mode", "hybrid")
        if not isinstance(mode, str) or mode not in MODES:
            raise ApiError(400, f"mode must be one of {', '.join(MODES)}", param="mode")
        filters = body.get("filters") or {}
        if not isinstance(filters, Mapping):
            raise ApiError(400, "filters must be an object", param="filters")
        values: dict[str, str] = {}
        for key, value in filters.items():
            field = _FILTER_KEYS.get(key)
            if field is None:
                raise ApiError(
                    400,
                    f"unknown filter {key!r}; use path_glob, language, kind or folder",
                    param="filters",
                )
            if value is None:
                continue
            if not isinstance(value, str):
                raise ApiError(400, f"filter {key!r} must be a string", param="filters")
            _check_text(value, f"filter {key!r}", "filters")
            values[field] = value
        if values.get("kind") not in (None, "code", "text"):
            raise ApiError(400, "filter 'kind' must be 'code' or 'text'", param="filters")
        if "folder" in values:
            values["folder"] = _absolute_folder(values["folder"])
        return query, limit, cast(SearchMode, mode), SearchFilters(**values)  # type: ignore[arg-type]


def _check_text(value: str, name: str, param: str) -> None:
    """Refuse text SQLite and the answer could not carry with a 400, not a 500."""
    try:
        check_text(value, name)
    except KenningError as exc:
        raise ApiError(400, str(exc), param=param) from None


def _absolute_folder(folder: str) -> str:
    """``folder`` with ``~``, ``.`` and ``..`` resolved; it must be absolute.

    The server's working directory means nothing to a client, so a relative folder is
    refused rather than resolved against it. Whether it lies under an indexed folder is the
    searcher's check (the same for the CLI).
    """
    path = Path(folder).expanduser()
    if not path.is_absolute():
        raise ApiError(
            400, f"filter 'folder' must be an absolute path, got {folder!r}", param="filters"
        )
    return str(path.resolve())
