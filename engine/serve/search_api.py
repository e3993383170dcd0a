"""Search the user's index for the HTTP API and the MCP tool, with the CLI's JSON shape.

A request is ``{"query": str, "limit": int, "mode": "hybrid"|"semantic"|"lexical",
"filters": {"path_glob", "language", "kind", "folder"}}`` (``path`` and ``lang`` are
accepted for the CLI's ``--path``/``--lang``); the answer is exactly one line of
``kenning search --json``: ``{"query": ..., "results": [SearchResult.to_json(), ...]}``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from engine.errors import EmbeddingServerError, KenningError, ModelMismatchError
from engine.serve.api_errors import ApiError
from engine.store import DB_NAME
from engine.types import Embedder, SearchFilters

if TYPE_CHECKING:
    from engine.vector_index import VectorIndex

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 10
MAX_LIMIT = 200
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
        vectors: Callable[[], VectorIndex | None] | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self._embedder_factory = embedder
        self._live_vectors = vectors
        self._searcher_vectors: VectorIndex | None = None  # the live index it was built on
        self._max_limit = max_limit
        self._lock = threading.Lock()
        self._searcher = None  # engine.search.Searcher, built lazily
        self._mismatch: str | None = None  # why only lexical search works, if it does

    def search(self, body: Mapping[str, object]) -> dict[str, object]:
        query, limit, mode, filters = self._parse(body)
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
        except KenningError as exc:
            raise ApiError(400, str(exc)) from exc
        return {"query": query, "results": [r.to_json() for r in results]}

    def close(self) -> None:
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None

    def _open(self):
        with self._lock:
            live = self._live_vectors() if self._live_vectors is not None else None
            if self._searcher is not None and live is not self._searcher_vectors:
                # The indexer (re)opened its index after this searcher was built.
                self._searcher.close()
                self._searcher = None
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
                    self._searcher = Searcher(self.data_dir, embedder, vectors=live)
                    self._searcher_vectors = live
                except ModelMismatchError as exc:
                    log.warning("%s; serving lexical search only", exc)
                    self._mismatch = str(exc)
                    self._searcher = Searcher(self.data_dir, None)
            except KenningError as exc:
                raise ApiError(500, str(exc)) from exc
            return self._searcher

    def _parse(self, body: Mapping[str, object]) -> tuple[str, int, str, SearchFilters]:
        query = body.get("query")
        if not isinstance(query, str) or not query.strip():
            raise ApiError(400, "query must be a non-empty string", param="query")
        limit = body.get("limit", DEFAULT_LIMIT)
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ApiError(400, "limit must be a positive integer", param="limit")
        if limit > self._max_limit:
            raise ApiError(400, f"limit must be at most {self._max_limit}", param="limit")
        mode = body.get("mode", "hybrid")
        if mode not in MODES:
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
            values[field] = value
        if values.get("kind") not in (None, "code", "text"):
            raise ApiError(400, "filter 'kind' must be 'code' or 'text'", param="filters")
        if "folder" in values:
            values["folder"] = str(Path(values["folder"]).expanduser().resolve())
        return query, limit, str(mode), SearchFilters(**values)  # type: ignore[arg-type]
