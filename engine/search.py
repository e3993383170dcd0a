"""Lexical, semantic and hybrid search over one index.

Search-as-you-type needs the phases apart: ``lexical`` answers at once from FTS5,
``embed_query`` is the slow model call (any thread), ``semantic`` and ``fuse`` finish the job.
``search`` runs them for the CLI, with the lexical phase on a worker thread while the query
is embedded (SQLite and torch both release the GIL), so a hybrid answer costs the slower of
the two rather than their sum.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable
from concurrent import futures
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine import fusion
from engine.errors import KenningError, ModelMismatchError
from engine.index_files import FixedVectors, VectorSource, load_or_build_vectors
from engine.lexical_ranking import rank_clauses
from engine.lexical_tokens import query_clauses, query_terms
from engine.query_checks import check_query, folder_in_index
from engine.query_coverage import ChunkTerms, coverage, query_words
from engine.reranker import CancelCheck, Reranker, RerankPolicy
from engine.store import DB_NAME, ChunkRow, Store
from engine.types import Embedder, SearchFilters, SearchMode, SearchResult
from engine.vector_index import VectorIndex

log = logging.getLogger(__name__)

# With filters, a subset this small is searched exactly (stored vectors + numpy), which is
# both faster and more accurate than asking hnswlib to skip most of its graph.
EXACT_SEARCH_MAX = 20_000
_SNIPPET_LINES = 12
_SNIPPET_CHARS = 600
# Threads that run hybrid searches' lexical phase, each with its own reader; more than one so
# concurrent searches (the HTTP server) do not queue behind each other.
_LEXICAL_WORKERS = 4
# Match counts of query words kept between searches (cleared when the index changes).
_COUNTS_KEPT = 10_000


@dataclass(frozen=True, slots=True)
class QueryVectors:
    """A query embedded for each chunk kind it should be compared with."""

    query: str
    code: np.ndarray
    text: np.ndarray


class Searcher:
    """Searches one data directory. Thread-safe: each call uses the thread's own reader."""

    def __init__(
        self,
        data_dir: Path,
        embedder: Embedder | None = None,
        *,
        vectors: VectorSource | VectorIndex | None = None,
    ) -> None:
        """``vectors``: where the writer in this process keeps the live vector index (its
        :class:`~engine.index_files.IndexFiles`, or a service that asks it); without it the
        saved index is loaded, and reloaded when the store's points change."""
        self.data_dir = Path(data_dir)
        self.embedder = embedder
        if isinstance(vectors, VectorIndex):
            vectors = FixedVectors(vectors)
        self._source: VectorSource | None = vectors
        self._loaded_vectors: VectorIndex | None = None
        self._loaded_generation = -1
        self._local = threading.local()
        self._readers: list[Store] = []
        self._lock = threading.Lock()
        self._lexical_pool: ThreadPoolExecutor | None = None
        self._counts: dict[str, int] = {}
        self._counts_generation = -1
        self._loaded_identity: tuple[int, int] | None = None
        store = self._store()
        self.model_info = store.model_info()
        if embedder is not None and self.model_info is not None:
            model, dim = self.model_info
            if (embedder.model_id, embedder.dim) != (model, dim):
                raise ModelMismatchError(
                    f"this index was built with {model} ({dim}-dim) but the query model is "
                    f"{embedder.model_id} ({embedder.dim}-dim): search without --model, or "
                    f"re-index with `kenning index PATH --model {embedder.model_id}`"
                )

    def _store(self) -> Store:
        identity = self._db_identity()
        store = getattr(self._local, "store", None)
        if store is not None and self._local.identity != identity:
            # The indexer moved a damaged database aside and started a new one, and this
            # reader still has the old file open.
            with self._lock:
                if store in self._readers:
                    self._readers.remove(store)
            with contextlib.suppress(Exception):
                store.close()
            store = None
        if store is None:
            store = Store.open(self.data_dir, readonly=True)
            self._local.store, self._local.identity = store, identity
            with self._lock:
                self._readers.append(store)
                if identity != self._loaded_identity:
                    if self._loaded_identity is not None:
                        # Nothing loaded from the old file holds for the new one.
                        self._loaded_vectors, self._loaded_generation = None, -1
                        self._counts, self._counts_generation = {}, -1
                        self.model_info = store.model_info()
                    self._loaded_identity = identity
        return store

    def _db_identity(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.data_dir / DB_NAME)
        except OSError:
            return None
        return st.st_dev, st.st_ino

    def close(self) -> None:
        with self._lock:
            pool, self._lexical_pool = self._lexical_pool, None
        if pool is not None:
            pool.shutdown(wait=True)
        with self._lock:
            for store in self._readers:
                try:
                    store.close()
                except Exception:  # a reader closed from another thread; nothing to keep
                    log.debug("closing reader failed", exc_info=True)
            self._readers.clear()
        self._local = threading.local()

    # ---------------------------------------------------------------- vectors
    def _vectors(self) -> VectorIndex | None:
        store = self._store()
        if self._source is not None:
            vectors = self._source.current_vectors()
            if vectors is not None and vectors.store_id not in (None, self._local.identity):
                # The writer replaced a damaged store and this reader is not on the new one
                # yet (or the other way round): its labels mean nothing here.
                return None
            return vectors
        if self.model_info is None:
            return None
        generation = store.points_generation
        with self._lock:
            if self._loaded_vectors is None or generation != self._loaded_generation:
                self._loaded_vectors = load_or_build_vectors(store, self.data_dir, save=False)
                self._loaded_generation = generation
            return self._loaded_vectors

    def refresh(self) -> None:
        """Pick up a newer index written by another process (cheap when nothing changed)."""
        self._vectors()

    # ---------------------------------------------------------------- phases
    def lexical(
        self, query: str, *, limit: int = 20, filters: SearchFilters | None = None
    ) -> list[SearchResult]:
        filters = filters or SearchFilters()
        clauses = query_clauses(_check_query(query))
        if not clauses:
            return []
        store = self._store()
        count = self._match_counter(store)
        hits = rank_clauses(store, clauses, limit, count, **_filter_args(filters))
        return self._results(hits, query, "lexical")

    def _match_counter(self, store: Store) -> Callable[[str], int]:
        """``store.match_count``, remembered until the index changes (typing repeats words)."""
        generation = store.generation
        with self._lock:
            if generation != self._counts_generation or len(self._counts) > _COUNTS_KEPT:
                self._counts = {}
                self._counts_generation = generation
            counts = self._counts

        def count(clause: str) -> int:
            found = counts.get(clause)
            if found is None:
                found = counts[clause] = store.match_count(clause)
            return found

        return count

    def embed_query(self, query: str, *, filters: SearchFilters | None = None) -> QueryVectors:
        if self.embedder is None:
            raise KenningError("semantic search needs an embedding model")
        query = _check_query(query)
        filters = filters or SearchFilters()
        if not self.embedder.instruction_aware:
            vec = self.embedder.embed_queries([query], task="code")[0]
            return QueryVectors(query, vec, vec)
        if filters.kind is not None:
            vec = self.embedder.embed_queries([query], task=filters.kind)[0]
            return QueryVectors(query, vec, vec)
        code = self.embedder.embed_queries([query], task="code")[0]
        text = self.embedder.embed_queries([query], task="text")[0]
        return QueryVectors(query, code, text)

    def semantic(
        self, qv: QueryVectors, *, limit: int = 20, filters: SearchFilters | None = None
    ) -> list[SearchResult]:
        filters = filters or SearchFilters()
        store = self._store()
        if (
            self.embedder is not None
            and self.model_info is not None
            and ((self.embedder.model_id, self.embedder.dim) != self.model_info)
        ):
            # The index moved to another model since this searcher was made (a model switch
            # completed): its query vectors mean nothing in the new vector space. The owner
            # makes a new searcher; until then, no semantic results rather than wrong ones.
            log.info("the index now uses %s: semantic search waits for its model", self.model_info)
            return []
        same_vector = qv.code is qv.text or np.array_equal(qv.code, qv.text)
        if _has_filters(filters):
            allowed = store.filtered_chunk_ids(**_filter_args(filters))
            if not allowed:
                return []
            if len(allowed) <= EXACT_SEARCH_MAX and self.model_info is not None:
                hits = self._exact(store, qv, sorted(allowed), limit, same_vector)
                return self._results(hits, qv.query, "semantic")
        else:
            allowed = None
        vectors = self._vectors()
        if vectors is None or self.model_info is None:
            return []
        fetch = limit if same_vector else limit * 3
        hits = self._nearest_chunks(store, vectors, qv.code, fetch, allowed)
        if not same_vector:
            # Each kind is ranked by the query embedded with its own instruction.
            text_hits = self._nearest_chunks(store, vectors, qv.text, fetch, allowed)
            kinds = self._kinds([i for i, _ in hits] + [i for i, _ in text_hits])
            merged = {i: s for i, s in hits if kinds.get(i) == "code"}
            for i, s in text_hits:
                if kinds.get(i) == "text":
                    merged[i] = max(s, merged.get(i, -1.0))
            hits = sorted(merged.items(), key=lambda h: -h[1])
        return self._results(hits[:limit], qv.query, "semantic")

    def _nearest_chunks(
        self,
        store: Store,
        vectors: VectorIndex,
        query: np.ndarray,
        limit: int,
        allowed: set[int] | None,
    ) -> list[tuple[int, float]]:
        """(chunk id, similarity) best first: the nearest points, each standing for every
        chunk with its vector (identical chunks share a point and a score)."""
        assert self.model_info is not None
        model, dim = self.model_info
        predicate = None
        if allowed is not None:
            predicate = store.points_of_chunks(model, dim, allowed).__contains__
        # A few spare points: one left without chunks until the writer's run ends finds none.
        hits = vectors.query(query, limit + 8, allowed=predicate)
        # Without a filter, a point's first ``limit`` chunks fill any page it reaches.
        per_point = limit if allowed is None else 1_000_000
        chunks = store.chunks_of_points(model, dim, [p for p, _ in hits], per_point=per_point)
        out: list[tuple[int, float]] = []
        for point, score in hits:
            for chunk_id in chunks.get(point, ()):
                if allowed is None or chunk_id in allowed:
                    out.append((chunk_id, score))
            if len(out) >= limit:
                break
        return out[:limit]

    def _kinds(self, ids: list[int]) -> dict[int, str]:
        return {i: row.kind for i, row in self._store().chunk_rows(list(set(ids))).items()}

    def _exact(
        self, store: Store, qv: QueryVectors, ids: list[int], limit: int, same_vector: bool
    ) -> list[tuple[int, float]]:
        assert self.model_info is not None
        model, dim = self.model_info
        found_ids, matrix = store.vectors_for_chunks(model, dim, ids)
        if len(found_ids) == 0:
            return []
        scores = matrix @ qv.code
        if not same_vector:
            kinds = self._kinds(found_ids.tolist())
            is_text = np.fromiter((kinds.get(int(i)) == "text" for i in found_ids), dtype=bool)
            scores = np.where(is_text, matrix @ qv.text, scores)
        top = np.argsort(-scores)[:limit]
        return [(int(found_ids[i]), float(scores[i])) for i in top]

    def fuse(
        self,
        lexical: list[SearchResult],
        semantic: list[SearchResult],
        *,
        limit: int = 20,
        query: str | None = None,
    ) -> list[SearchResult]:
        """Reciprocal-rank fusion, each lexical hit weighted by how much of ``query`` it holds.

        Without ``query`` (or for hits that already carry a coverage) the hits count fully.
        """
        if query is not None:
            lexical = self.with_coverage(query, lexical)
        return fusion.fuse(lexical, semantic, limit=limit)

    def with_coverage(self, query: str, lexical: list[SearchResult]) -> list[SearchResult]:
        """``lexical`` with each hit's query coverage (engine/query_coverage.py) filled in.

        Done here rather than in ``lexical``: reading the chunks' words costs milliseconds
        per page, which a lexical-only search (every keystroke) does not need to pay.
        """
        missing = [r.chunk_id for r in lexical if r.coverage is None]
        if not missing:
            return lexical
        rows = self._store().chunk_rows(missing)
        words = query_words(query)
        out = []
        for result in lexical:
            row = rows.get(result.chunk_id)
            if result.coverage is None and row is not None:
                result = _replace(result, coverage=coverage(words, _chunk_terms(row)))
            out.append(result)
        return out

    # ---------------------------------------------------------------- one call
    def search(
        self,
        query: str,
        *,
        mode: SearchMode = "hybrid",
        limit: int = 20,
        filters: SearchFilters | None = None,
        reranker: Reranker | None = None,
        rerank_policy: RerankPolicy | None = None,
    ) -> list[SearchResult]:
        if limit < 1:
            raise KenningError("--limit must be at least 1")
        if reranker is not None:
            # The second stage sees the top N even when fewer are shown.
            policy = rerank_policy or RerankPolicy()
            first = self.search(query, mode=mode, limit=max(limit, policy.top_n), filters=filters)
            return self.rerank(query, first, reranker, policy=policy)[:limit]
        if mode not in ("hybrid", "semantic", "lexical"):
            raise KenningError(f"unknown search mode {mode!r}: use hybrid, semantic or lexical")
        query = _check_query(query)
        filters = self._checked_filters(filters)
        if mode == "lexical" or (mode == "hybrid" and self.embedder is None):
            return self.lexical(query, limit=limit, filters=filters)
        if mode == "semantic":
            qv = self.embed_query(query, filters=filters)
            return self.semantic(qv, limit=limit, filters=filters)
        fetch = max(limit, 50)
        lexical_job = self._lexical_workers().submit(
            self.lexical, query, limit=fetch, filters=filters
        )
        try:
            qv = self.embed_query(query, filters=filters)
            semantic = self.semantic(qv, limit=fetch, filters=filters)
        except BaseException:
            # The embedding's error is the one to report; the lexical job is still waited
            # for, so nothing reads the index after this call returns.
            futures.wait([lexical_job])
            raise
        return self.fuse(lexical_job.result(), semantic, limit=limit, query=query)

    def rerank(
        self,
        query: str,
        results: list[SearchResult],
        reranker: Reranker,
        *,
        policy: RerankPolicy | None = None,
        cancelled: CancelCheck | None = None,
    ) -> list[SearchResult]:
        """The second stage over a finished ranking (``engine.reranker.rerank_results``)."""
        from engine.reranker import document_text, rerank_results

        policy = policy or RerankPolicy()
        if not policy.kinds_for(reranker):
            return results
        rows = self._store().chunk_rows([r.chunk_id for r in results[: policy.top_n]])
        documents = {
            cid: document_text(row.path, row.folder, row.symbol, row.text)
            for cid, row in rows.items()
        }
        return rerank_results(
            reranker, query, results, documents, policy=policy, cancelled=cancelled
        )

    def _lexical_workers(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._lexical_pool is None:
                self._lexical_pool = ThreadPoolExecutor(
                    _LEXICAL_WORKERS, thread_name_prefix="kenning-lexical"
                )
            return self._lexical_pool

    def _checked_filters(self, filters: SearchFilters | None) -> SearchFilters | None:
        """``filters`` with its folder checked against the index's folders (any subfolder)."""
        if filters is None or not filters.folder:
            return filters
        from dataclasses import replace

        indexed = [path for _, path in self._store().folders()]
        return replace(filters, folder=folder_in_index(filters.folder, indexed))

    # ---------------------------------------------------------------- results
    def chunk_texts(self, chunk_ids: list[int]) -> dict[int, str]:
        """The full text of these chunks (phrase and excluded-word checks need more than
        the snippet); chunks deleted meanwhile are absent."""
        return {cid: row.text for cid, row in self._store().chunk_rows(chunk_ids).items()}

    def _results(
        self, hits: list[tuple[int, float]], query: str, source: str
    ) -> list[SearchResult]:
        rows = self._store().chunk_rows([cid for cid, _ in hits])
        terms = query_terms(query)
        out: list[SearchResult] = []
        for cid, score in hits:
            row = rows.get(cid)
            if row is None:  # deleted between the ranking and this read
                continue
            out.append(_result(row, score, terms, source, rank=len(out) + 1))
        return out


def _check_query(query: str) -> str:
    return check_query(query)


def _has_filters(filters: SearchFilters) -> bool:
    return any((filters.path_glob, filters.language, filters.kind, filters.folder))


def _filter_args(filters: SearchFilters) -> dict[str, str | None]:
    return {
        "path_glob": filters.path_glob,
        "language": filters.language,
        "kind": filters.kind,
        "folder": filters.folder,
    }


def _replace(result: SearchResult, **changes: object) -> SearchResult:
    from dataclasses import replace

    return replace(result, **changes)  # type: ignore[arg-type]


def _chunk_terms(row: ChunkRow) -> ChunkTerms:
    """The chunk's FTS5 columns as the store indexed them (the path relative to its folder)."""
    try:
        rel_path = Path(row.path).relative_to(row.folder).as_posix()
    except ValueError:
        rel_path = row.path
    return ChunkTerms(row.symbol, rel_path, row.text)


def _result(
    row: ChunkRow, score: float, terms: list[str], source: str, *, rank: int
) -> SearchResult:
    return SearchResult(
        chunk_id=row.id,
        path=row.path,
        start_line=row.start_line,
        end_line=row.end_line,
        score=score,
        kind=row.kind,  # type: ignore[arg-type]
        language=row.language,
        symbol=row.symbol,
        snippet=make_snippet(row.text, terms),
        sources=(source,),
        similarity=score if source == "semantic" else None,
        lexical_rank=rank if source == "lexical" else None,
        semantic_rank=rank if source == "semantic" else None,
    )


def make_snippet(text: str, terms: list[str]) -> str:
    """A few lines of the chunk, starting near the first line that mentions a query term."""
    lines = text.splitlines()
    start = 0
    lowered = [t.lower() for t in terms if len(t) > 1]
    if lowered:
        for i, line in enumerate(lines):
            low = line.lower()
            if any(t in low for t in lowered):
                start = max(0, i - 2)
                break
    snippet = "\n".join(lines[start : start + _SNIPPET_LINES]).strip("\n")
    if len(snippet) > _SNIPPET_CHARS:
        snippet = snippet[:_SNIPPET_CHARS].rstrip() + "…"
    return snippet
